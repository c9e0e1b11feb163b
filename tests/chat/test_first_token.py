"""The upstream request opens while the turn is stored; nothing is relayed, or kept, unless the turn is."""
import asyncio

import pytest
from django.db import DatabaseError

from chat import store
from chat.models import Conversation, Message
from tests.chat.wsclient import connect, frames_until_end, send_frame
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_the_provider_is_asked_while_the_turn_is_stored_and_text_follows_the_commit(alice, provider, openai_fake,
                                                                                         monkeypatch):
    start_turn = store.start_turn

    def slow_commit(*args, **kwargs):
        assert openai_fake.wait_for(lambda: len(openai_fake.chat_requests()) == 1, 5)  # asked before the commit
        return start_turn(*args, **kwargs)

    monkeypatch.setattr(store, "start_turn", slow_commit)
    openai_fake.enqueue(Reply.text_of("right after the commit", pieces=3))
    ws = await connect(alice)
    frame = send_frame("Hi")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    kinds = [f["type"] for f in frames]
    assert kinds.index("message.created") < kinds.index("stream.start") < kinds.index("stream.delta")
    assert frames[-1]["status"] == "complete" and frames[-1]["content"] == "right after the commit"
    await ws.disconnect()


async def test_a_turn_that_cannot_be_stored_closes_the_upstream_request_and_keeps_nothing(alice, provider,
                                                                                        openai_fake, monkeypatch):
    def failing_commit(*args, **kwargs):
        assert openai_fake.wait_for(lambda: openai_fake.open_now == 1, 5)
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(store, "start_turn", failing_commit)
    openai_fake.enqueue(Reply.text_of("never shown", pieces=50, delay=0.05))
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Hi"))
    error = await ws.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["message"]
    assert "disk I/O" not in error["message"]  # no internals in a frame
    assert await asyncio.to_thread(openai_fake.wait_for, lambda: openai_fake.disconnects >= 1, 5)
    assert not await Message.objects.aexists() and not await Conversation.objects.aexists()
    await ws.send_json_to({"type": "conversation.watch", "conversation_id": 1})  # the socket is still open
    assert (await ws.receive_json_from(timeout=5))["code"] == "not_found"
    await ws.disconnect()
