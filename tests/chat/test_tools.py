"""Tool calls over the websocket: streamed calls, validation, result loops, history shape."""
import json

import pytest

from chat.models import Message
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply, ScriptedCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
                   "required": ["city"], "additionalProperties": False}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}}}


def _two_parallel_calls() -> Reply:
    return Reply(tool_calls=[
        ScriptedCall("call_w", "get_weather", ['{"ci', 'ty": "Pa', 'ris", "da', 'ys": 0}']),
        ScriptedCall("call_t", "get_time", ['{"t', 'z": ', '"UTC"}']),
    ], interleave=True, finish="tool_calls", delay=0.002)


async def test_two_parallel_calls_stream_by_index_and_are_validated_exactly(alice, provider, openai_fake):
    openai_fake.enqueue(_two_parallel_calls())
    ws = await connect(alice)
    frame = send_frame("Weather and time?", tools=[WEATHER, TIME], tool_choice="auto", parallel_tool_calls=True)
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    pieces = of_type(frames, "stream.tool_call")
    for index, expected in ((0, '{"city": "Paris", "days": 0}'), (1, '{"tz": "UTC"}')):
        mine = [p for p in pieces if p["index"] == index]
        assert mine[0]["name"] in ("get_weather", "get_time") and mine[0]["id"]
        assert "".join(p["arguments_delta"] for p in mine) == expected
    end = frames[-1]
    assert end["finish_reason"] == "tool_calls"
    weather, clock = end["tool_calls"]
    assert (weather["id"], weather["name"], weather["arguments"]) == ("call_w", "get_weather", '{"city": "Paris", "days": 0}')
    assert weather["validation"] == {"valid": False, "errors": [{"path": "$.days", "message": "0 is less than the minimum of 1"}]}
    assert clock["validation"] == {"valid": True, "errors": []}
    body = openai_fake.chat_requests()[0].body
    assert body["tools"][0]["function"]["name"] == "get_weather" and body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is True
    await ws.disconnect()


async def test_a_two_round_tool_loop_stores_every_message_and_replays_the_history_shape(alice, provider, openai_fake):
    openai_fake.enqueue(
        Reply(tool_calls=[ScriptedCall("call_1", "get_weather", ['{"city":"Oslo"}'])], finish="tool_calls"),
        Reply(tool_calls=[ScriptedCall("call_2", "get_time", ['{"tz":"CET"}'])], finish="tool_calls"),
        Reply.text_of("Oslo: 3°C at 10:00."),
    )
    ws = await connect(alice)
    first = send_frame("Oslo weather and time", tools=[WEATHER, TIME])
    await ws.send_json_to(first)
    frames = await frames_until_end(ws, first["request_id"])
    conversation_id = frames[0]["conversation_id"]
    for n, (call_id, result) in enumerate((("call_1", '{"temp": 3}'), ("call_2", "10:00")), start=1):
        frame = {"type": "chat.tool_result", "request_id": f"tr{n}", "conversation_id": conversation_id,
                 "results": [{"tool_call_id": call_id, "content": result}]}
        await ws.send_json_to(frame)
        frames = await frames_until_end(ws, f"tr{n}")
        created = of_type(frames, "message.created")[0]["message"]
        assert created["role"] == "tool" and created["tool_call_id"] == call_id
    assert frames[-1]["content"] == "Oslo: 3°C at 10:00."
    roles = [(m.role, m.tool_call_id) async for m in Message.objects.order_by("id")]
    assert roles == [("user", ""), ("assistant", ""), ("tool", "call_1"), ("assistant", ""), ("tool", "call_2"),
                     ("assistant", "")]
    last = openai_fake.chat_requests()[-1].body["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "tool", "assistant", "tool"]
    assert last[1]["tool_calls"] == [{"id": "call_1", "type": "function",
                                      "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]
    assert last[1]["content"] is None
    assert last[2] == {"role": "tool", "content": '{"temp": 3}', "tool_call_id": "call_1"}
    assert last[4]["tool_call_id"] == "call_2"
    assert "tools" in openai_fake.chat_requests()[-1].body  # tools carried over from the conversation's settings
    await ws.disconnect()


async def test_a_result_for_an_unknown_call_is_refused_and_stores_nothing(alice, provider, openai_fake):
    openai_fake.enqueue(Reply(tool_calls=[ScriptedCall("call_1", "get_weather", ['{"city":"Oslo"}'])], finish="tool_calls"))
    ws = await connect(alice)
    first = send_frame("Weather", tools=[WEATHER])
    await ws.send_json_to(first)
    conversation_id = (await frames_until_end(ws, first["request_id"]))[0]["conversation_id"]
    await ws.send_json_to({"type": "chat.tool_result", "request_id": "bad", "conversation_id": conversation_id,
                           "results": [{"tool_call_id": "call_404", "content": "x"}]})
    error = await ws.receive_json_from()
    assert error["code"] == "bad_request" and "call_404" in error["message"]
    assert not await Message.objects.filter(role="tool").aexists()
    await ws.disconnect()


async def test_a_provider_without_tool_streaming_gets_a_plain_request_and_the_ui_still_sees_the_calls(alice, provider,
                                                                                                     openai_fake):
    provider.supports_tool_streaming = False
    await provider.asave()
    openai_fake.enqueue(_two_parallel_calls())
    ws = await connect(alice)
    frame = send_frame("Weather and time?", tools=[WEATHER, TIME],
                       tool_choice={"type": "function", "function": {"name": "get_time"}})
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    body = openai_fake.chat_requests()[0].body
    assert "stream" not in body and body["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert {p["name"] for p in of_type(frames, "stream.tool_call")} == {"get_weather", "get_time"}
    assert [c["name"] for c in frames[-1]["tool_calls"]] == ["get_weather", "get_time"]
    await ws.disconnect()


async def test_structured_output_is_validated_with_json_paths(alice, provider, openai_fake):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"]}
    openai_fake.enqueue(Reply.text_of('{"name": "Ada", "age": "old"}', pieces=4), Reply.text_of("not json at all"))
    ws = await connect(alice)
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}}
    frame = send_frame("Who?", response_format=fmt)
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert frames[-1]["structured"] == {"valid": False, "value": {"name": "Ada", "age": "old"},
                                        "errors": [{"path": "$.age", "message": "'old' is not of type 'integer'"}]}
    assert openai_fake.chat_requests()[0].body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "person", "schema": schema, "strict": True}}
    again = send_frame("Again", conversation_id=frames[0]["conversation_id"])
    await ws.send_json_to(again)
    frames = await frames_until_end(ws, again["request_id"])
    assert frames[-1]["structured"]["valid"] is False and frames[-1]["structured"]["errors"][0]["path"] == "$"
    await ws.disconnect()


