"""The Responses API adapter against its loopback fake: what only this wire format has.

The shared scenarios (text, tools, structured output, faults, shapes, View code)
run for it in test_adapter_suite.py, test_provider_faults.py and
test_provider_shapes.py; here: the request's shape, reasoning summaries and
their return, error and failure events, and the fake's own refusals.
"""
import dataclasses

import httpx
import pytest

from providers.registry import get_adapter
from providers.streaming import collect
from providers.types import (
    PROVIDER_ERROR, ChatRequest, Message, Params, ProviderError, ReasoningDelta, ResponseFormat, TextDelta, Tool,
    ToolCall, ToolChoice,
)
from tests.fakes.registry import TEST_KEY, make_config
from tests.fakes.responses import SIGNATURE, ResponsesFake, sse
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.timeout(30)

WEATHER = Tool("get_weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}})
SUMMARY = ["The user wants Paris weather; ", "I should call the tool."]


@pytest.fixture
def fake():
    with ResponsesFake() as server:
        yield server


@pytest.fixture
def adapter(fake):
    return get_adapter(make_config("responses", fake))


def effort(level: str) -> Params:
    """Params asking for reasoning (the neutral `reasoning_effort` field comes with the reasoning work)."""
    if "reasoning_effort" in {f.name for f in dataclasses.fields(Params)}:
        return Params(reasoning_effort=level)

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithEffort(Params):
        reasoning_effort: str | None = None

    return WithEffort(reasoning_effort=level)


def reasoning_reply(reply: Reply, pieces: list[str], tokens: int = 64) -> Reply:
    reply.reasoning, reply.reasoning_tokens = pieces, tokens
    return reply


def sent(fake) -> dict:
    return fake.chat_requests()[-1].body


async def test_it_sends_a_stateless_request_in_the_responses_shape(adapter, fake):
    request = ChatRequest("fake-model", [Message("system", "Be brief."), Message("user", "Weather in Paris?")],
                          params=Params(temperature=0.2, max_tokens=300, stop=("END",), seed=7),
                          tools=(WEATHER,), tool_choice=ToolChoice("function", "get_weather"), parallel_tool_calls=False,
                          response_format=ResponseFormat("json_object"))
    fake.enqueue(Reply.text_of("{}"))
    await collect(adapter.stream_chat(request))
    body = sent(fake)
    assert body["store"] is False and body["stream"] is True
    assert body["input"] == [
        {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
    ]
    assert body["temperature"] == 0.2 and body["max_output_tokens"] == 300
    assert body["tools"] == [{"type": "function", "name": "get_weather", "description": "Weather for a city",
                              "parameters": WEATHER.parameters, "strict": False}]
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert body["parallel_tool_calls"] is False
    assert body["text"] == {"format": {"type": "json_object"}}
    assert not {"messages", "max_tokens", "stop", "seed", "response_format", "reasoning"} & set(body)
    assert fake.chat_requests()[-1].headers["authorization"] == f"Bearer {TEST_KEY}"


async def test_history_goes_back_as_output_text_function_calls_and_outputs_by_call_id(adapter, fake):
    history = [Message("user", "Weather?"),
               Message("assistant", "Let me look.", tool_calls=(ToolCall("call_9", "get_weather", '{"city": "Oslo"}'),)),
               Message("tool", '{"temp_c": 3}', tool_call_id="call_9"),
               Message("assistant", "3 °C in Oslo."), Message("user", "Thanks!")]
    fake.enqueue(Reply.text_of("You're welcome."))
    result = await collect(adapter.stream_chat(ChatRequest("fake-model", history, tools=(WEATHER,))))
    assert result.content == "You're welcome."
    assert sent(fake)["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me look."}]},
        {"type": "function_call", "call_id": "call_9", "name": "get_weather", "arguments": '{"city": "Oslo"}'},
        {"type": "function_call_output", "call_id": "call_9", "output": '{"temp_c": 3}'},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "3 °C in Oslo."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks!"}]},
    ]


