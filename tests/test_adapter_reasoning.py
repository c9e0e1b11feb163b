"""Reasoning through every adapter and its loopback fake: streamed and whole, sent back on the next turn the
way each API requires, asked for only from a model with the capability, counted in usage, shown in View code.
"""
import json
from dataclasses import replace

import httpx
import pytest

from providers.registry import get_adapter
from providers.secrets import Secret
from providers.streaming import collect
from providers.types import (
    BAD_REQUEST,
    ChatRequest,
    Message,
    Params,
    ProviderError,
    ReasoningDelta,
    ResponseFormat,
    TextDelta,
    Tool,
    ToolChoice,
)
from tests.fakes.registry import CASES, REASONING_CONTROLS, TEST_KEY, make_config
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.timeout(30)

WEATHER = Tool("get_weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}})
THOUGHT = ["Six times seven: ", "six sevens are ", "forty-two."]
CONTROLS = Params(reasoning_effort="high", thinking_budget=2048, think=True)
# What each format sends for CONTROLS, in its own shape.
SENT_CONTROLS = {
    "openai": {"reasoning_effort": "high"},
    "azure": {"reasoning_effort": "high"},
    "anthropic": {"thinking": {"type": "enabled", "budget_tokens": 2048}},
    "gemini": {"includeThoughts": True, "thinkingBudget": 2048},
    "ollama": {"think": "high"},
}
REPORTS_REASONING_TOKENS = {"openai", "azure", "gemini"}  # the others count them in the output tokens only


@pytest.fixture(params=[c for c in CASES if c.kind in REASONING_CONTROLS], ids=str)
def case(request):
    return request.param


@pytest.fixture
def fake(case):
    with case.fake_class() as server:
        yield server


def thinking(config, on: bool = True):
    return replace(config, capabilities=replace(config.capabilities, reasoning=on))


@pytest.fixture
def adapter(case, fake):
    """The adapter of a model with the reasoning capability."""
    return get_adapter(thinking(case.config(fake)))


def ask(*messages: Message, **kwargs) -> ChatRequest:
    kwargs.setdefault("params", Params(think=True))
    return ChatRequest(model="fake-model", messages=list(messages or [Message("user", "6 x 7?")]), **kwargs)


def sent(fake) -> dict:
    return fake.chat_requests()[-1].body


# Every format ----------------------------------------------------------------------------------------


async def test_it_streams_reasoning_apart_from_the_answer(adapter, fake):
    fake.enqueue(Reply(text=["The answer ", "is 42."], reasoning=THOUGHT))
    events = [event async for event in adapter.stream_chat(ask())]
    thoughts = [e.text for e in events if isinstance(e, ReasoningDelta) and e.text]
    assert "".join(thoughts) == "".join(THOUGHT)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "The answer is 42."
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert all(i < first_text for i, e in enumerate(events) if isinstance(e, ReasoningDelta) and e.text)


async def test_a_whole_reply_keeps_reasoning_apart(adapter, fake):
    fake.enqueue(Reply(text=["The answer ", "is 42."], reasoning=THOUGHT))
    result = await adapter.chat(ask())
    assert (result.reasoning, result.content) == ("".join(THOUGHT), "The answer is 42.")


async def test_a_key_quoted_in_the_reasoning_never_comes_out(adapter, fake):
    leaky = ["I was called with ", TEST_KEY[:9], TEST_KEY[9:] + " so", " I answer."]
    fake.enqueue(Reply(text=["42."], reasoning=leaky), Reply(text=["42."], reasoning=leaky))
    for result in (await collect(adapter.stream_chat(ask())), await adapter.chat(ask())):
        assert result.reasoning == "I was called with **** so I answer." and result.content == "42."


async def test_a_model_with_the_capability_gets_the_controls_its_api_has(adapter, fake, case):
    await collect(adapter.stream_chat(ask(params=CONTROLS)))
    assert REASONING_CONTROLS[case.kind](sent(fake)) == SENT_CONTROLS[case.kind]


async def test_a_model_without_the_capability_never_gets_reasoning_fields(fake, case):
    plain = get_adapter(thinking(case.config(fake), on=False))
    await collect(plain.stream_chat(ask(params=CONTROLS)))
    assert REASONING_CONTROLS[case.kind](sent(fake)) == {}


async def test_reasoning_tokens_are_counted_within_the_output_tokens(adapter, fake, case):
    fake.enqueue(Reply(text=["42."], reasoning=THOUGHT, usage=(10, 30), reasoning_tokens=20))
    streamed = await collect(adapter.stream_chat(ask()))
    fake.enqueue(Reply(text=["42."], reasoning=THOUGHT, usage=(10, 30), reasoning_tokens=20))
    whole = await adapter.chat(ask())
    for result in (streamed, whole):
        assert result.usage.completion_tokens == 30  # what the price is applied to
        assert result.usage.reasoning_tokens == (20 if case.kind in REPORTS_REASONING_TOKENS else None)


async def test_a_tool_loop_sends_the_reasoning_back_as_its_api_requires(adapter, fake):
    """Anthropic wants the signed thinking blocks, Gemini its signatures; DeepSeek refuses reasoning_content."""
    fake.enqueue(Reply(reasoning=THOUGHT, tool_calls=[ScriptedCall("call_1", "get_weather", ['{"city": "Oslo"}'])],
                       finish="tool_calls"))
    first = await collect(adapter.stream_chat(ask(tools=(WEATHER,))))
    assert first.reasoning == "".join(THOUGHT) and first.tool_calls
    history = [Message("user", "6 x 7?"),
               Message("assistant", "", tool_calls=tuple(first.tool_calls), reasoning=first.reasoning,
                       reasoning_extra=first.reasoning_extra),
               Message("tool", '{"temp_c": 3}', tool_call_id=first.tool_calls[0].id, name="get_weather")]
    fake.enqueue(Reply(text=["3 °C."], reasoning=["It is cold."]))
    second = await collect(adapter.stream_chat(ask(*history, tools=(WEATHER,))))
    assert (second.content, second.reasoning) == ("3 °C.", "It is cold.")


VALUES = {"reasoning_effort": ("low", "high"), "thinking_budget": (0, 2048), "think": (True, False)}


def declares_what_it_sends(adapter) -> None:
    """A control is declared exactly when some value of it changes the request."""
    baseline = adapter.request_sample(ask(params=Params())).body
    for name, values in VALUES.items():
        bodies = [adapter.request_sample(ask(params=Params(**{name: value}))).body for value in values]
        assert any(body != baseline for body in bodies) == (name in adapter.reasoning_controls()), name


async def test_it_declares_the_reasoning_controls_its_api_has(adapter):
    declares_what_it_sends(adapter)


async def test_its_code_samples_carry_the_reasoning_controls(fake, case):
    config = thinking(replace(case.config(fake), api_key=Secret(lambda: "$SAMPLE_KEY")))
    samples = get_adapter(config).code_samples(ask(params=CONTROLS), "SAMPLE_KEY")
    assert REASONING_CONTROLS[case.kind](samples["body"]) == SENT_CONTROLS[case.kind]
    compile(samples["python"], f"{case.kind}-sample.py", "exec")
    wire_name = next(iter(SENT_CONTROLS[case.kind]))
    assert wire_name in samples["python"] and wire_name in samples["curl"]


# OpenAI-compatible servers -------------------------------------------------------------------------------


@pytest.fixture
def served():
    """Start the fake of a kind; returns (fake, adapter of a model with the reasoning capability)."""
    started = []

    def start(kind: str, reasoning: bool = True, **options):
        server = next(c for c in CASES if c.kind == kind).fake_class()
        started.append(server)
        return server, get_adapter(thinking(make_config(kind, server, **options), reasoning))

    yield start
    for server in started:
        server.close()


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "think"])
async def test_openai_compatible_reasoning_in_each_shape_servers_send_it(served, field):
    fake, adapter = served("openai")
    fake.reasoning_field = field
    for _ in range(2):
        fake.enqueue(Reply(text=["The answer ", "is 42."], reasoning=["<6 x 7>: ", "forty-two"]))
    streamed, whole = await collect(adapter.stream_chat(ask())), await adapter.chat(ask())
    for result in (streamed, whole):
        assert (result.reasoning, result.content) == ("<6 x 7>: forty-two", "The answer is 42.")


