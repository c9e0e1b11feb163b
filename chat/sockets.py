"""What every playground websocket shares: sign-in, frame decoding, watching groups."""
import json

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.consumer import get_handler_name
from django.conf import settings

from chat.errors import BadFrame

UNAUTHENTICATED = 4401


class PlaygroundSocket(AsyncWebsocketConsumer):
    """A signed-in socket that watches groups; subclasses name them with `group_for`."""

    def group_for(self, key: int) -> str:
        raise NotImplementedError

    async def connect(self):
        await self.accept()
        self.user = self.scope.get("user")
        self.watching: set[int] = set()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)

    async def disconnect(self, code):
        for key in getattr(self, "watching", ()):
            await self.channel_layer.group_discard(self.group_for(key), self.channel_name)

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

    def decode(self, text_data) -> object:
        """The JSON of a text frame within the size limit."""
        if text_data is None:
            raise BadFrame("Frames are JSON text, not binary.")
        limit = settings.PLAYGROUND_MAX_FRAME_BYTES
        if len(text_data) > limit or len(text_data.encode()) > limit:
            raise BadFrame(f"The frame is larger than {limit} bytes.")
        try:
            return json.loads(text_data)
        except ValueError:
            raise BadFrame("The frame is not valid JSON.") from None

    async def send_frame(self, frame: dict):
        await self.send(text_data=json.dumps(frame))

    async def send_error(self, code: str, message: str, request_id=None):
        await self.send_frame({"type": "error", "request_id": request_id, "code": code, "message": message})

    async def chat_frame(self, event):
        """A frame published to a watched group, already encoded once for every watcher."""
        await self.send(text_data=event["text"])

    async def watch(self, key: int):
        if key not in self.watching:  # join first: a frame sent meanwhile arrives twice, never not at all
            self.watching.add(key)
            await self.channel_layer.group_add(self.group_for(key), self.channel_name)

    async def unwatch(self, key: int):
        if key in self.watching:
            self.watching.discard(key)
            await self.channel_layer.group_discard(self.group_for(key), self.channel_name)
