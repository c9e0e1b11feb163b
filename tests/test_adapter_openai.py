"""The OpenAI-compatible adapter against the loopback fake, over real HTTP."""
import json
import socket

import pytest

from providers.adapters.openai import OpenAIAdapter
from providers.config import ProviderConfig
from providers.secrets import Secret
from providers.streaming import collect
from providers.types import (
    PROVIDER_AUTH, PROVIDER_ERROR, TIMEOUT, UNAVAILABLE, ChatRequest, Message, Params, ProviderError, TextDelta,
    ToolCall, Usage,
)
from tests.conftest import TEST_KEY
from tests.fakes.script import Reply, ScriptedCall


def adapter_for(base_url: str, **overrides) -> OpenAIAdapter:
    values = {"kind": "openai", "name": "Loopback", "slug": "loopback", "base_url": base_url,
              "api_key": Secret(lambda: TEST_KEY), "max_retries": 2, "timeout": 5.0, **overrides}
    return OpenAIAdapter(ProviderConfig(**values))


def hello(**kwargs) -> ChatRequest:
    return ChatRequest(model="fake-model", messages=[Message("user", "Hello")], **kwargs)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def events_of(adapter, request):
    return [event async for event in adapter.stream_chat(request)]


async def test_it_streams_text_and_reports_usage(openai_fake):
    openai_fake.enqueue(Reply.text_of("Bonjour tout le monde", pieces=4, usage=(7, 3)))
    events = await events_of(adapter_for(openai_fake.base_url), hello())
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Bonjour tout le monde"
    assert [e for e in events if isinstance(e, Usage)] == [Usage(7, 3, 10)]
    assert events[-1].reason == "stop"


async def test_chunks_that_carry_more_than_text_keep_all_of_it(openai_fake):
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "A"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {"reasoning_content": "hmm", "content": "B"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {"content": "C"}, "finish_reason": "length"}],
         "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}},
    ]
    events = [b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks] + [b"data: [DONE]\n\n"]
    openai_fake.enqueue(Reply(raw_events=events))
    result = await collect(adapter_for(openai_fake.base_url).stream_chat(hello()))
    assert (result.content, result.reasoning, result.finish_reason) == ("ABC", "hmm", "length")
    assert result.usage.total_tokens == 6


async def test_it_assembles_two_parallel_tool_calls_interleaved_by_index(openai_fake):
    weather = ScriptedCall("call_a", "get_weather", ['{"ci', 'ty": "Pa', 'ris"}'])
    clock = ScriptedCall("call_b", "get_time", ['{"tz"', ': "UT', 'C"}'])
    openai_fake.enqueue(Reply(tool_calls=[weather, clock], interleave=True, finish="tool_calls"))
    result = await collect(adapter_for(openai_fake.base_url).stream_chat(hello()))
    assert result.tool_calls == [ToolCall("call_a", "get_weather", '{"city": "Paris"}'),
                                 ToolCall("call_b", "get_time", '{"tz": "UTC"}')]
    assert result.finish_reason == "tool_calls"


async def test_it_chats_without_streaming(openai_fake):
    openai_fake.enqueue(Reply.text_of("Whole reply"))
    result = await adapter_for(openai_fake.base_url).chat(hello())
    assert (result.content, result.finish_reason, result.usage.total_tokens) == ("Whole reply", "stop", 17)
    assert "stream" not in openai_fake.chat_requests()[0].body


async def test_it_lists_models(openai_fake):
    models = await adapter_for(openai_fake.base_url).list_models()
    assert [m.id for m in models] == ["fake-model", "fake-model-mini"]


async def test_it_retries_a_429_after_retry_after_then_succeeds(openai_fake):
    openai_fake.enqueue(Reply.fail(429, retry_after=0), Reply.text_of("second time"))
    result = await collect(adapter_for(openai_fake.base_url).stream_chat(hello()))
    assert result.content == "second time"
    assert len(openai_fake.chat_requests()) == 2


async def test_it_retries_a_500_up_to_max_retries(openai_fake):
    openai_fake.enqueue(*[Reply.fail(500)] * 4)
    with pytest.raises(ProviderError) as caught:
        await events_of(adapter_for(openai_fake.base_url, max_retries=2), hello())
    assert caught.value.status == 500
    assert len(openai_fake.chat_requests()) == 3


async def test_it_does_not_retry_a_401_and_names_the_provider(openai_fake):
    openai_fake.enqueue(Reply.fail(401, "bad key"))
    with pytest.raises(ProviderError) as caught:
        await events_of(adapter_for(openai_fake.base_url), hello())
    assert caught.value.code == PROVIDER_AUTH
    assert "Loopback" in caught.value.message
    assert len(openai_fake.chat_requests()) == 1


async def test_a_drop_mid_stream_is_unavailable_and_not_retried(openai_fake):
    openai_fake.enqueue(Reply.text_of("one two three four five", pieces=5, drop_after=3))
    with pytest.raises(ProviderError) as caught:
        await events_of(adapter_for(openai_fake.base_url), hello())
    assert caught.value.code == UNAVAILABLE
    assert len(openai_fake.chat_requests()) == 1


async def test_a_malformed_stream_line_is_a_provider_error(openai_fake):
    openai_fake.enqueue(Reply.text_of("one two three", pieces=3, malformed_after=2))
    with pytest.raises(ProviderError) as caught:
        await events_of(adapter_for(openai_fake.base_url), hello())
    assert caught.value.code == PROVIDER_ERROR


async def test_a_stall_longer_than_the_idle_timeout_is_a_timeout(openai_fake):
    openai_fake.enqueue(Reply.text_of("slow reply", pieces=3, stall_after=2, stall_seconds=5))
    with pytest.raises(ProviderError) as caught:
        await events_of(adapter_for(openai_fake.base_url, idle_timeout=0.3), hello())
    assert caught.value.code == TIMEOUT and "went silent for 0.3 s" in caught.value.message


async def test_a_refused_connection_is_unavailable():
    adapter = adapter_for(f"http://127.0.0.1:{closed_port()}/v1", max_retries=0)
    with pytest.raises(ProviderError) as caught:
        await events_of(adapter, hello())
    assert caught.value.code == UNAVAILABLE


async def test_the_body_has_no_empty_tools_nor_unset_params_and_asks_for_usage(openai_fake):
    await events_of(adapter_for(openai_fake.base_url), hello(params=Params(temperature=0.2)))
    body = openai_fake.chat_requests()[0].body
    assert set(body) == {"messages", "model", "stream", "stream_options", "temperature"}
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.2