async def test_a_model_without_json_schema_gets_the_declared_fallback(alice, provider, openai_fake):
    provider.supports_json_schema = False
    await provider.asave()
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    openai_fake.enqueue(Reply.text_of('{"ok": true}'))
    ws = await connect(alice)
    frame = send_frame("Fine?", response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": schema}})
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    body = openai_fake.chat_requests()[0].body
    assert body["response_format"] == {"type": "json_object"}
    assert json.dumps(schema, indent=1) in body["messages"][0]["content"] and body["messages"][0]["role"] == "system"
    assert "json_object" in frames[-1]["fallback"] and of_type(frames, "stream.start")[0]["fallback"]
    assert frames[-1]["structured"] == {"valid": True, "errors": [], "value": {"ok": True}}
    assert (await Message.objects.aget(role="assistant")).fallback
    await ws.disconnect()


async def test_results_for_an_older_branch_answer_that_branch(alice, provider, openai_fake):
    """Extension: `parent_id` names the assistant message answered, so a regenerated sibling can wait."""
    openai_fake.enqueue(
        Reply(tool_calls=[ScriptedCall("call_1", "get_weather", ['{"city":"Oslo"}'])], finish="tool_calls"),
        Reply(tool_calls=[ScriptedCall("call_2", "get_weather", ['{"city":"Bergen"}'])], finish="tool_calls"),
        Reply.text_of("Oslo: 3°C."),
    )
    ws = await connect(alice)
    first = send_frame("Weather", tools=[WEATHER])
    await ws.send_json_to(first)
    end = (await frames_until_end(ws, first["request_id"]))[-1]
    conversation_id, older = end["conversation_id"], end["message_id"]
    await ws.send_json_to({"type": "chat.regenerate", "request_id": "again", "conversation_id": conversation_id,
                           "message_id": older})
    await frames_until_end(ws, "again")
    await ws.send_json_to({"type": "chat.tool_result", "request_id": "tr", "conversation_id": conversation_id,
                           "parent_id": older, "results": [{"tool_call_id": "call_1", "content": "3"}]})
    frames = await frames_until_end(ws, "tr")
    tool = of_type(frames, "message.created")[0]["message"]
    assert (tool["parent_id"], tool["tool_call_id"]) == (older, "call_1")
    assert frames[-1]["content"] == "Oslo: 3°C."
    sent = openai_fake.chat_requests()[-1].body["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1" and sent[2]["tool_call_id"] == "call_1"
    await ws.disconnect()


async def test_a_forced_tool_choice_on_a_model_that_ignores_it_is_declared_not_silent(alice, provider, openai_fake):
    provider.supports_tool_choice = False
    await provider.asave()
    openai_fake.enqueue(Reply.text_of("I chose not to call it."))
    ws = await connect(alice)
    frame = send_frame("Weather?", tools=[WEATHER], tool_choice="required")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert openai_fake.chat_requests()[0].body["tool_choice"] == "auto"
    assert "tool_choice 'required' unsupported" in frames[-1]["fallback"]
    await ws.disconnect()


async def test_tools_sent_as_an_empty_list_are_removed_from_the_conversation(alice, provider, openai_fake):
    ws = await connect(alice)
    first = send_frame("With tools", tools=[WEATHER], tool_choice="auto")
    await ws.send_json_to(first)
    conversation_id = (await frames_until_end(ws, first["request_id"]))[0]["conversation_id"]
    cleared = send_frame("Without", conversation_id=conversation_id, tools=[])
    await ws.send_json_to(cleared)
    await frames_until_end(ws, cleared["request_id"])
    later = send_frame("Still without", conversation_id=conversation_id)
    await ws.send_json_to(later)
    await frames_until_end(ws, later["request_id"])
    bodies = [r.body for r in openai_fake.chat_requests()]
    assert "tools" in bodies[0] and "tools" not in bodies[1] and "tools" not in bodies[2]
    assert "tool_choice" not in bodies[1]
    await ws.disconnect()