async def test_openai_compatible_servers_never_get_reasoning_back(served):
    fake, adapter = served("openai")
    history = [Message("user", "6 x 7?"), Message("assistant", "42.", reasoning="six sevens"), Message("user", "And 6 x 8?")]
    fake.enqueue(Reply.text_of("48."))
    assert (await collect(adapter.stream_chat(ask(*history)))).content == "48."
    assert all(set(m) <= {"role", "content"} for m in sent(fake)["messages"])
    # The fake refuses it as DeepSeek does, so the check above means something.
    messages = [{"role": "assistant", "content": "42.", "reasoning_content": "six sevens"}, {"role": "user", "content": "?"}]
    answer = httpx.post(f"{fake.base_url}/chat/completions", json={"model": "fake-model", "messages": messages})
    assert answer.status_code == 400 and "reasoning_content" in answer.text


async def test_openrouter_takes_the_controls_in_one_reasoning_object(served):
    fake, adapter = served("openai", reasoning_format="openrouter")
    await collect(adapter.stream_chat(ask(params=CONTROLS)))
    assert sent(fake)["reasoning"] == {"effort": "high", "enabled": True}
    await collect(adapter.stream_chat(ask(params=Params(thinking_budget=1500))))
    assert sent(fake)["reasoning"] == {"max_tokens": 1500}
    python = adapter.code_samples(ask(params=CONTROLS), "KEY")["python"]
    assert "extra_body={'reasoning': {'effort': 'high', 'enabled': True}}" in python


