"""The chat websocket: validate a frame, authorize, hand off, relay frames.

Replies run as Generations (chat/generation.py), never inside a handler:
each handler returns quickly so cancel and disconnect are read at once.
"""
import json

from chat.db import db
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat import frames, generation, turns
from chat.store import Refused

UNAUTHENTICATED = 4401


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        self.watching: set[int] = set()

    async def disconnect(self, code):
        for conversation_id in getattr(self, "watching", ()):
            await self.channel_layer.group_discard(generation.group_name(conversation_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        request_id = None
        try:
            frame = self._decode(text_data, bytes_data)
            request_id = frame.get("request_id") if isinstance(frame, dict) else None
            frame = frames.parse(frame)
            await HANDLERS[frame["type"]](self, frame)
        except frames.BadFrame as error:
            await self.send_error("bad_request", str(error), request_id)
        except Refused as refused:
            await self.send_error(refused.code, refused.message, request_id)

    def _decode(self, text_data, bytes_data):
        if text_data is None:
            raise frames.BadFrame("Frames are JSON text, not binary.")
        if len(text_data) > settings.PLAYGROUND_MAX_FRAME_BYTES or len(text_data.encode()) > settings.PLAYGROUND_MAX_FRAME_BYTES:
            raise frames.BadFrame(f"The frame is larger than {settings.PLAYGROUND_MAX_FRAME_BYTES} bytes.")
        try:
            return json.loads(text_data)
        except ValueError:
            raise frames.BadFrame("The frame is not valid JSON.") from None

    async def send_frame(self, frame: dict):
        await self.send(text_data=json.dumps(frame))

    async def send_error(self, code: str, message: str, request_id=None):
        await self.send_frame({"type": "error", "request_id": request_id, "code": code, "message": message})

    async def chat_frame(self, event):
        """A frame published to a watched conversation's group."""
        await self.send(text_data=event["text"])

    # Handlers ------------------------------------------------------------------------

    async def watch(self, conversation_id: int):
        if conversation_id not in self.watching:
            self.watching.add(conversation_id)
            await self.channel_layer.group_add(generation.group_name(conversation_id), self.channel_name)

    async def on_send(self, frame):
        await self._start(turns.send, frame)

    async def on_tool_result(self, frame):
        await self._start(turns.tool_results, frame)

    async def on_regenerate(self, frame):
        await self._start(turns.regenerate, frame)

    async def _start(self, prepare, frame):
        conversation_id = frame.get("conversation_id")
        if conversation_id is not None and generation.running_in(conversation_id):
            raise Refused("bad_request", "A reply is already streaming in this conversation; stop it or wait.")
        turn = await db(prepare)(self.user, frame)
        conversation_id = turn.conversation["id"]
        if generation.running_in(conversation_id):
            raise Refused("bad_request", "A reply is already streaming in this conversation; stop it or wait.")
        await self.watch(conversation_id)
        if turn.created_conversation:
            await self.send_frame({"type": "conversation.created", "request_id": frame["request_id"],
                                   "conversation_id": conversation_id, "conversation": turn.conversation})
        for message in turn.messages:
            await generation.publish(self.channel_layer, conversation_id,
                                     {"type": "message.created", "request_id": frame["request_id"], "message": message})
        for job in turn.jobs:
            generation.Generation(job, self.channel_layer).start()

    async def on_cancel(self, frame):
        reply = generation.find(frame["request_id"])
        conversation_id = reply.job.conversation_id if reply else frame.get("conversation_id")
        if conversation_id is None:
            raise Refused("not_found", "No reply with that request_id is streaming here.")
        allowed = await db(turns.can_cancel)(self.user, conversation_id)
        if not allowed:
            raise Refused("forbidden", "Only the conversation's owner can stop its replies.")
        if reply:
            reply.cancel()
        else:
            await generation.cancel_elsewhere(self.channel_layer, conversation_id, frame["request_id"])

    async def on_watch(self, frame):
        conversation_id = frame["conversation_id"]
        stored = await db(turns.watch_state)(self.user, conversation_id)
        await self.watch(conversation_id)
        streaming = [live.snapshot() for live in generation.running_in(conversation_id) if live.message_id]
        known = {s["message_id"] for s in streaming}
        streaming += [s for s in stored if s["message_id"] not in known]
        await self.send_frame({"type": "conversation.state", "conversation_id": conversation_id, "streaming": streaming})

    async def on_unwatch(self, frame):
        conversation_id = frame["conversation_id"]
        if conversation_id in self.watching:
            self.watching.discard(conversation_id)
            await self.channel_layer.group_discard(generation.group_name(conversation_id), self.channel_name)


HANDLERS = {
    "chat.send": ChatConsumer.on_send,
    "chat.tool_result": ChatConsumer.on_tool_result,
    "chat.regenerate": ChatConsumer.on_regenerate,
    "chat.cancel": ChatConsumer.on_cancel,
    "conversation.watch": ChatConsumer.on_watch,
    "conversation.unwatch": ChatConsumer.on_unwatch,
}
