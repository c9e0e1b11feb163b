"""Each frame that used to drop the socket gets one `error` frame; the socket stays open and nothing is stored."""
import json
import logging

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured

from chat import frames
from chat.consumers import ChatConsumer
from chat.experiments.consumer import ExperimentConsumer
from chat.models import Conversation, Message
from chat.sockets import PlaygroundSocket
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = "[" * 100_000 + "]" * 100_000
SEND = send_frame("Hi")


def _with(**fields) -> str:
    return json.dumps({**SEND, **fields})


def _raw_send(field: str, raw_value: str) -> str:
    """A chat.send whose `field` is the raw JSON text given (json.dumps could not even write some of them)."""
    return json.dumps(SEND)[:-1] + f', "{field}": {raw_value}}}'


async def _answer_and_still_open(ws, raw: str, watch_type: str = "conversation.watch", id_name="conversation_id") -> dict:
    """The one answer to `raw`; a watch sent after it is still answered (the socket stayed open)."""
    await ws.send_to(text_data=raw)
    answer = await ws.receive_json_from()
    await ws.send_json_to({"type": watch_type, id_name: 987654})
    follow_up = await ws.receive_json_from()
    assert follow_up["code"] == "not_found" and "987654" in follow_up["message"]
    return answer


async def _nothing_stored():
    assert await Message.objects.acount() == 0 and await Conversation.objects.acount() == 0


@pytest.mark.parametrize("raw", [
    DEEP,
    _raw_send("content", DEEP),
    _raw_send("params", '{"a":' * 5000 + "1" + "}" * 5000),
    _raw_send("tools", "[" * 40 + "]" * 40),
])
async def test_deeply_nested_json_is_refused_before_it_is_parsed(alice, provider, raw, caplog):
    ws = await connect(alice)
    answer = await _answer_and_still_open(ws, raw)
    assert answer["code"] == "bad_request" and "deep" in answer["message"]
    await _nothing_stored()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await ws.disconnect()


async def test_nesting_within_the_limit_and_brackets_inside_text_are_fine(alice, provider):
    schema = {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object"}}}}
    ws = await connect(alice)
    await ws.send_to(text_data=_with(content="[[[[" * 50, response_format={
        "type": "json_schema", "json_schema": {"name": "a", "schema": schema, "strict": True}}))
    assert (await frames_until_end(ws))[-1]["status"] == "complete"
    await ws.disconnect()


@pytest.mark.parametrize("fields", [
    {"conversation_id": [1]},
    {"conversation_id": {"id": 1}},
    {"parent_id": [1]},
    {"request_id": ["r1"]},
    {"request_id": {"a": 1}},
    {"type": ["chat.send"]},
    {"type": {"chat": "send"}},
    {"conversation_id": 2**70},
    {"compare": [["a", "b"], ["c", "d"]]},
])
async def test_a_list_or_object_in_an_id_field_gets_bad_request(alice, provider, fields):
    ws = await connect(alice)
    answer = await _answer_and_still_open(ws, _with(**fields))
    assert answer["type"] == "error" and answer["code"] == "bad_request"
    await _nothing_stored()
    await ws.disconnect()


@pytest.mark.parametrize("frame", [
    {"type": "chat.regenerate", "request_id": "r", "conversation_id": 1, "message_id": [1]},
    {"type": "chat.cancel", "request_id": "r", "conversation_id": {"a": 1}},
    {"type": "chat.cancel", "request_id": ["r"]},
    {"type": "conversation.watch", "conversation_id": [1]},
    {"type": "conversation.unwatch", "conversation_id": {}},
    {"type": "chat.tool_result", "request_id": "r", "conversation_id": 1, "results": [["call_1", "x"]]},
])
async def test_a_wrong_id_in_any_frame_type_gets_bad_request(alice, frame):
    ws = await connect(alice)
    answer = await _answer_and_still_open(ws, json.dumps(frame))
    assert answer["code"] == "bad_request"
    await ws.disconnect()


@pytest.mark.parametrize("fields", [
    {"tool_choice": {"type": "function", "function": "get_weather"}},
    {"tool_choice": ["auto"]},
    {"response_format": {"type": "json_schema", "json_schema": "a schema"}},
    {"response_format": {"type": ["json_schema"]}},
    {"response_format": {"type": "json_schema", "json_schema": {"name": 5, "schema": {"type": "object"}}}},
    {"response_format": {"type": "json_schema", "json_schema": {"strict": "yes", "schema": {"type": "object"}}}},
    {"response_format": {"type": "json_schema", "json_schema": {"schema": {"$schema": 5}}}},
    {"response_format": {"type": "json_schema", "json_schema": {"schema": {"$schema": ["x"]}}}},
    {"tools": [{"type": "function", "function": "get_weather"}]},
    {"tools": [{"type": "function", "function": {"name": "f", "parameters": "none"}}]},
    {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "thing"}}}]},
    {"tools": [{"type": "function", "function": {"name": "f", "description": {"a": 1}}}]},
    {"tools": [{"type": "function", "function": {"name": ["f"]}}]},
    {"tools": ["get_weather"]},
    {"params": {"stop": {"a": "b"}}},
    {"params": ["temperature", 1]},
    {"params": {"temperature": [1]}},
    {"compare": ["a", "b"]},
    {"system": {"text": "hi"}},
    {"parallel_tool_calls": "yes"},
])
async def test_a_nested_field_of_the_wrong_type_gets_bad_request(alice, provider, fields):
    ws = await connect(alice)
    answer = await _answer_and_still_open(ws, _with(**fields))
    assert answer["code"] == "bad_request" and answer["request_id"] == SEND["request_id"]
    await _nothing_stored()
    await ws.disconnect()


