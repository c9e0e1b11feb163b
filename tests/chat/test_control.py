"""Cancel, watch, resume, one reply at a time, and bad frames."""
import asyncio
import json

import pytest

from chat.models import Conversation, Message
from tests.chat.wsclient import connect, frames_until, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_cancel_closes_the_upstream_stream_and_keeps_the_partial_reply(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("x" * 200, pieces=200, delay=0.02))
    ws = await connect(alice)
    frame = send_frame("Long story please")
    await ws.send_json_to(frame)
    await frames_until(ws, "stream.delta")
    await ws.send_json_to({"type": "chat.cancel", "request_id": frame["request_id"]})
    frames = await frames_until_end(ws, frame["request_id"])
    end = frames[-1]
    assert end["status"] == "cancelled" and end["finish_reason"] == "cancelled"
    assert 0 < len(end["content"]) < 200
    assert await asyncio.to_thread(openai_fake.wait_for, lambda: openai_fake.disconnects >= 1, 3)
    stored = await Message.objects.aget(role="assistant")
    assert stored.status == "cancelled" and stored.content == end["content"]
    await ws.disconnect()


async def test_a_closed_tab_does_not_stop_the_reply(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("still here", pieces=5, delay=0.03))
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Hi"))
    await frames_until(ws, "stream.start")
    await ws.disconnect()
    for _ in range(100):
        if await Message.objects.filter(role="assistant", status="complete").aexists():
            break
        await asyncio.sleep(0.05)
    stored = await Message.objects.aget(role="assistant")
    assert stored.status == "complete" and stored.content == "still here"
    assert openai_fake.disconnects == 0


async def test_a_teammate_watching_a_team_conversation_gets_the_same_frames(alice, bob, provider, openai_fake):
    ws = await connect(alice)
    first = send_frame("Hi")
    await ws.send_json_to(first)
    conversation_id = (await frames_until_end(ws, first["request_id"]))[0]["conversation_id"]
    watcher = await connect(bob)
    await watcher.send_json_to({"type": "conversation.watch", "conversation_id": conversation_id})
    state = await watcher.receive_json_from()
    assert state["type"] == "conversation.state" and state["streaming"] == []
    openai_fake.enqueue(Reply.text_of("shared with the team", pieces=5, delay=0.01))
    second = send_frame("Again", conversation_id=conversation_id)
    await ws.send_json_to(second)
    mine = await frames_until_end(ws, second["request_id"])
    theirs = await frames_until_end(watcher, second["request_id"])
    assert [f["type"] for f in theirs] == [f["type"] for f in mine]
    assert theirs[-1]["content"] == "shared with the team" == mine[-1]["content"]
    await ws.disconnect()
    await watcher.disconnect()


async def test_a_client_that_reconnects_resumes_from_the_content_so_far(alice, provider, openai_fake):
    text = "".join(f"w{i} " for i in range(40))
    openai_fake.enqueue(Reply.text_of(text, pieces=40, delay=0.02))
    ws = await connect(alice)
    frame = send_frame("Go")
    await ws.send_json_to(frame)
    start = of_type(await frames_until(ws, "stream.delta"), "conversation.created")[0]
    await ws.disconnect()
    again = await connect(alice)
    await again.send_json_to({"type": "conversation.watch", "conversation_id": start["conversation_id"]})
    state = await again.receive_json_from()
    assert state["type"] == "conversation.state" and len(state["streaming"]) == 1
    content = state["streaming"][0]["content"]
    assert content and text.startswith(content)
    frames = await frames_until_end(again, frame["request_id"])
    for delta in of_type(frames, "stream.delta"):  # offsets let a client skip what it already has
        if delta["offset"] + len(delta["content"]) > len(content):
            content += delta["content"][len(content) - delta["offset"]:]
    assert content == text == frames[-1]["content"]
    await again.disconnect()


async def test_only_one_reply_streams_in_a_conversation_at_a_time(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("slow reply", pieces=10, delay=0.05))
    ws = await connect(alice)
    first = send_frame("One")
    await ws.send_json_to(first)
    created = await frames_until(ws, "stream.start")
    conversation_id = created[0]["conversation_id"]
    second = send_frame("Two", conversation_id=conversation_id)
    await ws.send_json_to(second)
    frames = await frames_until_end(ws, first["request_id"])
    errors = [f for f in frames if f["type"] == "error" and f["request_id"] == second["request_id"]]
    assert errors and errors[0]["code"] == "bad_request"
    assert not await Message.objects.filter(content="Two").aexists()
    await ws.disconnect()


