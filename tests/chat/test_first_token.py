"""The upstream request opens while the turn is stored; nothing is relayed, or kept, unless the turn is."""
import asyncio
import threading

import pytest
from django.db import DatabaseError

from chat import store, turns
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


async def test_a_new_conversation_is_planned_on_the_event_loop_and_a_follow_up_in_the_orm_thread(
        alice, provider, openai_fake, monkeypatch):
    """A new conversation's turn needs only the models and quota limits the process keeps: no trip to a thread."""
    planned_on_loop = []
    plan_send = turns.send

    def send(user, frame):
        planned_on_loop.append(threading.current_thread() is loop_thread)
        return plan_send(user, frame)

    monkeypatch.setattr(turns, "send", send)
    loop_thread = threading.current_thread()
    ws = await connect(alice)
    replies = []
    for content in ("first", "second", "follow-up"):
        conversation_id = replies[-1][-1]["conversation_id"] if content == "follow-up" else None
        planned_on_loop.clear()
        openai_fake.enqueue(Reply.text_of(f"answer to {content}"))
        frame = send_frame(content, conversation_id)
        await ws.send_json_to(frame)
        replies.append(await frames_until_end(ws, frame["request_id"]))
        assert replies[-1][-1]["status"] == "complete" and replies[-1][-1]["content"] == f"answer to {content}"
        if content == "second":  # the caches were filled by the first turn (planned again in the thread)
            assert planned_on_loop == [True]
        if content == "follow-up":  # the conversation's messages are read: tried on the loop, planned in the thread
            assert planned_on_loop == [True, False]
    assert await Message.objects.filter(role=Message.USER).acount() == 3
    await ws.disconnect()