async def test_openrouter_declares_every_control(served):
    _, adapter = served("openai", reasoning_format="openrouter")
    declares_what_it_sends(adapter)
    assert len(adapter.reasoning_controls()) == 3


async def test_openai_compatible_discovery_reads_supported_parameters(served):
    fake, adapter = served("openai")
    assert [m.reasoning for m in await adapter.list_models()] == [None, None]
    fake.supported_parameters = ["tools", "reasoning", "include_reasoning"]
    assert [m.reasoning for m in await adapter.list_models()] == [True, True]
    fake.supported_parameters = ["tools"]
    assert [m.reasoning for m in await adapter.list_models()] == [False, False]


# Anthropic ---------------------------------------------------------------------------------------------


async def test_anthropic_keeps_the_thinking_signature_and_redacted_blocks(served):
    fake, adapter = served("anthropic")
    fake.redacted = True
    for _ in range(2):
        fake.enqueue(Reply(text=["42."], reasoning=THOUGHT))
    for result in (await collect(adapter.stream_chat(ask())), await adapter.chat(ask())):
        assert result.reasoning == "".join(THOUGHT)
        blocks = result.reasoning_extra["thinking_blocks"]
        assert [b["type"] for b in blocks] == ["thinking", "redacted_thinking"]
        assert blocks[0]["signature"].startswith("sig-") and blocks[0]["chars"] == len(result.reasoning)


