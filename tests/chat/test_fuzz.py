"""Property-based fuzzing of both websockets, through the real ASGI stack with a session cookie.

Hypothesis makes frames of every type whose fields hold good values, random JSON
(nested, lists in id fields, lone surrogates, NaN), or nothing. Each frame must
get one answer: an `error` with an allowed code, or its normal reply (silence
for a successful unwatch or cancel; a reply's frames for a turn that was valid).
After it, a watch is still answered (the socket stayed open), no ERROR was
logged, and unless the frame was valid no stored row changed.
"""
import asyncio
import gc
import itertools
import json
import logging

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from hypothesis import HealthCheck, given, settings, strategies as st

from chat import frames
from chat.experiments.consumer import PARSERS as EXPERIMENT_PARSERS
from chat.models import Conversation, Experiment, ExperimentBatch, Message
from playground.asgi import application
from tests.experiments.conftest import make_experiment

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")
ALLOWED_CODES = {"bad_request", "forbidden", "not_found"}
SILENT_WHEN_VALID = {"conversation.unwatch", "chat.cancel", "experiment.unwatch"}
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Random JSON --------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(["\ud800", "a\udfffb", "\x00", "", " ", "[[[", '{"a":', "\\u0000", "é😀"])
TEXT = st.text(st.characters(exclude_categories=()), max_size=12) | ODD_TEXT
NUMBERS = st.integers() | st.integers(min_value=2**62, max_value=2**80) | st.floats()
LEAVES = st.none() | st.booleans() | NUMBERS | TEXT
JSON = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=12)


def _nest(value, depth: int):
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


DEEP = st.tuples(JSON, st.integers(min_value=20, max_value=90)).map(lambda pair: _nest(*pair))
MISSING = object()
BAD = JSON | DEEP | st.just(MISSING)


class Field:
    """A field's good values, and the values of its shape with broken parts inside (both strategies)."""

    def __init__(self, good, broken=None):
        self.good, self.broken = good, broken if broken is not None else good


def nested(make) -> Field:
    """A nested field: `make(part)` builds its shape, where `part(good)` is a part that may be broken."""
    return Field(make(lambda good: good), make(lambda good: good | JSON | DEEP))


# Frames ------------------------------------------------------------------------------


def frame_of(kind: str, required: dict[str, Field], optional: dict[str, Field]) -> st.SearchStrategy:
    """Frames of one type with up to two fields broken (wrong, nested too deep, missing, or bad inside)."""
    names = [*required, *optional]

    @st.composite
    def build(draw):
        frame = {"type": kind if draw(st.integers(0, 19)) else draw(JSON)}
        broken = draw(st.sets(st.sampled_from(names), max_size=2))
        for name in names:
            spec = required.get(name) or optional[name]
            if name in broken:
                value = draw(spec.broken | BAD)
            elif name in required or draw(st.booleans()):
                value = draw(spec.good)
            else:
                continue
            if value is not MISSING:
                frame[name] = value
        if draw(st.integers(0, 4)) == 0:
            frame.update(draw(st.dictionaries(TEXT, JSON, min_size=1, max_size=2)))  # fields nobody asked for
        return frame

    return build()


