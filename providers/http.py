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
"""
from __future__ import annotations

import asyncio
import codecs
import json
import random
import re
import socket
import ssl
import weakref
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit

import httpx

from providers.config import ProviderConfig
from providers.network import AsyncioTransport
from providers.scrubbing import scrub
from providers.shape import kind_of
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

__all__ = ["Body", "client", "error_from_status", "error_text", "open_response", "request_json", "scrub"]

CONNECT_TIMEOUT = 10.0
LONGEST_RETRY_WAIT = 30.0  # a Retry-After longer than this is reported, not waited for
SSE_FIELDS = frozenset({"data", "event", "id", "retry"})
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
    """Reads are bounded by the first-byte deadline and the idle timeout (see Body), not by httpx."""
    return httpx.Timeout(None, connect=CONNECT_TIMEOUT, pool=CONNECT_TIMEOUT, write=config.idle_timeout)


# Errors -----------------------------------------------------------------------------------


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


def _host(config: ProviderConfig) -> str:
    return urlsplit(config.base_url).netloc or config.base_url


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of `kind` in the chain of causes of `exc`."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def transport_error(config: ProviderConfig, exc: httpx.HTTPError, started: bool) -> ProviderError:
    """A failure below HTTP: the connection could not be made, or broke."""
    name, kind = config.name, type(exc).__name__
    if isinstance(exc, httpx.ConnectError) and _cause(exc, socket.gaierror):
        return ProviderError(UNAVAILABLE, f"{name}: the host {_host(config)} could not be found (DNS lookup "
                                          "failed); check the base URL.")
    if isinstance(exc, httpx.ConnectError) and (refused := _cause(exc, ssl.SSLCertVerificationError)):
        return ProviderError(UNAVAILABLE, f"{name} at {_host(config)}: its TLS certificate was not accepted "
                                          f"({refused.verify_message}); check the base URL, or trust the "
                                          "certificate (SSL_CERT_FILE).")
    if isinstance(exc, httpx.ConnectError) and _cause(exc, ssl.SSLError):
        return ProviderError(UNAVAILABLE, f"{name}: the TLS handshake with {_host(config)} failed; check that "
                                          "the base URL's scheme (http or https) is the server's.")
    if isinstance(exc, httpx.ConnectError):
        return ProviderError(UNAVAILABLE, f"{name} could not be reached at {_host(config)} ({kind}).", retryable=True)
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderError(TIMEOUT, f"{name} could not be reached at {_host(config)} in time.", retryable=True)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(TIMEOUT, f"{name} did not take the request in time ({kind}).", retryable=not started)
    if started:
        return ProviderError(UNAVAILABLE, f"{name} dropped the connection mid-reply ({kind}).")
    return ProviderError(UNAVAILABLE, f"{name} closed the connection before answering ({kind}).", retryable=True)


def first_byte_timeout(config: ProviderConfig) -> ProviderError:
    return ProviderError(TIMEOUT, f"{config.name} did not start answering within {config.timeout:g} s.")


def idle_timeout(config: ProviderConfig) -> ProviderError:
    return ProviderError(TIMEOUT, f"{config.name} went silent for {config.idle_timeout:g} s mid-reply.")


def bad_body(config: ProviderConfig, problem: str, sample: str = "") -> ProviderError:
    shown = f": {scrub(sample[:120], config)!r}" if sample else "."
    return ProviderError(PROVIDER_ERROR, f"{config.name} {problem}{shown}")


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
    attempt = 0
    while True:
        request = http.build_request(method, url, json=json_body, headers=headers, params=params,
                                     timeout=timeout_for(config))
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
    try:
        yield Body(response, config, deadline)
    finally:
        await response.aclose()


async def request_json(config: ProviderConfig, method: str, url: str, limit: int | None = None, **kwargs) -> object:
    """A whole JSON response (model lists, replies sent without streaming), at most `limit` bytes when given."""
    async with open_response(config, method, url, **kwargs) as body:
        return await body.json(limit)


# Reading ------------------------------------------------------------------------------------


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class _ReadWatch:
    """The deadline of each read of a body: the first byte's deadline, then the idle timeout from the read's start.

    One timer for the whole stream: armed for the first byte's deadline, brought forward when a read's limit is
    sooner than it, and re-armed when it fires during a read that has not passed its limit; instead of a timeout
    scope per read (a timer scheduled and cancelled for every delta of every stream: about
    a tenth of what reading a paced stream cost). When a read passes its limit, the reading task is cancelled, as
    `asyncio.timeout` would, and `expired()` tells that cancel from any other.
    """

    def __init__(self, deadline: float, idle: float):
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.deadline, self.idle_seconds = deadline, idle
        self.limit: float | None = None  # the current read's limit; None between reads
        self.fired = False
        self._arm(deadline)

    def _arm(self, when: float) -> None:
        self.when = when
        self.handle = self.loop.call_at(when, self._check)

    def reading(self, started: bool) -> None:
        self.limit = self.loop.time() + self.idle_seconds if started else self.deadline
        if self.limit < self.when:  # only when the limit comes sooner than the timer (the first read after the first byte)
            self.handle.cancel()
            self._arm(self.limit)

    def idle(self) -> None:
        self.limit = None

    def _check(self) -> None:
        now = self.loop.time()
        if self.limit is not None and now >= self.limit:
            self.fired = True
            self.task.cancel()
            return
        self._arm(self.limit if self.limit is not None else now + self.idle_seconds)

    def expired(self) -> bool:
        """Whether this watch cancelled the task (the cancel is then taken back: it was a timeout)."""
        if self.fired and self.task.uncancel() == 0:
            return True
        return False

    def close(self) -> None:
        self.handle.cancel()


class Body:
    """A response body read with the first-byte deadline, then an idle timeout between chunks.

    Every read turns a fault into a ProviderError: a stall is `timeout`, a
    broken connection `unavailable`, bytes of the wrong kind `provider_error`.
    """

    def __init__(self, response: httpx.Response, config: ProviderConfig, deadline: float):
        self.response = response
        self.config = config
        self.deadline = deadline
        self.started = False

    @property
    def content_type(self) -> str:
        return self.response.headers.get("content-type", "").split(";")[0].strip().lower()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The raw body in network chunks."""
        source = self.response.aiter_bytes()
        watch = _ReadWatch(self.deadline, self.config.idle_timeout)
        try:
            while True:
                watch.reading(self.started)
                try:
                    chunk = await anext(source)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if not watch.expired():
                        raise
                    raise (idle_timeout(self.config) if self.started else first_byte_timeout(self.config)) from None
                except httpx.HTTPError as exc:
                    raise transport_error(self.config, exc, started=True) from exc
                finally:
                    watch.idle()
                if chunk:
                    self.started = True
                    yield chunk
        finally:
            watch.close()
            await source.aclose()

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body; with `limit`, a body longer than that many bytes is refused as it arrives."""
        parts, size = [], 0
        async for chunk in self.chunks():
            size += len(chunk)
            if limit is not None and size > limit:
                raise bad_body(self.config, f"sent a reply larger than this playground takes ({limit:,} bytes)")
            parts.append(chunk)
        return b"".join(parts)

    def _decode(self, decoder, data: bytes, final: bool = False) -> str:
        try:
            return decoder.decode(data, final)
        except UnicodeDecodeError:
            raise bad_body(self.config, "sent bytes that are not valid UTF-8") from None

    async def lines(self) -> AsyncIterator[str]:
        """The body's lines (LF or CRLF), decoded as strict UTF-8."""
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        pending = ""
        async for chunk in self.chunks():
            pending += self._decode(decoder, chunk)
            if "\n" not in pending:
                continue
            *complete, pending = pending.split("\n")
            for line in complete:
                yield line[:-1] if line.endswith("\r") else line
        pending += self._decode(decoder, b"", final=True)
        if pending:
            yield pending.removesuffix("\r")

    async def _refuse_html(self, expected: str) -> None:
        if self.content_type != "text/html":
            return
        page = b""
        async for chunk in self.chunks():
            page += chunk
            if len(page) > 65536:
                break
        title = _TITLE.search(page)
        name = f" ({scrub(title.group(1).decode('utf-8', 'replace').strip()[:80], self.config)})" if title else ""
        raise bad_body(self.config, f"answered an HTML page{name}, not {expected}; check the base URL and any "
                                    "proxy in between")

    async def json(self, limit: int | None = None) -> object:
        """The whole body as one JSON value (at most `limit` bytes, when given)."""
        await self._refuse_html("JSON")
        data = await self.read(limit)
        text = self._decode(codecs.getincrementaldecoder("utf-8")("strict"), data, final=True)
        if not text.strip():
            raise bad_body(self.config, "answered with an empty body")
        try:
            return json.loads(text)
        except ValueError:
            raise bad_body(self.config, "answered with malformed JSON", text) from None

    def _object(self, text: str, what: str) -> dict:
        try:
            value = json.loads(text)
        except ValueError:
            raise bad_body(self.config, f"sent a malformed {what} (not valid JSON)", text) from None
        if not isinstance(value, dict):
            raise bad_body(self.config, f"sent a {what} that is {kind_of(value)}, not an object", text)
        return value

    async def sse_data(self) -> AsyncIterator[dict]:
        """The JSON objects of a server-sent-event stream, up to `[DONE]` or its end."""
        await self._refuse_html("an event stream")
        data: list[str] = []
        sent = False
        async for line in self.lines():
            if not line:
                if data:
                    payload, data = "\n".join(data), []
                    if payload.strip() == "[DONE]":
                        break
                    sent = True
                    yield self._object(payload, "stream chunk")
                continue
            if line.startswith(":"):
                continue  # a comment, or a keep-alive
            field, _, value = line.partition(":")
            if field not in SSE_FIELDS:
                raise bad_body(self.config, "sent a line that is not a server-sent event", line)
            if field == "data":
                data.append(value[1:] if value.startswith(" ") else value)
        else:
            if data and "\n".join(data).strip() != "[DONE]":
                sent = True
                yield self._object("\n".join(data), "stream chunk")
        if not sent:
            raise bad_body(self.config, "ended the stream without sending anything")

    async def ndjson(self) -> AsyncIterator[dict]:
        """The objects of a newline-delimited JSON stream."""
        await self._refuse_html("a stream of JSON lines")
        sent = False
        async for line in self.lines():
            if line.strip():
                sent = True
                yield self._object(line, "stream line")
        if not sent:
            raise bad_body(self.config, "ended the stream without sending anything")