@pytest.mark.parametrize("raw", [
    _raw_send("content", r'"\ud800"'),
    _raw_send("content", r'"fine \udfff then"'),
    _raw_send("params", r'{"\ud800": 1}'),
    _raw_send("tools", r'[{"type": "function", "function": {"name": "f", "description": "\udbff"}}]'),
    _raw_send("system", r'"nul \u0000 inside"'),
    _raw_send("params", '{"temperature": NaN}'),
    _raw_send("params", '{"temperature": 1e999}'),
    _raw_send("params", '{"seed": -Infinity}'),
])
async def test_text_the_database_cannot_store_gets_bad_request(alice, provider, raw, caplog):
    ws = await connect(alice)
    answer = await _answer_and_still_open(ws, raw)
    assert answer["code"] == "bad_request"
    await _nothing_stored()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await ws.disconnect()


async def test_a_surrogate_pair_is_ordinary_text(alice, provider):
    ws = await connect(alice)
    await ws.send_to(text_data=_raw_send("content", r'"a smile \ud83d\ude00"'))
    created = of_type(await frames_until_end(ws), "message.created")
    assert created[0]["message"]["content"] == "a smile \U0001F600"
    await ws.disconnect()


async def _experiment_socket(user) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(ExperimentConsumer.as_asgi(), "/ws/experiments/")
    ws.scope["user"] = user
    assert (await ws.connect())[0]
    return ws


@pytest.mark.parametrize("raw", [
    DEEP,
    '{"type": "experiment.watch", "experiment_id": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"type": "experiment.watch", "experiment_id": [1]}',
    '{"type": "experiment.watch", "experiment_id": {"id": 1}}',
    '{"type": ["experiment.watch"], "experiment_id": 1}',
    '{"type": "experiment.watch", "experiment_id": 1180591620717411303424}',
    r'{"type": "experiment.watch", "experiment_id": 1, "note": "\ud800"}',
    '{"type": "experiment.unwatch", "experiment_id": "1"}',
])
async def test_the_experiments_socket_answers_every_bad_frame_and_stays_open(alice, raw, caplog):
    ws = await _experiment_socket(alice)
    answer = await _answer_and_still_open(ws, raw, "experiment.watch", "experiment_id")
    assert answer["code"] == "bad_request"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await ws.disconnect()


class _FailingConsumer(ChatConsumer):
    """The chat socket with a watch handler that fails: stands for a cause not found yet."""

    async def on_watch(self, frame):
        raise RuntimeError("an unforeseen failure")


async def test_an_unexpected_failure_is_logged_and_answered_with_one_error_frame(alice, caplog):
    ws = WebsocketCommunicator(_FailingConsumer.as_asgi(), "/ws/chat/")
    ws.scope["user"] = alice
    await ws.connect()
    await ws.send_json_to({"type": "conversation.watch", "conversation_id": 1})
    answer = await ws.receive_json_from()
    assert answer["code"] == "server_error" and "an unforeseen failure" not in answer["message"]
    assert any("an unforeseen failure" in r.exc_text for r in caplog.records if r.levelno == logging.ERROR)
    await ws.send_json_to({"type": "conversation.unwatch", "conversation_id": [1]})
    assert (await ws.receive_json_from())["code"] == "bad_request"  # still open
    await ws.disconnect()


def test_a_frame_type_without_a_handler_fails_when_the_class_is_made():
    with pytest.raises(ImproperlyConfigured, match="without a handler.*chat.cancel"):
        type("Broken", (PlaygroundSocket,), {"parsers": frames.PARSERS,
                                             "handlers": {k: "on_x" for k in frames.PARSERS if k != "chat.cancel"},
                                             "on_x": lambda self, frame: None})


def test_a_handler_without_a_parser_or_a_method_fails_when_the_class_is_made():
    with pytest.raises(ImproperlyConfigured, match="without a parser.*chat.shout"):
        type("Broken", (ChatConsumer,), {"handlers": {**ChatConsumer.handlers, "chat.shout": "on_send"}})
    with pytest.raises(ImproperlyConfigured, match="no handler method.*on_shout"):
        type("Broken", (ChatConsumer,), {"handlers": {**ChatConsumer.handlers, "chat.send": "on_shout"}})


def test_the_chat_setting_names_are_the_fields_of_settings():
    assert frames.SETTING_NAMES == ("provider", "model", "system", "params", "tools", "tool_choice",
                                    "parallel_tool_calls", "response_format", "mcp_servers", "mode")
    assert frames.CLIENT_TYPES == {"chat.send", "chat.tool_result", "chat.regenerate", "chat.cancel",
                                   "conversation.watch", "conversation.unwatch"}
