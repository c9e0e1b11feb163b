"""Whatever happens while a reply runs or finishes, it ends: a final status, `stream.end`, small frames."""
import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async

from chat import store
from chat.models import Message
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply, ScriptedCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

DAPHNE_FRAME_LIMIT = 1024 * 1024


async def test_a_failure_in_the_finishing_step_still_ends_the_reply_with_its_text(alice, provider, openai_fake,
                                                                                  monkeypatch):
    def broken_finalize(*args, **kwargs):
        raise RuntimeError("the database went away while finishing")

    monkeypatch.setattr(store, "finalize_reply", broken_finalize)
    openai_fake.enqueue(Reply.text_of("partial answer", pieces=3))
    ws = await connect(alice)
    frame = send_frame("Hi")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    end, error = of_type(frames, "stream.end")[0], of_type(frames, "error")[0]
    assert end["status"] == "error" and end["content"] == "partial answer"
    assert error["code"] == "provider_error" and "storing this reply" in error["message"]
    stored = await Message.objects.aget(role="assistant")
    assert stored.status == "error" and stored.content == "partial answer"
    await ws.disconnect()


async def test_a_long_reply_ends_with_a_small_frame_and_is_stored_whole(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_MAX_END_CHARS = 10_000
    text = "word " * 60_000  # 300 KB: its content and html once each would pass the limit
    openai_fake.enqueue(Reply.text_of(text, pieces=30))
    ws = await connect(alice)
    frame = send_frame("Write a lot")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    end = of_type(frames, "stream.end")[0]
    assert end["status"] == "complete" and end["content_omitted"] is True and "content" not in end
    assert "".join(d["content"] for d in of_type(frames, "stream.delta")) == text
    stored = await Message.objects.aget(role="assistant")
    assert stored.content == text and stored.status == "complete"
    await ws.disconnect()


async def test_one_huge_delta_is_split_into_frames_under_the_socket_limit(alice, provider, openai_fake):
    text = "é" * 600_000  # one delta of 3.6 MB once JSON escapes each character
    openai_fake.enqueue(Reply(text=[text]))
    ws = await connect(alice)
    frame = send_frame("One big piece")
    await ws.send_json_to(frame)
    raw, pieces = [], []
    while True:
        message = await ws.receive_from(timeout=20)
        raw.append(message)
        decoded = json.loads(message)
        if decoded["type"] == "stream.delta":
            pieces.append(decoded)
        if decoded["type"] == "stream.end":
            break
    assert max(len(m.encode()) for m in raw) < DAPHNE_FRAME_LIMIT
    assert "".join(p["content"] for p in pieces) == text
    assert [p["offset"] for p in pieces] == [sum(len(p["content"]) for p in pieces[:n]) for n in range(len(pieces))]
    await ws.disconnect()


async def test_a_reply_over_the_maximum_length_is_cut_with_a_clear_finish_reason(alice, provider, openai_fake,
                                                                                 settings):
    settings.PLAYGROUND_MAX_REPLY_CHARS = 1000
    openai_fake.enqueue(Reply.text_of("z" * 5000, pieces=50, delay=0.005))
    ws = await connect(alice)
    frame = send_frame("Never stop")
    await ws.send_json_to(frame)
    end = of_type(await frames_until_end(ws, frame["request_id"]), "stream.end")[0]
    assert end["status"] == "complete" and end["finish_reason"] == "max_reply_chars"
    assert end["content"] == "z" * 1000
    stored = await Message.objects.aget(role="assistant")
    assert stored.content == "z" * 1000 and stored.finish_reason == "max_reply_chars"
    await ws.disconnect()


async def test_a_teammate_reusing_a_request_id_never_takes_the_reply_from_its_sender(alice, bob, provider,
                                                                                       openai_fake):
    for _ in range(2):  # whichever request reaches the fake first
        openai_fake.enqueue(Reply.text_of("x" * 200, pieces=200, delay=0.01))
    alice_ws, bob_ws = await connect(alice), await connect(bob)
    frame = send_frame("Alice asks")
    await alice_ws.send_json_to(frame)
    await bob_ws.send_json_to({**send_frame("Bob asks"), "request_id": frame["request_id"]})
    await bob_ws.receive_json_from(timeout=5)  # his conversation exists: both replies run
    await alice_ws.send_json_to({"type": "chat.cancel", "request_id": frame["request_id"]})
    alice_frames = await frames_until_end(alice_ws, frame["request_id"])
    bob_frames = await frames_until_end(bob_ws, frame["request_id"])
    assert not of_type(alice_frames, "error")
    assert of_type(alice_frames, "stream.end")[0]["status"] == "cancelled"
    bob_end = of_type(bob_frames, "stream.end")[0]
    assert bob_end["status"] == "complete" and bob_end["content"] == "x" * 200
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_a_cancel_sent_while_the_turn_is_being_stored_still_stops_the_reply(alice, provider, openai_fake,
                                                                                  monkeypatch):
    from chat import store

    start_turn = store.start_turn
    ws = await connect(alice)
    frame = send_frame("Stop me at once")

    def slow_commit(*args, **kwargs):  # the cancel arrives while this turn is being stored
        asyncio.run_coroutine_threadsafe(ws.send_json_to({"type": "chat.cancel", "request_id": frame["request_id"]}),
                                         loop).result(5)
        time.sleep(0.2)
        return start_turn(*args, **kwargs)

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(store, "start_turn", slow_commit)
    # a reply that goes silent for 30 s after its first pieces: on a loaded machine the cancel is handled after the turn is
    # stored, and must still find it streaming
    openai_fake.enqueue(Reply.text_of("x" * 20, pieces=20, delay=0.1, stall_after=3))
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert not of_type(frames, "error")
    end = of_type(frames, "stream.end")[0]
    assert end["status"] == "cancelled", (end["content"], len(openai_fake.chat_requests()))
    await ws.disconnect()


@pytest.mark.parametrize("reply", [
    Reply.text_of("Hello **there**", pieces=3, reasoning=["Thinking ", "it over."], usage=(9, 6)),
    Reply(tool_calls=[ScriptedCall("call_1", "lookup", ['{"q": ', '"zebra"}'])], finish="tool_calls"),
    Reply.fail(500, "upstream broke"),
], ids=["text", "tool_call", "error"])
async def test_the_end_frame_describes_the_reply_as_stored(alice, provider, openai_fake, reply):
    openai_fake.enqueue(reply)
    ws = await connect(alice)
    frame = send_frame("Hi")
    await ws.send_json_to(frame)
    end = of_type(await frames_until_end(ws, frame["request_id"]), "stream.end")[0]
    await ws.disconnect()
    stored = await sync_to_async(Message.summaries)(Message.objects.filter(pk=end["message_id"]))
    assert end["message"] == {k: v for k, v in stored[0].items() if k not in ("content", "html", "reasoning", "logprobs")}
    assert (end["content"], end["html"], end["reasoning"]) == (stored[0]["content"], stored[0]["html"],
                                                               stored[0]["reasoning"] or "")
