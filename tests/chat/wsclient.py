"""Helpers for talking to the chat consumer like a client would."""
import itertools

from channels.testing import WebsocketCommunicator

from chat.consumers import ChatConsumer

_ids = itertools.count(1)


async def connect(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def send_frame(content: str, conversation_id=None, provider="loopback", model="fake-model", **extra) -> dict:
    return {"type": "chat.send", "request_id": f"r{next(_ids)}", "conversation_id": conversation_id,
            "parent_id": None, "provider": provider, "model": model, "content": content, **extra}


async def frames_until_end(communicator, request_id: str | None = None, timeout: float = 10) -> list[dict]:
    """Every frame up to this reply's stream.end (and its error frame, if it failed)."""
    received = []
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        received.append(frame)
        if frame["type"] == "stream.end" and (request_id is None or frame["request_id"] == request_id):
            if frame["status"] == "error":
                received.append(await communicator.receive_json_from(timeout=timeout))
            return received


async def frames_until(communicator, kind: str, timeout: float = 5) -> list[dict]:
    """Every frame up to the first of type `kind` (included)."""
    seen = []
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        seen.append(frame)
        if frame["type"] == kind:
            return seen


def of_type(frames: list[dict], kind: str) -> list[dict]:
    return [f for f in frames if f["type"] == kind]