async def test_anthropic_refuses_a_thinking_tool_loop_without_the_thinking_blocks(served):
    fake, adapter = served("anthropic")
    fake.enqueue(Reply(reasoning=THOUGHT, tool_calls=[ScriptedCall("toolu_1", "get_weather", ['{"city": "Oslo"}'])],
                       finish="tool_calls"))
    first = await collect(adapter.stream_chat(ask(tools=(WEATHER,))))
    result = Message("tool", '{"temp_c": 3}', tool_call_id="toolu_1")
    bare = Message("assistant", "", tool_calls=tuple(first.tool_calls))
    with pytest.raises(ProviderError, match="Expected `thinking` or `redacted_thinking`") as caught:
        await collect(adapter.stream_chat(ask(Message("user", "Oslo?"), bare, result, tools=(WEATHER,))))
    assert caught.value.code == BAD_REQUEST
    edited = replace(bare, reasoning=first.reasoning.upper(), reasoning_extra=first.reasoning_extra)
    with pytest.raises(ProviderError, match="Invalid `signature`"):
        await collect(adapter.stream_chat(ask(Message("user", "Oslo?"), edited, result, tools=(WEATHER,))))
    kept = replace(bare, reasoning=first.reasoning, reasoning_extra=first.reasoning_extra)
    await collect(adapter.stream_chat(ask(Message("user", "Oslo?"), kept, result, tools=(WEATHER,))))
    turn = sent(fake)["messages"][1]["content"]
    assert [b["type"] for b in turn] == ["thinking", "tool_use"] and turn[0]["thinking"] == "".join(THOUGHT)


async def test_anthropic_history_from_another_model_sends_no_unsigned_thinking(served):
    fake, adapter = served("anthropic")
    history = [Message("user", "6 x 7?"), Message("assistant", "42.", reasoning="from a <think> tag"),
               Message("user", "And 6 x 8?")]
    await collect(adapter.stream_chat(ask(*history)))
    assert sent(fake)["messages"][1]["content"] == [{"type": "text", "text": "42."}]


async def test_anthropic_thinking_follows_the_apis_rules(served):
    """No temperature but 1, no top_p under 0.95, no forced tool, and room above the budget."""
    fake, adapter = served("anthropic", default_max_tokens=1000)
    params = Params(temperature=0.2, top_p=0.5, thinking_budget=2048)
    await collect(adapter.stream_chat(ask(params=params, tools=(WEATHER,), tool_choice=ToolChoice("required"))))
    body = sent(fake)
    assert "temperature" not in body and "top_p" not in body
    assert body["tool_choice"] == {"type": "auto"} and body["max_tokens"] == 3048
    await collect(adapter.stream_chat(ask(params=Params(temperature=1, top_p=0.97, think=True))))
    body = sent(fake)
    assert (body["temperature"], body["top_p"], body["thinking"]["budget_tokens"]) == (1, 0.97, 2048)
    await collect(adapter.stream_chat(ask(params=Params(temperature=0.2, think=False))))
    assert "thinking" not in sent(fake) and sent(fake)["temperature"] == 0.2


async def test_anthropic_structured_output_with_thinking_offers_the_tool_and_says_so(served):
    fake, adapter = served("anthropic")
    request = ask(params=Params(think=True), response_format=ResponseFormat("json_object"))
    assert adapter.structured_fallback(request) == "tool 'respond' offered, not forced (thinking forbids it), for json_object"
    fake.enqueue(Reply(text=['{"answer": 42}'], reasoning=THOUGHT))
    result = await collect(adapter.stream_chat(request))
    assert json.loads(result.content) == {"answer": 42} and result.reasoning == "".join(THOUGHT)
    assert sent(fake)["tool_choice"] == {"type": "auto"}


# Gemini ---------------------------------------------------------------------------------------------------


async def test_gemini_sends_the_answers_thought_signature_back_with_its_text(served):
    fake, adapter = served("gemini")
    fake.enqueue(Reply(text=["The answer ", "is 42."], reasoning=THOUGHT))
    first = await collect(adapter.stream_chat(ask()))
    assert first.reasoning_extra["thoughtSignature"].startswith("sig-text-")
    history = [Message("user", "6 x 7?"), Message("assistant", first.content, reasoning=first.reasoning,
                                                  reasoning_extra=first.reasoning_extra), Message("user", "And 6 x 8?")]
    await collect(adapter.stream_chat(ask(*history)))
    model_turn = sent(fake)["contents"][1]
    assert model_turn == {"role": "model", "parts": [{"text": "The answer is 42.",
                                                      "thoughtSignature": first.reasoning_extra["thoughtSignature"]}]}
    forged = replace(history[1], reasoning_extra={"thoughtSignature": "sig-text-forged"})
    with pytest.raises(ProviderError, match="Corrupted thought signature"):
        await collect(adapter.stream_chat(ask(history[0], forged, history[2])))