async def test_a_reasoning_summary_streams_apart_and_its_item_goes_back_with_the_tool_result(adapter, fake):
    call = ScriptedCall("call_w", "get_weather", ['{"city": ', '"Paris"}'])
    fake.enqueue(reasoning_reply(Reply(tool_calls=[call], finish="tool_calls", usage=(20, 90)), SUMMARY))
    question = Message("user", "Weather in Paris?")
    events = [e async for e in adapter.stream_chat(ChatRequest("fake-model", [question], params=effort("low"),
                                                               tools=(WEATHER,)))]
    assert [e.text for e in events if isinstance(e, ReasoningDelta) and e.text] == SUMMARY
    first = await collect(_replay(events))
    assert first.reasoning == "".join(SUMMARY) and first.content == ""
    assert first.usage.reasoning_tokens == 64 and first.finish_reason == "tool_calls"
    assert sent(fake)["reasoning"] == {"effort": "low", "summary": "auto"}
    assert sent(fake)["include"] == ["reasoning.encrypted_content"]

    history = [question, Message("assistant", "", tool_calls=tuple(first.tool_calls), reasoning=first.reasoning,
                                 reasoning_extra=first.reasoning_extra),
               Message("tool", '{"temp_c": 21}', tool_call_id="call_w")]
    fake.enqueue(Reply.text_of("21 °C."))
    second = await collect(adapter.stream_chat(ChatRequest("fake-model", history, params=effort("low"), tools=(WEATHER,))))
    assert second.content == "21 °C."
    items = sent(fake)["input"]
    assert [i["type"] for i in items] == ["message", "reasoning", "function_call", "function_call_output"]
    assert items[1]["encrypted_content"] == SIGNATURE and items[1]["summary"][0]["text"] == "".join(SUMMARY)

    fake.enqueue(Reply.text_of("21 °C."))
    await collect(adapter.stream_chat(ChatRequest("fake-model", history, tools=(WEATHER,))))  # no reasoning asked now
    assert [i["type"] for i in sent(fake)["input"]] == ["message", "function_call", "function_call_output"]


async def test_interleaved_argument_deltas_are_assembled_by_output_index(adapter, fake):
    calls = [ScriptedCall("call_1", "get_weather", ['{"city"', ': "Bern"}']),
             ScriptedCall("call_2", "get_weather", ['{"city"', ': "Graz"}'])]
    fake.enqueue(Reply(text=["Checking both."], tool_calls=calls, interleave=True, finish="tool_calls"))
    result = await collect(adapter.stream_chat(ChatRequest("fake-model", [Message("user", "Two?")], tools=(WEATHER,))))
    assert result.content == "Checking both."
    assert [(c.id, c.arguments) for c in result.tool_calls] == [("call_1", '{"city": "Bern"}'),
                                                                ("call_2", '{"city": "Graz"}')]


async def test_a_whole_reply_carries_reasoning_tool_calls_and_usage(adapter, fake):
    calls = [ScriptedCall("call_a", "get_weather", ['{"city": "Rome"}']),
             ScriptedCall("call_b", "get_weather", ['{"city": "Nice"}'])]
    fake.enqueue(reasoning_reply(Reply(tool_calls=calls, finish="tool_calls", usage=(9, 40)), SUMMARY, tokens=30))
    result = await adapter.chat(ChatRequest("fake-model", [Message("user", "Two cities?")], params=effort("high"),
                                            tools=(WEATHER,)))
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_a", "get_weather", '{"city": "Rome"}'), ("call_b", "get_weather", '{"city": "Nice"}')]
    assert result.reasoning == "".join(SUMMARY) and result.finish_reason == "tool_calls"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.reasoning_tokens) == (9, 40, 30)
    assert "stream" not in sent(fake)


async def test_summary_parts_are_set_apart_and_raw_reasoning_text_is_reasoning_too(adapter, fake):
    ids = {"item_id": "rs_1", "output_index": 0}
    message = {"type": "message", "id": "msg_1", "role": "assistant", "content": []}
    fake.sse_events = lambda reply, body: [
        sse("response.output_item.added", output_index=0, item={"type": "reasoning", "id": "rs_1", "summary": []}),
        sse("response.reasoning_summary_part.added", **ids, summary_index=0, part={"type": "summary_text", "text": ""}),
        sse("response.reasoning_summary_text.delta", **ids, summary_index=0, delta="First thought."),
        sse("response.reasoning_summary_part.added", **ids, summary_index=1, part={"type": "summary_text", "text": ""}),
        sse("response.reasoning_summary_text.delta", **ids, summary_index=1, delta="Second thought."),
        sse("response.reasoning_text.delta", **ids, content_index=0, delta=" Raw."),
        sse("response.output_item.added", output_index=1, item=message),
        sse("response.output_text.delta", item_id="msg_1", output_index=1, content_index=0, delta="Answer."),
        sse("response.completed", response={"status": "completed", "output": []})]
    result = await collect(adapter.stream_chat(ChatRequest("fake-model", [Message("user", "Hi")])))
    assert (result.reasoning, result.content) == ("First thought.\n\nSecond thought. Raw.", "Answer.")