async def test_regenerate_makes_a_sibling_reply_and_edit_makes_a_branch(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("first answer"), Reply.text_of("second answer"), Reply.text_of("edited answer"))
    ws = await connect(alice)
    first = send_frame("Question")
    await ws.send_json_to(first)
    frames = await frames_until_end(ws, first["request_id"])
    conversation_id = frames[0]["conversation_id"]
    question = of_type(frames, "message.created")[0]["message"]
    answer_id = frames[-1]["message_id"]
    regen = {"type": "chat.regenerate", "request_id": "regen-1", "conversation_id": conversation_id, "message_id": answer_id}
    await ws.send_json_to(regen)
    second = await frames_until_end(ws, "regen-1")
    assert second[-1]["content"] == "second answer"
    sibling = await Message.objects.aget(pk=second[-1]["message_id"])
    assert sibling.parent_id == question["id"] and sibling.pk != answer_id
    edit = send_frame("Better question", conversation_id=conversation_id, root=True)
    await ws.send_json_to(edit)
    edited = await frames_until_end(ws, edit["request_id"])
    new_question = of_type(edited, "message.created")[0]["message"]
    assert new_question["parent_id"] is None and new_question["id"] != question["id"]
    assert openai_fake.chat_requests()[-1].body["messages"] == [{"role": "user", "content": "Better question"}]
    await ws.disconnect()


@pytest.mark.parametrize("raw", [
    "not json", "[1, 2]", json.dumps({"type": "chat.fly"}), json.dumps({"type": "chat.send", "request_id": "x"}),
    json.dumps({"type": "chat.send", "request_id": "x", "conversation_id": "seven", "content": "hi"}),
    json.dumps({"type": "chat.send", "request_id": "x", "conversation_id": None, "content": "hi",
                "params": {"temperature": "hot"}}),
])
async def test_a_malformed_frame_gets_bad_request_and_changes_nothing(alice, provider, raw):
    ws = await connect(alice)
    await ws.send_to(text_data=raw)
    frame = await ws.receive_json_from()
    assert frame["type"] == "error" and frame["code"] == "bad_request" and frame["message"]
    assert await Message.objects.acount() == 0 and await Conversation.objects.acount() == 0
    await ws.send_json_to({"type": "conversation.watch", "conversation_id": 12345})
    assert (await ws.receive_json_from())["code"] == "not_found"  # the connection stays open
    await ws.disconnect()


async def test_a_frame_over_the_size_limit_is_refused(alice, provider, settings):
    settings.PLAYGROUND_MAX_FRAME_BYTES = 1024
    ws = await connect(alice)
    await ws.send_json_to(send_frame("x" * 2000))
    frame = await ws.receive_json_from()
    assert frame["code"] == "bad_request" and "1024" in frame["message"]
    assert await Message.objects.acount() == 0
    await ws.disconnect()


async def test_an_unknown_or_disabled_model_is_refused_with_a_clear_error(alice, provider):
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Hi", model="no-such-model"))
    frame = await ws.receive_json_from()
    assert frame["code"] == "not_found" and "no-such-model" in frame["message"]
    provider.enabled = False
    await provider.asave()
    await ws.send_json_to(send_frame("Hi"))
    frame = await ws.receive_json_from()
    assert frame["code"] == "forbidden" and "disabled" in frame["message"]
    assert await Message.objects.acount() == 0
    await ws.disconnect()


async def test_tools_on_a_model_without_tool_support_are_refused_before_sending(alice, provider, openai_fake):
    provider.supports_tools = False
    await provider.asave()
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Weather?", tools=[tool]))
    frame = await ws.receive_json_from()
    assert frame["code"] == "bad_request" and "does not support tools" in frame["message"]
    assert openai_fake.chat_requests() == [] and await Message.objects.acount() == 0
    await ws.disconnect()


async def test_a_stalled_provider_times_out_and_keeps_what_arrived(alice, provider, openai_fake):
    provider.idle_timeout_seconds = 0.4
    await provider.asave()
    openai_fake.enqueue(Reply.text_of("abcdef", pieces=6, stall_after=4, stall_seconds=5))
    ws = await connect(alice)
    frame = send_frame("Hi")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert frames[-2]["status"] == "error" and frames[-1]["code"] == "timeout"
    assert frames[-2]["content"] == "abc"
    await ws.disconnect()


async def test_a_cancel_reaches_a_reply_running_in_another_process(alice, provider, openai_fake, settings, monkeypatch):
    """Two processes are simulated by hiding the reply from the cancelling consumer's registry."""
    from chat import running

    settings.PLAYGROUND_CROSS_PROCESS_CANCEL = True
    openai_fake.enqueue(Reply.text_of("y" * 100, pieces=100, delay=0.02))
    ws = await connect(alice)
    frame = send_frame("Long")
    await ws.send_json_to(frame)
    conversation_id = (await frames_until(ws, "stream.delta"))[0]["conversation_id"]
    monkeypatch.setattr(running, "find", lambda user_id, request_id: None)
    other = await connect(alice)
    await other.send_json_to({"type": "chat.cancel", "request_id": frame["request_id"], "conversation_id": conversation_id})
    frames = await frames_until_end(ws, frame["request_id"])
    assert frames[-1]["status"] == "cancelled" and len(frames[-1]["content"]) < 100
    await ws.disconnect()
    await other.disconnect()
