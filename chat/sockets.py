"""What every playground websocket shares: sign-in, frame decoding and dispatch, watching groups.

A subclass names its frame types twice, in `parsers` (type → parser, see
chat.frames) and `handlers` (type → method name); the two tables are checked
against each other when the class is made, so a type cannot lack either.
Every client frame gets its answer or one `error` frame, and the socket stays open.
"""
import json
import logging

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from chat import frames, sessions
from chat.db import db
from chat.errors import BadFrame, Refused

log = logging.getLogger(__name__)

UNAUTHENTICATED = 4401
SERVER_ERROR = "server_error"


def check_handlers(cls) -> None:
    """Refuse a socket class whose frame types lack a handler, or whose handlers lack a parser."""
    unhandled, unparsed = set(cls.parsers) - set(cls.handlers), set(cls.handlers) - set(cls.parsers)
    if unhandled or unparsed:
        raise ImproperlyConfigured(f"{cls.__name__}: frame types without a handler {sorted(unhandled)}, "
                                   f"handlers without a parser {sorted(unparsed)}.")
    missing = [name for name in cls.handlers.values() if not callable(getattr(cls, name, None))]
    if missing:
        raise ImproperlyConfigured(f"{cls.__name__}: no handler method {missing}.")


class PlaygroundSocket(AsyncWebsocketConsumer):
    """A signed-in socket that watches groups; subclasses name them with `group_for`."""

    parsers: dict = {}  # frame type → parser (raises BadFrame)
    handlers: dict = {}  # frame type → the name of the method that answers it

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        check_handlers(cls)

    def group_for(self, key: int) -> str:
        raise NotImplementedError

    async def connect(self):
        self.user = self.scope.get("user")
        self.watching: set[int] = set()
        self.sign_in_groups: list[str] = []
        signed_in = self.user is not None and self.user.is_authenticated
        if signed_in:  # joined before accepting: a sign-out right after the handshake still reaches it
            self.auth_hash = self.user.get_session_auth_hash()
            self.sign_in_groups = sessions.groups_of(self.scope)
            for group in self.sign_in_groups:
                await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        if not signed_in:
            await self.close(code=UNAUTHENTICATED)
        elif hasattr(self.channel_layer, "deliver_directly"):  # the one-process layer: frames skip the queue
            self.channel_layer.deliver_directly(self.channel_name, "chat.frame", self.chat_frame)

    async def disconnect(self, code):
        if hasattr(self.channel_layer, "stop_delivering"):
            self.channel_layer.stop_delivering(self.channel_name)
        for group in [*map(self.group_for, getattr(self, "watching", ())), *getattr(self, "sign_in_groups", ())]:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def dispatch(self, message):
        """Call the handler without Channels' close_old_connections hop to its sync thread.

        Channels makes that hop before every handler, so every relayed frame of every reply would
        wait for a thread. These handlers never use the ORM on the event loop: their database work
        goes through chat.db, which closes stale connections in the thread that uses them.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None):
        """Answer one client frame: its handler's frames, or one `error` frame."""
        about = {"request_id": None, "kind": None}
        await self.answer(self._handle(text_data, about), about)

    async def _handle(self, text_data, about: dict):
        frame = self.decode(text_data)
        about["request_id"] = frames.request_id_of(frame)
        frame = frames.parse(frame, self.parsers)
        about["kind"] = frame["type"]
        await getattr(self, self.handlers[frame["type"]])(frame)

    async def answer(self, work, about: dict):
        """Await a frame's work (also work a handler left running); what fails becomes one `error` frame."""
        try:
            await work
        except BadFrame as error:
            await self.send_error("bad_request", str(error), about["request_id"])
        except Refused as refused:
            await self.send_error(refused.code, refused.message, about["request_id"], refused.retry_after)
        except Exception:  # the last line of defence: one frame, the socket stays open, the cause in the log
            log.exception("Answering a %s frame failed", about["kind"] or "client")
            await self.send_error(SERVER_ERROR, "The server failed to handle this frame; the failure is logged.",
                                  about["request_id"])

    def decode(self, text_data) -> object:
        """The JSON of a text frame within the size limit."""
        if text_data is None:
            raise BadFrame("Frames are JSON text, not binary.")
        limit = settings.PLAYGROUND_MAX_FRAME_BYTES
        if len(text_data) > limit or len(text_data.encode(errors="surrogatepass")) > limit:
            raise BadFrame(f"The frame is larger than {limit} bytes.")
        return frames.decode(text_data)

    async def send_frame(self, frame: dict):
        await self.send(text_data=json.dumps(frame))

    async def send_error(self, code: str, message: str, request_id=None, retry_after: float | None = None):
        frame = {"type": "error", "request_id": request_id, "code": code, "message": message}
        if retry_after is not None:
            frame["retry_after"] = round(retry_after)
        await self.send_frame(frame)

    async def chat_frame(self, event):
        """A frame published to a watched group, already encoded once for every watcher (called in the
        publisher's task by the one-process layer: it must not wait on anything but the send)."""
        await self.send(text_data=event["text"])

    async def signin_end(self, event):
        """The socket's session signed out, or its account is gone (chat.sessions)."""
        await self.close(code=UNAUTHENTICATED)

    async def signin_recheck(self, event):
        """The socket's account changed: close unless it is still on with the same password."""
        if not await db(sessions.still_signed_in)(self.user.pk, self.auth_hash):
            await self.close(code=UNAUTHENTICATED)

    async def watch(self, key: int):
        if key not in self.watching:  # join first: a frame sent meanwhile arrives twice, never not at all
            self.watching.add(key)
            await self.channel_layer.group_add(self.group_for(key), self.channel_name)

    async def unwatch(self, key: int):
        if key in self.watching:
            self.watching.discard(key)
            await self.channel_layer.group_discard(self.group_for(key), self.channel_name)
