"""Deleting a conversation stops its replies, wherever they run, and tells whoever watches."""
import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from chat.models import Conversation, Message
from tests.chat.wsclient import connect, frames_until, frames_until_end, send_frame
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_deleting_a_conversation_cancels_its_reply_and_tells_watchers(alice, bob, provider, openai_fake):
    ws = await connect(alice)
    first = send_frame("Hi")
    await ws.send_json_to(first)
    conversation_id = (await frames_until_end(ws, first["request_id"]))[0]["conversation_id"]
    watcher = await connect(bob)
    await watcher.send_json_to({"type": "conversation.watch", "conversation_id": conversation_id})
    await frames_until(watcher, "conversation.state")
    openai_fake.enqueue(Reply.text_of("z" * 400, pieces=400, delay=0.05))
    await ws.send_json_to(send_frame("A long one", conversation_id=conversation_id))
    await frames_until(watcher, "stream.delta")

    client = AsyncClient()
    await sync_to_async(client.force_login)(alice)
    response = await client.delete(f"/api/conversations/{conversation_id}")
    assert response.status_code == 204

    assert (await frames_until(watcher, "conversation.deleted"))[-1]["conversation_id"] == conversation_id
    assert await asyncio.to_thread(openai_fake.wait_for, lambda: openai_fake.disconnects >= 1, 5)  # not paid for
    assert not await Conversation.objects.aexists() and not await Message.objects.aexists()
    await ws.disconnect()
    await watcher.disconnect()