def chat_frames(ids: dict) -> dict[str, st.SearchStrategy]:
    conversation = Field(st.sampled_from(ids["conversations"]) | st.integers(-3, 3))
    message = Field(st.sampled_from(ids["messages"]) | st.integers(-3, 3))
    request = Field(st.text(max_size=8))
    schema = st.just({"type": "object", "properties": {"a": {"type": "string"}}}) | st.dictionaries(TEXT, JSON)
    settings_fields = {
        "provider": Field(st.just("loopback")), "model": Field(st.just("fake-model")), "system": Field(TEXT),
        "params": nested(lambda part: st.fixed_dictionaries({}, optional={
            "temperature": part(st.floats(0, 2)), "top_p": part(st.floats(0, 1)),
            "max_tokens": part(st.integers(1, 100)), "seed": part(st.integers(0, 2**31)),
            "stop": part(st.lists(TEXT, max_size=4) | TEXT), "presence_penalty": part(st.floats(-2, 2)),
            "frequency_penalty": part(st.floats(-2, 2))})),
        "tools": nested(lambda part: st.lists(st.fixed_dictionaries({"type": st.just("function"), "function": part(
            st.fixed_dictionaries({"name": part(st.from_regex(r"[a-z_]{1,8}", fullmatch=True))}, optional={
                "description": part(TEXT), "parameters": part(schema)}))}), max_size=2)),
        "tool_choice": nested(lambda part: st.sampled_from(frames.TOOL_CHOICES) | st.fixed_dictionaries(
            {"type": st.just("function"), "function": part(st.fixed_dictionaries({"name": part(TEXT)}))})),
        "parallel_tool_calls": Field(st.booleans()),
        "response_format": nested(lambda part: st.fixed_dictionaries(
            {"type": part(st.sampled_from(frames.RESPONSE_TYPES))}, optional={
                "json_schema": part(st.fixed_dictionaries({"schema": part(schema)}, optional={
                    "name": part(TEXT), "strict": part(st.booleans())}))})),
    }
    compare = nested(lambda part: st.lists(st.fixed_dictionaries(
        {"provider": part(st.just("loopback")), "model": part(st.just("fake-model"))}), min_size=2, max_size=4))
    results = nested(lambda part: st.lists(st.fixed_dictionaries(
        {"tool_call_id": part(st.just("call_1") | TEXT), "content": part(TEXT)}), min_size=1, max_size=2))
    turn = {"request_id": request}
    return {
        "chat.send": frame_of("chat.send", {
            **turn, "conversation_id": Field(st.none() | conversation.good), "content": Field(TEXT),
            "provider": settings_fields["provider"], "model": settings_fields["model"]}, {
            "parent_id": Field(st.none() | message.good), "root": Field(st.booleans()), "compare": compare,
            **settings_fields}),
        "chat.tool_result": frame_of("chat.tool_result", {**turn, "conversation_id": conversation, "results": results},
                                     {"parent_id": Field(st.none() | message.good), **settings_fields}),
        "chat.regenerate": frame_of("chat.regenerate", {**turn, "conversation_id": conversation, "message_id": message},
                                    settings_fields),
        "chat.cancel": frame_of("chat.cancel", turn, {"conversation_id": conversation}),
        "conversation.watch": frame_of("conversation.watch", {"conversation_id": conversation}, {}),
        "conversation.unwatch": frame_of("conversation.unwatch", {"conversation_id": conversation}, {}),
    }


def experiment_frames(ids: dict) -> dict[str, st.SearchStrategy]:
    experiment = Field(st.sampled_from(ids["experiments"]) | st.integers(-3, 3))
    return {kind: frame_of(kind, {"experiment_id": experiment}, {}) for kind in ("experiment.watch", "experiment.unwatch")}


def any_frame(by_type: dict) -> st.SearchStrategy:
    """A frame of any type, or something that is not a frame at all; as ("text" or "bytes", payload)."""
    typed = [strategy.map(json.dumps) for strategy in by_type.values()]
    raw = st.one_of(
        *typed * (12 // len(typed)),
        JSON.map(json.dumps), TEXT.filter(bool), JSON.map(lambda v: json.dumps(v, ensure_ascii=False)).filter(bool),
        st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),
        st.integers(1, 5000).map(lambda n: '{"type": "x", "a": ' + '{"b":' * n + "1" + "}" * n + "}"),
    )
    binary = st.tuples(st.just("bytes"), st.binary(min_size=1, max_size=20))
    return st.integers(0, 19).flatmap(lambda n: binary if n == 0 else st.tuples(st.just("text"), raw))


# Driving a socket --------------------------------------------------------------------

_sentinels = itertools.count(10**15)


