"""Reading a provider's response body: network chunks under the first-byte deadline and the idle timeout,
lines, server-sent events, NDJSON and JSON, with every fault turned into a ProviderError; and giving the
connection back to the pool when the reader is done (`Body.release`)."""
from __future__ import annotations

import asyncio
import codecs
import json
import re
from typing import AsyncIterator

import httpx

from providers.config import ProviderConfig
from providers.http_errors import bad_body, first_byte_timeout, idle_timeout, transport_error
from providers.scrubbing import scrub
from providers.shape import kind_of

# A body left unread when its reader stopped (a stream's end past `[DONE]`) is read this long, and this far,
# at most, so that its connection goes back to the pool; past that the connection is closed instead.
RELEASE_SECONDS = 0.2
RELEASE_BYTES = 64 * 1024
SSE_FIELDS = frozenset({"data", "event", "id", "retry"})


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
        # The body's one iterator, kept open when its reader stops early: `release` reads the rest from it.
        # A second iterator would leave the first one's httpcore generators to be closed by the garbage collector,
        # which closes the connection if that happens while the rest is still being read.
        self._raw: AsyncIterator[bytes] | None = None

    @property
    def content_type(self) -> str:
        return self.response.headers.get("content-type", "").split(";")[0].strip().lower()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body in network chunks, decompressed where it came compressed."""
        source = self._raw = self._raw or self._source()
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
            watch.close()  # the source stays open for `release` (or `close`)

    async def release(self) -> None:
        """Close the response its reader is done with, keeping its connection for the next request where it can.

        A streamed reply's reader stops at `[DONE]`, before the end of the chunked body that follows it; closing
        the response there closed its connection, so every reply paid a new TCP and TLS handshake. What is left
        is read first (it has normally arrived with `[DONE]`), within RELEASE_SECONDS and RELEASE_BYTES.
        """
        source = self._raw = self._raw or self._source()
        try:
            if not self.response.is_closed:
                async with asyncio.timeout(RELEASE_SECONDS):
                    size = 0
                    async for piece in source:
                        size += len(piece)
                        if size > RELEASE_BYTES:
                            break
        except (TimeoutError, httpx.HTTPError):
            pass
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the body's iterator, then the response (its connection too, unless the body was read to its end)."""
        try:
            if self._raw is not None:
                await self._raw.aclose()
        finally:
            await self.response.aclose()

    def _source(self) -> AsyncIterator[bytes]:
        """httpx's raw chunks when the body is not compressed: its decoding layer would only pass them on."""
        if "content-encoding" not in self.response.headers:
            return self.response.aiter_raw()
        return self.response.aiter_bytes()

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
        """The JSON objects of a server-sent-event stream, up to `[DONE]` or its end.

        Lines are split here rather than read from `lines()`: one generator less for every chunk.
        """
        await self._refuse_html("an event stream")
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        data: list[str] = []
        pending = ""
        sent = False
        async for chunk in self.chunks():
            pending += self._decode(decoder, chunk)
            if "\n" not in pending:
                continue
            *complete, pending = pending.split("\n")
            for line in complete:
                payload = self._sse_line(line[:-1] if line.endswith("\r") else line, data)
                if payload is None:
                    continue
                if payload.strip() == "[DONE]":
                    if not sent:
                        raise self._nothing_sent()
                    return
                sent = True
                yield self._object(payload, "stream chunk")
        pending += self._decode(decoder, b"", final=True)
        last = self._sse_line(pending.removesuffix("\r"), data) if pending else None
        if last is not None:  # the stream ended on a lone "\r": that event is read like one at the end
            data = [last]
        if data and "\n".join(data).strip() != "[DONE]":
            sent = True
            yield self._object("\n".join(data), "stream chunk")
        if not sent:
            raise self._nothing_sent()

    def _nothing_sent(self) -> Exception:
        return bad_body(self.config, "ended the stream without sending anything")

    def _sse_line(self, line: str, data: list[str]) -> str | None:
        """Takes one line of an event stream into `data`; at the blank line that ends an event, its payload."""
        if not line:
            if not data:
                return None
            payload = "\n".join(data)
            data.clear()
            return payload
        if line.startswith(":"):
            return None  # a comment, or a keep-alive
        field, _, value = line.partition(":")
        if field not in SSE_FIELDS:
            raise bad_body(self.config, "sent a line that is not a server-sent event", line)
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
        return None

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