def _failing_stream(*tail: bytes):
    added = {"type": "message", "id": "msg_1", "role": "assistant", "content": []}
    head = [sse("response.created", response={"status": "in_progress", "output": []}),
            sse("response.output_item.added", output_index=0, item=added),
            sse("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="Partly ")]
    return lambda reply, body: [*head, *tail]


@pytest.mark.parametrize("tail, message", [
    ([sse("error", code="server_error", message="The server had an error while processing your request.",
          param=None, sequence_number=3)], "The server had an error while processing your request. (server_error)"),
    ([sse("response.failed", response={"status": "failed", "output": [],
                                       "error": {"code": "rate_limit_exceeded", "message": "Too many tokens."}})],
     "Too many tokens. (rate_limit_exceeded)"),
    ([], "ended the stream before the reply finished"),
], ids=["error event", "response.failed", "no terminal event"])
async def test_a_stream_that_fails_is_a_provider_error_with_the_apis_words(adapter, fake, tail, message):
    fake.sse_events = _failing_stream(*tail)
    texts = []
    with pytest.raises(ProviderError) as caught:
        async for event in adapter.stream_chat(ChatRequest("fake-model", [Message("user", "Hi")])):
            if isinstance(event, TextDelta):
                texts.append(event.text)
    assert caught.value.code == PROVIDER_ERROR and "Loopback responses" in caught.value.message
    assert message in caught.value.message
    assert texts == ["Partly "]


async def test_a_whole_response_that_failed_is_a_provider_error(adapter, fake):
    fake.response = lambda reply, body, output: {"status": "failed", "output": [],
                                                 "error": {"code": "server_error", "message": "Model crashed."}}
    with pytest.raises(ProviderError, match=r"reported an error: Model crashed\. \(server_error\)"):
        await adapter.chat(ChatRequest("fake-model", [Message("user", "Hi")]))


async def test_an_incomplete_reply_names_its_reason(adapter, fake):
    fake.enqueue(Reply.text_of("Cut", finish="length"))
    assert (await collect(adapter.stream_chat(ChatRequest("fake-model", [Message("user", "Hi")])))).finish_reason == "length"
    fake.response = lambda reply, body, output: {"status": "incomplete", "output": output,
                                                 "incomplete_details": {"reason": "content_filter"}}
    fake.enqueue(Reply.text_of("Filtered"))
    result = await adapter.chat(ChatRequest("fake-model", [Message("user", "Hi")]))
    assert (result.content, result.finish_reason) == ("Filtered", "content_filter")


async def test_items_sent_only_in_the_final_response_are_not_lost(adapter, fake):
    """Some servers send no deltas: the completed response's output is read for what did not arrive."""
    output = [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "All at the end."}]},
              {"type": "function_call", "call_id": "call_z", "name": "get_weather", "arguments": '{"city": "Lima"}'}]
    fake.sse_events = lambda reply, body: [sse("response.completed", response={"status": "completed", "output": output})]
    result = await collect(adapter.stream_chat(ChatRequest("fake-model", [Message("user", "Hi")], tools=(WEATHER,))))
    assert result.content == "All at the end."
    assert [(c.id, c.arguments) for c in result.tool_calls] == [("call_z", '{"city": "Lima"}')]
    assert result.finish_reason == "tool_calls"


async def test_its_python_sample_streams_with_the_official_sdks_responses_call(adapter):
    samples = adapter.code_samples(ChatRequest("fake-model", [Message("user", "Hi")]), "SAMPLE_KEY")
    assert "client.responses.create(" in samples["python"] and "store=False" in samples["python"]
    assert 'event.type == "response.output_text.delta"' in samples["python"]
    assert samples["url"].endswith("/v1/responses")


# The fake refuses what the real API refuses, so a wrong adapter fails the suite -----------------

GOOD_INPUT = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}]
REFUSED = {
    "chat-completions messages": ({"messages": GOOD_INPUT}, "Unknown parameter: 'messages'."),
    "max_tokens": ({"max_tokens": 5}, "Unknown parameter: 'max_tokens'."),
    "stored": ({"store": True}, "store: false"),
    "unknown item type": ({"input": [{"type": "tool_result", "call_id": "x"}]}, "Invalid value: 'tool_result'."),
    "input_text from the assistant": (
        {"input": [{"type": "message", "role": "assistant", "content": [{"type": "input_text", "text": "Hi"}]}]},
        "Invalid value: 'input_text'. Supported values are: 'output_text' and 'refusal'."),
    "output without its call": ({"input": [*GOOD_INPUT, {"type": "function_call_output", "call_id": "call_1",
                                                         "output": "{}"}]},
                                "No tool call found for function call output with call_id call_1."),
    "nested function tool": ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
                             "Missing required parameter: 'tools[0].name'."),
    "reasoning without its content": ({"input": [{"type": "reasoning", "id": "rs_1", "summary": []}, *GOOD_INPUT]},
                                      "Items are not persisted when `store` is set to false"),
    "strict schema that is not strict": ({"text": {"format": {"type": "json_schema", "name": "a", "strict": True,
                                                             "schema": {"type": "object"}}}},
                                         "'additionalProperties' is required to be supplied and to be false"),
    "schema without a name": ({"text": {"format": {"type": "json_schema", "schema": {}}}},
                              "Missing required parameter: 'text.format.name'."),
}


@pytest.mark.parametrize("change, message", REFUSED.values(), ids=REFUSED.keys())
def test_the_fake_refuses_malformed_requests_like_the_real_api(fake, change, message):
    body = {"model": "fake-model", "input": GOOD_INPUT, "store": False, **change}
    response = httpx.post(f"{fake.base_url}/responses", json=body, headers={"Authorization": f"Bearer {TEST_KEY}"})
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


async def _replay(events):
    for event in events:
        yield event
