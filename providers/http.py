"""The pooled HTTP client, deadlines, retries before the first byte, and the error vocabulary.

Every adapter sends through `open_response` and reads through the `Body` it
yields, so timeout, retry and error rules live in one place, the same for a
streamed and a whole reply:
- the wait for a reply's first byte, retries and back-off included, has one
  deadline (the provider's timeout); passing it is `timeout`;
- after the first byte, each silence longer than the provider's idle timeout
  is `timeout`; a failure after the first byte is final (no retry);
- connection refused, a DNS failure or a dropped connection is `unavailable`;
- a body that is not what was asked for (HTML, invalid UTF-8, not JSON, not
  server-sent events, empty) is `provider_error`, with the problem named.
The errors themselves are made in `providers/http_errors.py`.
"""
from __future__ import annotations

import asyncio
import functools
import random
import weakref
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator, Callable

import httpx

from providers.config import ProviderConfig
from providers.http_errors import (
    error_from_status,
    error_text,
    first_byte_timeout,
    transport_error,
)
from providers.body import Body
from providers.network import AsyncioTransport
from providers.scrubbing import scrub

__all__ = ["Body", "client", "error_from_status", "error_text", "open_response", "request_json", "scrub"]

CONNECT_TIMEOUT = 10.0
LONGEST_RETRY_WAIT = 30.0  # a Retry-After longer than this is reported, not waited for
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]" = weakref.WeakKeyDictionary()
# Called, in the task that set it, when a request's body has been written (httpcore's trace extension).
on_request_sent: ContextVar[Callable[[], None] | None] = ContextVar("on_request_sent", default=None)


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


@functools.lru_cache(maxsize=1024)
def parsed_url(url: str) -> httpx.URL:
    """`url` parsed once: a provider's few endpoints are asked again and again, and httpx parses a URL given as
    text on every request (31 of 75 µs of building one)."""
    return httpx.URL(url)


def timeout_for(config: ProviderConfig) -> httpx.Timeout:
    """Reads are bounded by the first-byte deadline and the idle timeout (see Body), not by httpx."""
    return httpx.Timeout(None, connect=CONNECT_TIMEOUT, pool=CONNECT_TIMEOUT, write=config.idle_timeout)


# Errors -----------------------------------------------------------------------------------


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    return min(8.0, 0.25 * 2**attempt) * (0.75 + random.random() / 2)


# Sending ------------------------------------------------------------------------------------


@asynccontextmanager
async def open_response(
    config: ProviderConfig, method: str, url: str, *, json_body: dict | None = None,
    headers: dict | None = None, params: dict | None = None,
) -> AsyncIterator[Body]:
    """The Body of a response with status < 400, retried before its first byte, within one deadline."""
    http = client()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + config.timeout
    sent = on_request_sent.get()
    attempt = 0
    while True:
        request = http.build_request(method, parsed_url(url), json=json_body, headers=headers, params=params,
                                     timeout=timeout_for(config), extensions=_traced(sent) if sent else None)
        try:
            async with asyncio.timeout_at(deadline):
                response = await http.send(request, stream=True)
                if response.status_code >= 400:
                    try:
                        error_body = await response.aread()
                    finally:
                        await response.aclose()
        except TimeoutError:
            raise first_byte_timeout(config) from None
        except httpx.HTTPError as exc:
            error = transport_error(config, exc, started=False)
            error.__cause__ = exc
        else:
            if response.status_code < 400:
                break
            error = error_from_status(config, response.status_code, error_body, response.headers)
        wait = backoff_seconds(attempt, error.retry_after)
        too_long = error.retry_after is not None and error.retry_after > LONGEST_RETRY_WAIT
        if not error.retryable or attempt >= config.max_retries or too_long or loop.time() + wait >= deadline:
            raise error
        await asyncio.sleep(wait)
        attempt += 1
    body = Body(response, config, deadline)
    try:
        yield body
    except BaseException:
        await body.close()
        raise
    await body.release()


def _traced(sent: Callable[[], None]) -> dict:
    async def trace(event: str, info: dict) -> None:
        if event.endswith("send_request_body.complete"):
            sent()
    return {"trace": trace}


async def request_json(config: ProviderConfig, method: str, url: str, limit: int | None = None, **kwargs) -> object:
    """A whole JSON response (model lists, replies sent without streaming), at most `limit` bytes when given."""
    async with open_response(config, method, url, **kwargs) as body:
        return await body.json(limit)
