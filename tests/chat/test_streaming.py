"""A chat reply over the websocket: frames, storage, coalescing, faults."""
import pytest
from asgiref.sync import sync_to_async

from chat.models import Conversation, Message
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_a_reply_streams_in_protocol_order_and_is_stored(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("Hello there, **alice**!", pieces=6, delay=0.005, usage=(9, 6)))
    ws = await connect(alice)
    frame = send_frame("Hi!")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "conversation.created"
    assert kinds.index("message.created") < kinds.index("stream.start")
    assert kinds.index("stream.start") < kinds.index("stream.delta") < kinds.index("stream.end")
    end = frames[-1]
    assert end["status"] == "complete" and end["finish_reason"] == "stop"
    assert end["content"] == "Hello there, **alice**!"
    assert "<strong>alice</strong>" in end["html"]
    assert "".join(f["content"] for f in of_type(frames, "stream.delta")) == end["content"]
    assert end["usage"] == {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}
    assert end["metrics"]["ttft_ms"] is not None and end["metrics"]["duration_ms"] >= end["metrics"]["ttft_ms"]
    assert end["cost"] == pytest.approx((9 * 1 + 6 * 2) / 1_000_000)
    user_message = of_type(frames, "message.created")[0]["message"]
    assert user_message["role"] == "user" and user_message["content"] == "Hi!"
    stored = await sync_to_async(list)(Message.objects.order_by("id").values("role", "content", "status", "parent_id", "id"))
    assert [(m["role"], m["content"], m["status"]) for m in stored] == [
        ("user", "Hi!", "complete"), ("assistant", "Hello there, **alice**!", "complete")]
    assert stored[1]["parent_id"] == stored[0]["id"]
    conversation = await Conversation.objects.aget()
    assert conversation.title == "Hi!" and conversation.owner_id == alice.pk
    await ws.disconnect()


async def test_the_provider_gets_the_whole_branch_with_the_system_prompt(alice, provider, openai_fake):
    ws = await connect(alice)
    first = send_frame("One", system="Be brief.", params={"temperature": 0.2, "max_tokens": 50})
    await ws.send_json_to(first)
    frames = await frames_until_end(ws, first["request_id"])
    conversation_id = frames[0]["conversation_id"]
    second = send_frame("Two", conversation_id=conversation_id)
    await ws.send_json_to(second)
    await frames_until_end(ws, second["request_id"])
    body = openai_fake.chat_requests()[-1].body
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("system", "Be brief."), ("user", "One"), ("assistant", "Hello from the loopback provider."), ("user", "Two")]
    assert body["temperature"] == 0.2 and body["max_tokens"] == 50  # settings carried over from the first turn
    assert "tools" not in body and "seed" not in body
    await ws.disconnect()


async def test_many_fast_chunks_are_coalesced_into_fewer_frames_with_the_exact_text(alice, provider, openai_fake):
    pieces = [f"t{i} " for i in range(500)]
    openai_fake.enqueue(Reply(text=pieces, delay=0.001))
    ws = await connect(alice)
    frame = send_frame("Count")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"], timeout=20)
    deltas = of_type(frames, "stream.delta")
    assert "".join(d["content"] for d in deltas) == "".join(pieces)
    assert len(deltas) < 150
    offsets = [d["offset"] for d in deltas]
    assert offsets == sorted(offsets) and offsets[0] == 0
    await ws.disconnect()


async def test_a_provider_failure_mid_stream_keeps_the_partial_reply_with_status_error(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("abcdefghij", pieces=10, delay=0.005, drop_after=5))
    ws = await connect(alice)
    frame = send_frame("Go")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    end, error = frames[-2], frames[-1]
    assert end["type"] == "stream.end" and end["status"] == "error"
    assert end["content"] and "abcdefghij".startswith(end["content"]) and end["content"] != "abcdefghij"
    assert error["type"] == "error" and error["code"] == "unavailable" and "Loopback" in error["message"]
    stored = await Message.objects.aget(role="assistant")
    assert stored.status == "error" and stored.content == end["content"] and stored.error_code == "unavailable"
    assert len(openai_fake.chat_requests()) == 1  # never retried after streaming began
    await ws.disconnect()


async def test_a_provider_that_rejects_the_key_ends_the_reply_with_an_error_and_keeps_the_question(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.fail(401, "Invalid API key"))
    ws = await connect(alice)
    frame = send_frame("Hello?")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert frames[-1]["code"] == "provider_auth" and frames[-1]["status"] == 401
    assert "Invalid API key" in frames[-1]["message"]
    assert await Message.objects.filter(role="user", content="Hello?").aexists()
    await ws.disconnect()


async def test_a_rate_limited_request_is_retried_before_the_first_byte(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.fail(429, "slow down", retry_after=0.05), Reply.text_of("finally"))
    ws = await connect(alice)
    frame = send_frame("Hello?")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert frames[-1]["status"] == "complete" and frames[-1]["content"] == "finally"
    assert len(openai_fake.chat_requests()) == 2
    await ws.disconnect()


async def test_frames_get_fuller_when_many_replies_stream_but_never_beyond_the_cap(settings, monkeypatch):
    from chat import generation, running

    settings.PLAYGROUND_COALESCE_SECONDS, settings.PLAYGROUND_COALESCE_STREAMS = 0.02, 25
    settings.PLAYGROUND_COALESCE_MAX_SECONDS = 0.06
    for streams, expected in ((1, 0.02), (25, 0.02), (50, 0.04), (1000, 0.06)):
        monkeypatch.setattr(running, "_by_request", {(1, str(n)): None for n in range(streams)})
        assert generation.coalesce_interval() == pytest.approx(expected)


async def test_a_follow_up_sent_the_moment_a_reply_ends_is_answered_not_refused_as_busy(alice, provider, openai_fake):
    """An API client answers `stream.end` at once; the conversation is free by then (on Redis too, where the end
    reaches a socket of the same process before it is published to the others)."""
    ws = await connect(alice)
    conversation_id = None
    for n in range(5):
        openai_fake.enqueue(Reply.text_of(f"answer {n}"))
        frame = send_frame(f"question {n}", conversation_id)
        await ws.send_json_to(frame)
        frames = [await ws.receive_json_from(timeout=10)]
        while frames[-1]["type"] not in ("stream.end", "error"):
            frames.append(await ws.receive_json_from(timeout=10))
        assert frames[-1]["type"] == "stream.end", frames[-1]  # not `error`: "a reply is still running"
        assert frames[-1]["status"] == "complete" and frames[-1]["content"] == f"answer {n}"
        conversation_id = frames[-1]["conversation_id"]
    assert await Message.objects.filter(conversation_id=conversation_id).acount() == 10
    await ws.disconnect()
