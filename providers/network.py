"""The network under the pooled HTTP client: httpcore on plain asyncio streams.

httpcore's default backend reads through anyio, which costs a cancel scope and
a pause/resume of the socket's reader on every read (126 µs of CPU per paced
delta against 29 µs for bare asyncio, docs/performance.md). Here the event
loop's protocol buffers whatever arrives, and one read takes all of it, so
under load one read carries several deltas and the cost per delta falls.
TLS goes through `StreamWriter.start_tls` (the loop's own TLS).
"""
from __future__ import annotations

import asyncio
import ssl
from contextlib import asynccontextmanager
from typing import Any, Iterable

import httpcore
import httpx

STREAM_LIMIT = 1024 * 1024  # bytes buffered from a socket before the loop stops reading it


@asynccontextmanager
async def _deadline(timeout: float | None, error: type[Exception]):
    """`timeout` seconds for the block, then `error`; OS errors become httpcore's errors of that family."""
    try:
        if timeout is None:
            yield
        else:
            async with asyncio.timeout(timeout):
                yield
    except TimeoutError as exc:
        raise error(f"timed out after {timeout} s") from exc


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # The hot path: no context manager and, without a timeout, no timer.
        try:
            if timeout is None:
                return await self._reader.read(max_bytes)
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(f"timed out after {timeout} s") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with _deadline(timeout, httpcore.WriteTimeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        # At once, without flushing or a TLS goodbye the peer may never answer: a cancelled reply's
        # connection closes now. The socket itself closes on the loop's next turn, which this waits for.
        self._writer.transport.abort()
        await asyncio.sleep(0)

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncioStream:
        try:
            async with _deadline(timeout, httpcore.ConnectTimeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except (OSError, ssl.SSLError) as exc:
            self._writer.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":  # on an idle pooled connection: the server closed it, or broke it
            return self._reader.at_eof() or self._reader.exception() is not None
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable | None = None) -> AsyncioStream:
        try:
            async with _deadline(timeout, httpcore.ConnectTimeout):
                reader, writer = await asyncio.open_connection(
                    host, port, limit=STREAM_LIMIT, local_addr=(local_address, 0) if local_address else None)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable | None = None) -> AsyncioStream:
        try:
            async with _deadline(timeout, httpcore.ConnectTimeout):
                reader, writer = await asyncio.open_unix_connection(path, limit=STREAM_LIMIT)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class LinearPool(httpcore.AsyncConnectionPool):
    """httpcore's connection pool, its bookkeeping linear in the number of connections.

    On every request and every response closed, httpcore 1.0.9 counts all the pool's connections again for each
    idle one (encode/httpcore#1035): quadratic in the connections kept alive, which for hundreds of streams
    cost a quarter of the CPU of reading them. The same rules, with the count kept as connections are dropped.
    """

    def _assign_requests_to_connections(self) -> list:
        closing, kept = [], []
        count = len(self._connections)
        for connection in self._connections:
            if connection.is_closed():
                count -= 1
            elif connection.has_expired() or (connection.is_idle() and count > self._max_keepalive_connections):
                count -= 1
                closing.append(connection)
            else:
                kept.append(connection)
        self._connections = kept
        for pool_request in [request for request in self._requests if request.is_queued()]:
            origin = pool_request.request.url.origin
            available = next((connection for connection in self._connections
                              if connection.can_handle_request(origin) and connection.is_available()), None)
            if available is None and len(self._connections) >= self._max_connections:
                idle = next((connection for connection in self._connections if connection.is_idle()), None)
                if idle is None:
                    continue  # stays queued until a connection is released
                self._connections.remove(idle)
                closing.append(idle)
            if available is None:
                available = self.create_connection(origin)
                self._connections.append(available)
            pool_request.assign_to_connection(available)
        return closing


class AsyncioTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over an httpcore pool that uses the asyncio backend.

    httpx has no argument for a network backend, so the pool it builds is replaced by one built the same
    way with the backend added.
    """

    def __init__(self, *, limits: httpx.Limits, verify: ssl.SSLContext | bool = True):
        super().__init__(limits=limits, verify=verify)
        built = self._pool
        self._pool = LinearPool(
            ssl_context=built._ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            http1=True, http2=False, network_backend=AsyncioBackend(),
        )
