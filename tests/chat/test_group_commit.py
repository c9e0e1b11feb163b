"""Turns arriving together are stored together (chat.db.grouped): one transaction, each turn its own fate."""
import asyncio

import pytest
from django.db import transaction

from chat import search, store, turns
from chat.db import db, grouped
from chat.errors import Refused
from chat.frames import parse
from chat.models import Conversation, Message, Preferences
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


@pytest.mark.parametrize("refused", [None, "second"])
async def test_turns_stored_together_each_keep_their_own_fate(bob, provider, monkeypatch, refused):
    """Turns queued behind a batch are inserted a table at a time; if that fails, one at a time: one refused turn
    (an attached image taken meanwhile) stores nothing, the others everything, and their words are searchable."""
    use_images, start_turns, tried, done = store._use_images, store.start_turns, [], []

    def use_images_unless_refused(conversation, ids):
        if conversation.title == refused:
            raise Refused("bad_request", "An attached image was just used in another conversation; attach it again.")
        use_images(conversation, ids)

    def counted_start_turns(new_turns):
        tried.append(len(new_turns))
        stored = start_turns(new_turns)
        done.append(len(stored))
        return stored

    monkeypatch.setattr(store, "_use_images", use_images_unless_refused)
    monkeypatch.setattr(store, "start_turns", counted_start_turns)
    await Preferences.objects.acreate(user=bob, default_visibility=Conversation.PRIVATE)
    planned = [await db(turns.send)(bob, parse(send_frame(title))) for title in ("alone", "first", "second", "third")]
    first = asyncio.ensure_future(grouped(planned[0].commit))
    await asyncio.sleep(0)  # its batch is on its way to the thread; the other three queue behind it
    stored = await asyncio.gather(first, *(grouped(p.commit) for p in planned[1:]), return_exceptions=True)

    assert tried == [3] and done == ([] if refused else [3])  # the three queued turns in one go, or one at a time
    kept = [turn for turn in stored if not isinstance(turn, Exception)]
    if refused:
        assert isinstance(stored[2], Refused) and "attach it again" in stored[2].message
        assert [pk async for pk in Conversation.objects.filter(search.matching(refused)).values_list("pk")] == []
    assert [turn.conversation["title"] for turn in kept] == [t for t in ("alone", "first", "second", "third") if t != refused]
    assert {turn.conversation["visibility"] for turn in kept} == {Conversation.PRIVATE}  # bob's default
    assert await Conversation.objects.acount() == len(kept)
    for turn in kept:
        question, job = turn.messages[0], turn.jobs[0]
        stored_rows = await db(Message.summaries)(Message.objects.filter(conversation_id=turn.conversation["id"]).order_by("id"))
        assert stored_rows == [question, job.row.summary()]  # as message.created and stream.end describe them
        assert (question["content"], job.row.status, job.row.parent_id) == (turn.conversation["title"], "streaming",
                                                                             question["id"])
        assert (job.message_id, job.conversation_id) == (job.row.pk, turn.conversation["id"])
        matching = Conversation.objects.filter(search.matching(turn.conversation["title"])).values_list("pk", flat=True)
        assert [pk async for pk in matching] == [turn.conversation["id"]]