class Fuzzer:
    """One socket through the ASGI stack, on an event loop of its own (Hypothesis calls a plain function)."""

    def __init__(self, user, path: str, watch: str, id_name: str, tables):
        self.loop = asyncio.new_event_loop()
        client = Client()
        client.force_login(user)
        self.headers = [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
        self.path, self.watch, self.id_name, self.tables = path, watch, id_name, tables
        self.connect()

    def connect(self):
        self.ws = WebsocketCommunicator(application, self.path, headers=self.headers)
        assert self.run(self.ws.connect())[0]

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    def close(self):
        """Disconnect, then end the loop's threads so that no database session outlives the test."""
        self.run(self.ws.disconnect())
        self.run(self.loop.shutdown_default_executor())
        self.loop.close()
        gc.collect()  # the ended threads' database connections close when collected (PostgreSQL drops the test database)

    def stored(self) -> tuple:
        return tuple(table.objects.count() for table in self.tables)

    async def exchange(self, kind: str, payload) -> list[dict]:
        """Send the frame, then a watch of a missing id; the frames received before the watch's answer."""
        sentinel = -next(_sentinels)
        await self.ws.send_to(**{f"{kind}_data": payload})
        await self.ws.send_json_to({"type": self.watch, self.id_name: sentinel})
        received = []
        while True:
            frame = await self.ws.receive_json_from(timeout=10)
            if frame.get("code") == "not_found" and str(sentinel) in frame["message"]:
                return received
            received.append(frame)

    async def finish_replies(self, received: list[dict], count: int) -> None:
        """Read on until each of `count` replies that a valid frame started has ended."""
        while sum(f["type"] == "stream.end" for f in received) < count:
            received.append(await self.ws.receive_json_from(timeout=10))
        if received[-1]["type"] == "stream.end" and received[-1]["status"] == "error":
            received.append(await self.ws.receive_json_from(timeout=10))

    def check(self, example, caplog, legit_types: set[str]):
        kind, payload = example
        if self.ws.future.done():  # an earlier example broke the socket: each example starts with a live one
            self.connect()
        before, newest = self.stored(), Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        errors_before = len([r for r in caplog.records if r.levelno >= logging.ERROR])
        received = self.run(self.exchange(kind, payload))
        replies = Message.objects.filter(pk__gt=newest, role=Message.ASSISTANT).count()
        if replies:  # a valid turn: it was stored and its replies stream to this socket
            self.run(self.finish_replies(received, replies))
            assert {f["type"] for f in received} <= legit_types, received
            assert [f["status"] for f in received if f["type"] == "stream.end"] == ["complete"] * replies
        else:
            assert self.stored() == before
            silent_ok = kind == "text" and _type_of(payload) in SILENT_WHEN_VALID
            assert len(received) == 1 or (silent_ok and not received), received
            for frame in received:
                assert frame["type"] in legit_types or (frame["type"] == "error" and frame["code"] in ALLOWED_CODES), frame
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == errors_before


def _type_of(payload: str):
    try:
        frame = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    kind = frame.get("type") if isinstance(frame, dict) else None
    return kind if isinstance(kind, str) else None


@pytest.fixture
def fuzz_ids(alice, bob, provider):
    """Conversations of every kind the personas meet (own, a teammate's team and private ones) and their messages."""
    ids = {"conversations": [], "messages": []}
    for owner, visibility in ((alice, "private"), (bob, "team"), (bob, "private")):
        conversation = Conversation.objects.create(owner=owner, title="Fuzz", visibility=visibility,
                                                   settings={"provider": "loopback", "model": "fake-model"})
        question = Message.objects.create(conversation=conversation, role=Message.USER, content="Hi", author=owner)
        answer = Message.objects.create(conversation=conversation, role=Message.ASSISTANT, content="", parent=question,
                                        provider="loopback", model="fake-model", finish_reason="tool_calls",
                                        tool_calls=[{"id": "call_1", "name": "f", "arguments": "{}"}])
        ids["conversations"].append(conversation.pk)
        ids["messages"] += [question.pk, answer.pk]
    ids["experiments"] = [make_experiment(alice, [("loopback", "fake-model")]).pk,
                          make_experiment(bob, [("loopback", "fake-model")]).pk]
    return ids


def test_every_chat_frame_gets_one_answer_and_the_socket_stays_open(alice, fuzz_ids, caplog):
    by_type = chat_frames(fuzz_ids)
    assert set(by_type) == frames.CLIENT_TYPES  # every frame type is fuzzed
    fuzzer = Fuzzer(alice, "/ws/chat/", "conversation.watch", "conversation_id", (Conversation, Message))
    legit = {"conversation.state", "conversation.created", "message.created", "stream.start", "stream.delta",
             "stream.tool_call", "stream.end"}
    try:
        FUZZ(given(any_frame(by_type))(lambda example: fuzzer.check(example, caplog, legit)))()
    finally:
        fuzzer.close()


def test_every_experiments_frame_gets_one_answer_and_the_socket_stays_open(alice, fuzz_ids, caplog):
    by_type = experiment_frames(fuzz_ids)
    assert set(by_type) == set(EXPERIMENT_PARSERS)
    fuzzer = Fuzzer(alice, "/ws/experiments/", "experiment.watch", "experiment_id",
                    (Conversation, Message, Experiment, ExperimentBatch))
    try:
        FUZZ(given(any_frame(by_type))(lambda example: fuzzer.check(example, caplog, {"experiment.state"})))()
    finally:
        fuzzer.close()
