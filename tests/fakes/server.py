"""A real HTTP/1.1 server on loopback, run on its own thread and event loop.

Subclasses speak one provider's wire format through `handle`. Every request
is recorded; scripted replies are taken in order; faults (stalls, drops,
malformed lines, error statuses) are applied to the byte stream itself.
"""
import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.fakes.script import INVALID_UTF8, Reply

_INVALID_UTF8 = INVALID_UTF8.encode()


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict | None


@dataclass
class JsonResponse:
    status: int
    body: object
    headers: dict | None = None
    reply: Reply | None = None  # a scripted chat reply sent whole: its faults apply to the body


@dataclass
class StreamResponse:
    events: list[bytes]  # each one event of the stream, already framed
    content_type: str
    reply: Reply
    malformed: bytes = b"data: {this is not json\n\n"
    garbled: bytes = b"this line is not a server-sent event\n\n"


class FakeServer:
    """Base of the loopback provider fakes. Use as a context manager or call close()."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self.default_reply = Reply.text_of("Hello from the loopback provider.", pieces=4)
        self.models = ["fake-model", "fake-model-mini"]
        self.open_now = 0
        self.max_open = 0
        self.disconnects = 0
        self.connections = 0  # TCP connections accepted: a client that reuses its connections makes few
        self.events_sent = 0  # stream events written to clients, for tests that wait for some text
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=type(self).__name__)
        self._thread.start()
        self._started.wait(10)

    # Lifecycle ------------------------------------------------------------------

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=4096, limit=2**20)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()

    def close(self):
        async def stop():
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # Scripting --------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self) -> Reply:
        return self.replies.popleft() if self.replies else self.default_reply

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def wait_for(self, predicate, timeout: float = 5.0) -> bool:
        """Poll a condition on this fake from another thread."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    # To implement ----------------------------------------------------------------------

    def handle(self, request: Recorded) -> JsonResponse | StreamResponse:
        raise NotImplementedError

    def failure(self, reply: Reply, request: Recorded) -> JsonResponse | None:
        """The scripted error response of a reply (None when it succeeds)."""
        if reply.status < 400:
            return None
        headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else None
        response = JsonResponse(reply.status, self.error_body(reply, request), headers)
        response.stall_before = reply.stall_before
        return response

    def error_body(self, reply: Reply, request: Recorded) -> object:
        return {"error": {"message": self.error_text(reply, request), "type": "scripted", "code": None}}

    def error_text(self, reply: Reply, request: Recorded) -> str:
        if reply.echo_key_in_error:
            return f"Incorrect API key provided: {self.sent_key(request)}"
        return reply.error

    def sent_key(self, request: Recorded) -> str:
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ").strip()

    # HTTP ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        with self._lock:
            self.connections += 1
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                with self._lock:
                    self.open_now += 1
                    self.max_open = max(self.max_open, self.open_now)
                try:
                    keep = await self._respond(request, reader, writer)
                finally:
                    with self._lock:
                        self.open_now -= 1
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _read_request(self, reader) -> Recorded | None:
        line = await reader.readline()
        if not line:
            return None
        method, target, _ = line.decode("latin1").split(" ", 2)
        headers = {}
        while True:
            raw = await reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = None
        length = int(headers.get("content-length", "0") or 0)
        if length:
            data = await reader.readexactly(length)
            try:
                body = json.loads(data)
            except ValueError:
                body = {"_raw": data.decode("utf-8", "replace")}
        split = urlsplit(target)
        return Recorded(method, split.path, parse_qs(split.query), headers, body)

    async def _respond(self, request: Recorded, reader, writer) -> bool:
        response = self.handle(request)
        reply = response.reply
        stall = reply.stall_before if reply else getattr(response, "stall_before", 0.0)
        if stall and await self._client_gone_within(reader, stall):
            return False
        if isinstance(response, JsonResponse):
            return await self._whole(response, reader, writer)
        return await self._stream(response, reader, writer)

    async def _whole(self, response: JsonResponse, reader, writer) -> bool:
        reply = response.reply
        payload = json.dumps(response.body).encode()
        content_type = "application/json"
        if reply is not None:
            payload = payload if reply.raw_body is None else reply.raw_body
            if reply.malformed_after is not None or reply.garbled_after is not None:
                payload = b"{this is not json"
            payload = payload.replace(_INVALID_UTF8, b"\xff\xfe")
            content_type = reply.content_type or content_type
        head = [f"HTTP/1.1 {response.status} X", f"Content-Type: {content_type}", f"Content-Length: {len(payload)}"]
        head += [f"{k}: {v}" for k, v in (response.headers or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        half = len(payload) // 2
        if reply is not None and reply.drop_after is not None:
            writer.write(payload[:half])
            await writer.drain()
            writer.transport.abort()
            return False
        if reply is not None and reply.stall_after is not None:
            writer.write(payload[:half])
            await writer.drain()
            if await self._client_gone_within(reader, reply.stall_seconds):
                return False
            payload = payload[half:]
        writer.write(payload)
        await writer.drain()
        return True

    async def _stream(self, response: StreamResponse, reader, writer) -> bool:
        reply = response.reply
        events = response.events if reply.raw_events is None else reply.raw_events
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {reply.content_type or response.content_type}\r\n"
                     "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n\r\n".encode())
        for number, event in enumerate(events):
            if number and reply.delay and await self._client_gone_within(reader, reply.delay):
                return False
            if reply.drop_after is not None and number == reply.drop_after:
                writer.transport.abort()
                return False
            if reply.stall_after is not None and number == reply.stall_after:
                if await self._client_gone_within(reader, reply.stall_seconds):
                    return False
            if reply.malformed_after is not None and number == reply.malformed_after:
                event = response.malformed
            if reply.garbled_after is not None and number == reply.garbled_after:
                event = response.garbled
            event = event.replace(_INVALID_UTF8, b"\xff\xfe")
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            try:
                await writer.drain()
            except ConnectionError:
                self._saw_disconnect()
                return False
            with self._lock:
                self.events_sent += 1
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def _client_gone_within(self, reader: asyncio.StreamReader, seconds: float) -> bool:
        """Wait `seconds`, returning early (True) if the client closes the connection."""
        try:
            data = await asyncio.wait_for(reader.read(1), timeout=seconds)
        except asyncio.TimeoutError:
            return False
        except ConnectionError:
            data = b""
        if data == b"":
            self._saw_disconnect()
            return True
        return False

    def _saw_disconnect(self):
        with self._lock:
            self.disconnects += 1
