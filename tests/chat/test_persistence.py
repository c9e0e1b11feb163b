"""The hot path writes little: no database write per token; crashed replies are recovered."""
import threading

import pytest
from django.core.management import call_command
from django.db.backends.signals import connection_created

from chat.models import Conversation, Message
from chat.recovery import mark_interrupted_replies
from tests.chat.wsclient import connect, frames_until_end, send_frame
from tests.fakes.script import Reply


class WriteCounter:
    """Counts INSERT/UPDATE/DELETE statements on every connection, whichever thread opens it."""

    def __init__(self):
        self.writes: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            with self._lock:
                self.writes.append(sql.split(" ", 3)[2] if sql.startswith("UPDATE") else sql[:40])
        return execute(sql, params, many, context)

    def install(self, sender, connection, **kwargs):
        connection.execute_wrappers.append(self)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_reply_of_300_tokens_costs_a_handful_of_writes_not_one_per_token(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_CHECKPOINT_SECONDS = 0.25
    openai_fake.enqueue(Reply(text=[f"tok{i} " for i in range(300)], delay=0.002))
    counter = WriteCounter()
    connection_created.connect(counter.install)
    try:
        ws = await connect(alice)
        frame = send_frame("Stream a lot")
        await ws.send_json_to(frame)
        frames = await frames_until_end(ws, frame["request_id"], timeout=20)
        await ws.disconnect()
    finally:
        connection_created.disconnect(counter.install)
    duration_s = frames[-1]["metrics"]["duration_ms"] / 1000
    checkpoints = int(duration_s / settings.PLAYGROUND_CHECKPOINT_SECONDS) + 1
    # the turn: conversation + user message + its conversation update; the reply: create + finalize
    assert 4 <= len(counter.writes) <= 5 + checkpoints, counter.writes
    assert len(counter.writes) < 300 / 10
    assert (await Message.objects.aget(role="assistant")).content == "".join(f"tok{i} " for i in range(300))


@pytest.mark.django_db
def test_replies_left_streaming_by_a_dead_process_become_interrupted_with_their_text(alice):
    conversation = Conversation.objects.create(owner=alice, title="t")
    question = Message.objects.create(conversation=conversation, role="user", content="q")
    reply = Message.objects.create(conversation=conversation, parent=question, role="assistant",
                                   status="streaming", content="half an ans")
    assert mark_interrupted_replies() == 1
    reply.refresh_from_db()
    assert reply.status == "interrupted" and reply.content == "half an ans" and reply.error_message
    question.refresh_from_db()
    assert question.status == "complete"


@pytest.mark.django_db
def test_bootstrap_recovers_interrupted_replies(alice):
    conversation = Conversation.objects.create(owner=alice, title="t")
    Message.objects.create(conversation=conversation, role="assistant", status="streaming", content="x")
    call_command("bootstrap")
    assert Message.objects.get().status == "interrupted"
