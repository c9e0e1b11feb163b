"""The pooled HTTP client, retries before the first byte, and error mapping.

Every adapter sends through `open_response`, so retry and error rules live in
one place: retry connect errors, 429 and 5xx with backoff until a response
starts; once bytes of a reply flow, a failure is final.
"""
from __future__ import annotations

import asyncio
import json
import random
import weakref
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit

import httpx

from providers.config import ProviderConfig
from providers.network import AsyncioTransport
from providers.types import (
    BAD_REQUEST,
    NOT_FOUND,
    PROVIDER_AUTH,
    PROVIDER_ERROR,
    RATE_LIMITED,
    TIMEOUT,
    UNAVAILABLE,
    ProviderError,
)

CONNECT_TIMEOUT = 10.0
LONGEST_RETRY_WAIT = 30.0  # a Retry-After longer than this is reported, not waited for
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]" = weakref.WeakKeyDictionary()


def client() -> httpx.AsyncClient:
    """The process's pooled client (one per event loop: a client cannot cross loops)."""
    loop = asyncio.get_running_loop()
    existing = _clients.get(loop)
    if existing is None or existing.is_closed:
        limits = httpx.Limits(max_connections=4000, max_keepalive_connections=500)
        existing = httpx.AsyncClient(
            transport=AsyncioTransport(limits=limits), limits=limits,
            timeout=httpx.Timeout(180.0, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
        )
        _clients[loop] = existing
    return existing


def timeout_for(config: ProviderConfig) -> httpx.Timeout:
    return httpx.Timeout(config.timeout, connect=CONNECT_TIMEOUT, pool=CONNECT_TIMEOUT)


def scrub(text: str, config: ProviderConfig) -> str:
    """Remove the provider's key from text that may echo it back."""
    key = config.key() if config.api_key else None
    if key and len(key) >= 4:
        text = text.replace(key, "****")
    return text


def error_text(body: bytes) -> str:
    """The human part of an error body, whatever the provider's shape."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:500]
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, str):
            return error
        if isinstance(error, dict):
            return str(error.get("message") or error.get("status") or error.get("type") or error)[:500]
        if data.get("message"):
            return str(data["message"])[:500]
    return str(data)[:500]


def parse_retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


_STATUS_CODES = {400: BAD_REQUEST, 401: PROVIDER_AUTH, 403: PROVIDER_AUTH, 404: NOT_FOUND, 408: TIMEOUT,
                 413: BAD_REQUEST, 422: BAD_REQUEST, 429: RATE_LIMITED, 504: TIMEOUT}


def error_from_status(config: ProviderConfig, status: int, body: bytes, headers: httpx.Headers) -> ProviderError:
    code = _STATUS_CODES.get(status, UNAVAILABLE if status in (502, 503, 529) else PROVIDER_ERROR)
    detail = scrub(error_text(body), config) or "no details given"
    if code == PROVIDER_AUTH:
        message = f"{config.name} rejected the key ({status}): {detail}"
    elif code == RATE_LIMITED:
        message = f"{config.name} is rate-limiting requests (429): {detail}"
    elif code == NOT_FOUND:
        message = f"{config.name} does not know that model or path (404): {detail}"
    else:
        message = f"{config.name} answered {status}: {detail}"
    retryable = status == 429 or status >= 500
    return ProviderError(code, message, status=status, retry_after=parse_retry_after(headers), retryable=retryable)


def _transport_error(config: ProviderConfig, exc: httpx.HTTPError, started: bool) -> ProviderError:
    host = urlsplit(config.base_url).netloc or config.base_url
    if isinstance(exc, httpx.TimeoutException):
        what = "stopped sending mid-reply" if started else "did not answer in time"
        return ProviderError(TIMEOUT, f"{config.name} {what} ({type(exc).__name__}).", retryable=not started)
    if isinstance(exc, httpx.ConnectError):
        return ProviderError(UNAVAILABLE, f"{config.name} could not be reached at {host}.", retryable=True)
    what = "dropped the connection mid-reply" if started else "closed the connection"
    return ProviderError(UNAVAILABLE, f"{config.name} {what} ({type(exc).__name__}).", retryable=not started)


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    return min(8.0, 0.25 * 2**attempt) * (0.75 + random.random() / 2)


@asynccontextmanager
async def open_response(
    config: ProviderConfig, method: str, url: str, *, json_body: dict | None = None,
    headers: dict | None = None, params: dict | None = None,
) -> AsyncIterator[httpx.Response]:
    """A streaming response with status < 400, retried before its first byte."""
    http = client()
    attempt = 0
    while True:
        try:
            request = http.build_request(method, url, json=json_body, headers=headers, params=params,
                                         timeout=timeout_for(config))
            response = await http.send(request, stream=True)
        except httpx.HTTPError as exc:
            error = _transport_error(config, exc, started=False)
        else:
            if response.status_code < 400:
                break
            body = await response.aread()
            await response.aclose()
            error = error_from_status(config, response.status_code, body, response.headers)
        too_long = error.retry_after is not None and error.retry_after > LONGEST_RETRY_WAIT
        if not error.retryable or attempt >= config.max_retries or too_long:
            raise error
        await asyncio.sleep(backoff_seconds(attempt, error.retry_after))
        attempt += 1
    try:
        with mid_stream_errors(config):
            yield response
    finally:
        await response.aclose()


class mid_stream_errors:
    """Turns transport failures after the first byte into a final ProviderError."""

    def __init__(self, config: ProviderConfig):
        self.config = config

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and isinstance(exc, httpx.HTTPError):
            raise _transport_error(self.config, exc, started=True) from None
        return False


async def request_json(config: ProviderConfig, method: str, url: str, **kwargs) -> object:
    """A whole JSON response (model lists, non-streaming chats)."""
    async with open_response(config, method, url, **kwargs) as response:
        body = await response.aread()
    try:
        return json.loads(body)
    except ValueError:
        raise ProviderError(PROVIDER_ERROR, f"{config.name} answered with something that is not JSON.") from None


async def sse_data(response: httpx.Response, config: ProviderConfig) -> AsyncIterator[dict]:
    """The JSON payloads of a server-sent-event stream; stops at `[DONE]`."""
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue  # event names, comments, keep-alives, blank separators
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if not data:
            continue
        try:
            yield json.loads(data)
        except ValueError:
            raise ProviderError(PROVIDER_ERROR, f"{config.name} sent a malformed stream chunk: {scrub(data[:120], config)!r}") from None


async def ndjson(response: httpx.Response, config: ProviderConfig) -> AsyncIterator[dict]:
    """The objects of a newline-delimited JSON stream."""
    async for line in response.aiter_lines():
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError:
            raise ProviderError(PROVIDER_ERROR, f"{config.name} sent a malformed stream line: {scrub(line[:120], config)!r}") from None