async def test_gemini_takes_an_effort_as_a_thinking_level_when_no_budget_is_set(served):
    fake, adapter = served("gemini")
    await collect(adapter.stream_chat(ask(params=Params(reasoning_effort="low"))))
    assert sent(fake)["generationConfig"]["thinkingConfig"] == {"includeThoughts": True, "thinkingLevel": "low"}


async def test_gemini_thinking_off_asks_for_no_thoughts(served):
    fake, adapter = served("gemini")
    fake.enqueue(Reply(text=["42."], reasoning=THOUGHT))
    result = await collect(adapter.stream_chat(ask(params=Params(think=False))))
    assert sent(fake)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0}
    assert (result.reasoning, result.content) == ("", "42.")


async def test_gemini_discovery_says_which_models_think_and_others_refuse_thinking(served):
    fake, adapter = served("gemini")
    chat_models = {m.id: m.reasoning for m in await adapter.list_models() if m.purpose != "embedding"}
    assert chat_models == {"fake-model": True, "fake-model-mini": False}
    with pytest.raises(ProviderError, match="Thinking is not supported"):
        await collect(adapter.stream_chat(replace(ask(), model="fake-model-mini")))
    other, plain = served("gemini", reasoning=False)
    other.enqueue(Reply.text_of("Fine."))
    assert (await collect(plain.stream_chat(replace(ask(), model="fake-model-mini")))).content == "Fine."
    assert "generationConfig" not in sent(other)


# Ollama -----------------------------------------------------------------------------------------------------


async def test_ollama_think_switch_and_discovery(served):
    fake, adapter = served("ollama")
    fake.enqueue(Reply(text=["42."], reasoning=THOUGHT))
    result = await collect(adapter.stream_chat(ask(params=Params(think=False))))
    assert sent(fake)["think"] is False and (result.reasoning, result.content) == ("", "42.")
    assert {m.id: m.reasoning for m in await adapter.list_models()} == {"fake-model": True, "fake-model-mini": False}
    history = [Message("user", "6 x 7?"), Message("assistant", "42.", reasoning="six sevens"), Message("user", "6 x 8?")]
    await collect(adapter.stream_chat(ask(*history)))
    assert sent(fake)["messages"][1] == {"role": "assistant", "content": "42.", "thinking": "six sevens"}


def test_the_reasoning_controls_reader_covers_every_wire_format_listed():
    assert set(SENT_CONTROLS) == set(REASONING_CONTROLS)
    json.dumps(SENT_CONTROLS)


# Inline <think> tags ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["openai", "ollama"])
async def test_think_tags_at_the_start_are_split_out_on_plain_servers(served, kind):
    fake, adapter = served(kind, reasoning=False)
    fake.enqueue(Reply.text_of("<think>six sevens</think>42.", pieces=6), Reply.text_of("<think>six sevens</think>42."))
    for result in (await collect(adapter.stream_chat(ask())), await adapter.chat(ask())):
        assert (result.reasoning, result.content) == ("six sevens", "42.")


async def test_a_reply_cut_inside_its_think_tags_keeps_every_character(served):
    fake, adapter = served("openai")
    fake.enqueue(Reply(text=["<th", "ink>six sev", "ens</th"], drop_after=4))
    events = []
    with pytest.raises(ProviderError):
        async for event in adapter.stream_chat(ask()):
            events.append(event)
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "six sevens</th"
