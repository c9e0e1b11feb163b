"""Turns arriving together are stored together (chat.db.grouped): one transaction, each turn its own fate."""
import asyncio

import pytest
from django.db import transaction

from chat.db import grouped
from chat.errors import Refused
from chat.models import Conversation
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame

pytestmark = pytest.mark.django_db(transaction=True)


def _conversation(owner, title: str, fail: bool = False):
    def store():
        conversation = Conversation.objects.create(owner=owner, title=title)
        if fail:
            raise Refused("bad_request", f"{title} refused after writing")
        return conversation.pk

    return store


async def test_one_failing_write_rolls_back_only_itself(bob):
    stored = await asyncio.gather(grouped(_conversation(bob, "first")), grouped(_conversation(bob, "second", fail=True)),
                                  grouped(_conversation(bob, "third")), return_exceptions=True)
    assert isinstance(stored[1], Refused) and "second refused" in stored[1].message
    titles = {pk: title async for pk, title in Conversation.objects.values_list("pk", "title")}
    assert titles == {stored[0]: "first", stored[2]: "third"}


async def test_writes_arriving_while_a_batch_is_stored_share_the_next_transaction(bob, monkeypatch):
    seen = []
    real_atomic = transaction.atomic

    def counting_atomic(*args, **kwargs):
        seen.append(transaction.get_connection().in_atomic_block)  # False: a batch's own transaction begins
        return real_atomic(*args, **kwargs)

    monkeypatch.setattr(transaction, "atomic", counting_atomic)
    first = asyncio.ensure_future(grouped(_conversation(bob, "alone")))
    await asyncio.sleep(0)  # its batch is on its way to the thread; these four queue behind it
    rest = [grouped(_conversation(bob, f"queued {n}")) for n in range(4)]
    await asyncio.gather(first, *rest)
    assert seen.count(False) == 2 and await Conversation.objects.acount() == 5


async def test_a_caller_that_stops_waiting_before_its_batch_stores_nothing(bob):
    first = asyncio.ensure_future(grouped(_conversation(bob, "kept")))
    await asyncio.sleep(0)
    gone = asyncio.ensure_future(grouped(_conversation(bob, "abandoned")))
    await asyncio.sleep(0)
    gone.cancel()
    await first
    await asyncio.gather(gone, return_exceptions=True)
    assert [t async for t in Conversation.objects.values_list("title", flat=True)] == ["kept"]


async def test_turns_sent_at_once_on_several_sockets_each_get_their_reply(bob, provider, openai_fake):
    sockets = [await connect(bob) for _ in range(5)]
    sent = [send_frame(f"question {n}") for n in range(5)]
    await asyncio.gather(*(ws.send_json_to(frame) for ws, frame in zip(sockets, sent)))
    ended = [await frames_until_end(ws, frame["request_id"]) for ws, frame in zip(sockets, sent)]
    for ws in sockets:
        await ws.disconnect()
    assert [of_type(frames, "stream.end")[0]["status"] for frames in ended] == ["complete"] * 5
    assert len({of_type(frames, "conversation.created")[0]["conversation_id"] for frames in ended}) == 5
