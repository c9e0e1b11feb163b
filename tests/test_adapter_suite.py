"""One scenario suite, run against every adapter through its loopback fake (tests/fakes/registry.py).

No database: configs are built directly. The fakes validate what they receive
the way each real API does, so a request in the wrong shape fails here.
"""
import json

import pytest

from providers.registry import get_adapter
from providers.streaming import collect
from providers.types import (
    PROVIDER_AUTH,
    ChatRequest,
    Finish,
    Image,
    Message,
    Params,
    ProviderError,
    ResponseFormat,
    TextDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    Usage,
)
from tests.fakes.registry import CASES, TEST_KEY, make_config
from tests.fakes.script import Reply, ScriptedCall
from tests.images.pictures import picture

pytestmark = pytest.mark.timeout(30)

WEATHER = Tool("get_weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}})
TIME = Tool("get_time", "Time in a zone", {"type": "object", "properties": {"zone": {"type": "string"}}})
SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}


@pytest.fixture(params=CASES, ids=str)
def case(request):
    return request.param


@pytest.fixture
def fake(case):
    with case.fake_class() as server:
        yield server


@pytest.fixture
def adapter(case, fake):
    return get_adapter(case.config(fake))


def ask(*messages: Message, **kwargs) -> ChatRequest:
    history = [Message("system", "Be brief."), *(messages or [Message("user", "Hello?")])]
    return ChatRequest(model="fake-model", messages=history, **kwargs)


async def events_of(adapter, request: ChatRequest) -> list:
    return [event async for event in adapter.stream_chat(request)]


def pieces(value: dict, count: int) -> list[str]:
    text = json.dumps(value)
    size = -(-len(text) // count)
    return [text[i:i + size] for i in range(0, len(text), size)]


# The scenarios -------------------------------------------------------------------------------


async def test_it_streams_plain_text_with_usage_and_stop(adapter, fake):
    fake.enqueue(Reply.text_of("Hello there, how are you today?", pieces=4, usage=(12, 5)))
    events = await events_of(adapter, ask())
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert "".join(texts) == "Hello there, how are you today?"
    assert len(texts) == 4
    usage = next(e for e in events if isinstance(e, Usage))
    assert (usage.prompt_tokens, usage.completion_tokens) == (12, 5)
    assert isinstance(events[-1], Finish) and events[-1].reason == "stop"


async def test_a_reply_cut_at_max_tokens_finishes_with_length(adapter, fake):
    fake.enqueue(Reply.text_of("Cut off in the mid", pieces=2, finish="length"))
    result = await collect(adapter.stream_chat(ask(params=Params(max_tokens=5))))
    assert result.content == "Cut off in the mid" and result.finish_reason == "length"


async def test_it_assembles_two_parallel_tool_calls(adapter, fake, case):
    calls = [ScriptedCall("call_w1", "get_weather", pieces({"city": "Paris"}, 3)),
             ScriptedCall("call_t2", "get_time", pieces({"zone": "Europe/Paris"}, 2))]
    fake.enqueue(Reply(tool_calls=calls, finish="tool_calls"))
    events = await events_of(adapter, ask(tools=(WEATHER, TIME), tool_choice=ToolChoice("auto")))
    result = await collect(_replayed(events))
    assert [(c.name, c.arguments) for c in result.tool_calls] == [(c.name, c.arguments) for c in calls]
    ids = [c.id for c in result.tool_calls]
    assert all(ids) and len(set(ids)) == 2
    if getattr(fake, "gives_call_ids", True):
        assert ids == ["call_w1", "call_t2"]
    assert result.finish_reason == "tool_calls"
    argument_deltas = [e for e in events if isinstance(e, ToolCallDelta) and e.arguments_delta and e.index == 0]
    assert len(argument_deltas) == (3 if case.streams_arguments else 1)


async def test_it_sends_a_tool_loop_in_the_provider_shape(adapter, fake, case):
    history = [
        Message("user", "Weather and time in Paris?"),
        Message("assistant", "", tool_calls=(ToolCall("call_w1", "get_weather", '{"city": "Paris"}'),
                                             ToolCall("call_t2", "get_time", '{"zone": "CET"}'))),
        Message("tool", '{"temp_c": 21}', tool_call_id="call_w1", name="get_weather"),
        Message("tool", '{"time": "12:00"}', tool_call_id="call_t2"),  # no name: found through the call id
    ]
    fake.enqueue(Reply.text_of("21 °C at noon.", pieces=2))
    result = await collect(adapter.stream_chat(ask(*history, tools=(WEATHER, TIME))))
    assert result.content == "21 °C at noon." and result.finish_reason == "stop"
    calls, results = case.tool_history(fake.chat_requests()[-1].body)
    assert calls == [("get_weather", {"city": "Paris"}), ("get_time", {"zone": "CET"})]
    refs = ["call_w1", "call_t2"] if case.results_by == "id" else ["get_weather", "get_time"]
    assert results == [(refs[0], {"temp_c": 21}), (refs[1], {"time": "12:00"})]


async def test_it_sends_images_with_the_users_text_in_the_provider_shape(adapter, fake, case):
    png, jpeg = picture("PNG"), picture("JPEG")
    question = Message("user", "What is in these?", images=(Image("image/png", png), Image("image/jpeg", jpeg)))
    fake.enqueue(Reply.text_of("Two red squares."))
    result = await collect(adapter.stream_chat(ask(question)))
    assert result.content == "Two red squares."
    sent = case.images(fake.chat_requests()[-1].body)
    assert [data for _, data in sent] == [png, jpeg]
    if case.kind != "ollama":  # Ollama's images carry no type: the server reads it from the bytes
        assert [kind for kind, _ in sent] == ["image/png", "image/jpeg"]


async def test_an_image_that_is_not_what_it_says_is_refused_like_the_real_api(adapter, fake):
    question = Message("user", "And this?", images=(Image("image/png", b"not an image at all"),))
    with pytest.raises(ProviderError) as caught:
        await collect(adapter.stream_chat(ask(question)))
    assert caught.value.status == 400


async def test_it_asks_for_structured_output_and_gets_json(adapter, fake, case):
    fake.enqueue(Reply.text_of('{"answer": 42}', pieces=3))
    request = ask(response_format=ResponseFormat("json_schema", name="answer", schema=SCHEMA))
    result = await collect(adapter.stream_chat(request))
    assert json.loads(result.content) == {"answer": 42}
    assert result.finish_reason == "stop"
    assert case.schema(fake.chat_requests()[-1].body) == SCHEMA
    fallback = adapter.structured_fallback(request)
    assert fallback is None or "json_schema" in fallback


async def test_a_rejected_key_is_a_provider_auth_error_and_not_retried(adapter, fake, case):
    fake.enqueue(Reply.fail(401, echo_key_in_error=True))
    with pytest.raises(ProviderError) as caught:
        await collect(adapter.stream_chat(ask()))
    assert caught.value.code == PROVIDER_AUTH and caught.value.status == 401
    assert f"Loopback {case.kind}" in caught.value.message
    assert TEST_KEY not in caught.value.message
    assert len(fake.chat_requests()) == 1


async def test_a_429_with_retry_after_is_retried_then_succeeds(adapter, fake):
    fake.enqueue(Reply.fail(429, "slow down", retry_after=0), Reply.text_of("Second time lucky."))
    result = await collect(adapter.stream_chat(ask()))
    assert result.content == "Second time lucky."
    assert len(fake.chat_requests()) == 2


async def test_a_drop_mid_stream_is_final_and_not_retried(adapter, fake):
    fake.enqueue(Reply.text_of("A long answer that gets cut short.", pieces=6, drop_after=3))
    with pytest.raises(ProviderError) as caught:
        await collect(adapter.stream_chat(ask()))
    assert not caught.value.retryable
    assert len(fake.chat_requests()) == 1


async def test_a_malformed_stream_line_is_a_provider_error(adapter, fake):
    fake.enqueue(Reply.text_of("Some words here.", pieces=4, malformed_after=2))
    with pytest.raises(ProviderError, match="malformed"):
        await collect(adapter.stream_chat(ask()))


async def test_chat_returns_a_whole_reply(adapter, fake):
    fake.enqueue(Reply.text_of("All at once.", pieces=3, usage=(7, 3)))
    result = await adapter.chat(ask())
    assert result.content == "All at once." and result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (7, 3)


async def test_it_lists_models(adapter, fake):
    models = await adapter.list_models()
    assert [m.id for m in models if m.purpose != "embedding"] == fake.models


async def test_health_check_reports_ok_and_failure(adapter, fake, case):
    health = await adapter.health_check()
    assert health.ok and health.models == len(await adapter.list_models()) >= len(fake.models)
    fake.enqueue(Reply.fail(401))
    health = await adapter.health_check()
    assert not health.ok and health.status == 401 and f"Loopback {case.kind}" in health.error


async def _replayed(events):
    for event in events:
        yield event


# Format-specific details -----------------------------------------------------------------------


def _case(kind: str):
    return next(c for c in CASES if c.kind == kind)


@pytest.fixture
def served():
    """Start the fake of a kind and return (fake, adapter); options go to the config."""
    started = []

    def start(kind: str, **options):
        server = _case(kind).fake_class()
        started.append(server)
        return server, get_adapter(make_config(kind, server, **options))

    yield start
    for server in started:
        server.close()


async def test_anthropic_puts_system_on_top_and_merges_same_role_turns(served):
    fake, adapter = served("anthropic", default_max_tokens=1234)
    request = ChatRequest("fake-model", [Message("system", "One."), Message("user", "a"), Message("system", "Two."),
                                         Message("user", "b")], tools=(WEATHER,), parallel_tool_calls=False)
    await collect(adapter.stream_chat(request))
    body = fake.chat_requests()[-1].body
    assert body["system"] == "One.\n\nTwo." and body["max_tokens"] == 1234
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert adapter.structured_fallback(request) is None


async def test_anthropic_declares_its_structured_output_fallback(served):
    fake, adapter = served("anthropic")
    request = ask(response_format=ResponseFormat("json_object"), params=Params(max_tokens=50))
    assert adapter.structured_fallback(request) == "forced tool 'respond' for json_object"
    fake.enqueue(Reply.text_of('{"ok": true}'))
    assert json.loads((await collect(adapter.stream_chat(request))).content) == {"ok": True}
    assert fake.chat_requests()[-1].body["max_tokens"] == 50


async def test_anthropic_error_event_mid_stream_is_a_provider_error(served):
    fake, adapter = served("anthropic")
    fake.sse_events = lambda reply, model, forced: [
        b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n']
    with pytest.raises(ProviderError, match="Overloaded") as caught:
        await collect(adapter.stream_chat(ask()))
    assert caught.value.code == "unavailable"


async def test_gemini_gives_calls_stable_ids_and_maps_tool_choice(served):
    fake, adapter = served("gemini")
    reply = Reply(tool_calls=[ScriptedCall("", "get_weather", ['{"city": "Oslo"}'])], finish="tool_calls")
    fake.enqueue(reply, reply)
    request = ask(tools=(WEATHER,), tool_choice=ToolChoice("function", "get_weather"), params=Params(max_tokens=9))
    first, second = [await collect(adapter.stream_chat(request)) for _ in range(2)]
    assert first.tool_calls[0].id == second.tool_calls[0].id
    body = fake.chat_requests()[-1].body
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["generationConfig"] == {"maxOutputTokens": 9}
    assert fake.chat_requests()[-1].query == {"alt": ["sse"]}


async def test_ollama_puts_sampling_in_options_and_format_json(served):
    fake, adapter = served("ollama")
    request = ask(params=Params(temperature=0.1, max_tokens=20, stop=("END",)), response_format=ResponseFormat("json_object"))
    fake.enqueue(Reply.text_of("{}"))
    await collect(adapter.stream_chat(request))
    body = fake.chat_requests()[-1].body
    assert body["options"] == {"temperature": 0.1, "num_predict": 20, "stop": ["END"]}
    assert body["format"] == "json" and body["stream"] is True


async def test_azure_uses_deployment_urls_api_version_and_api_key(served):
    fake, adapter = served("azure", api_version="2024-06-01")
    await collect(adapter.stream_chat(ask()))
    sent = fake.chat_requests()[-1]
    assert sent.path == "/openai/deployments/fake-model/chat/completions"
    assert sent.query == {"api-version": ["2024-06-01"]}
    assert sent.headers["api-key"] == TEST_KEY and "authorization" not in sent.headers
    assert "model" not in sent.body


async def test_azure_bearer_auth_and_models_fallback(served):
    fake, adapter = served("azure", auth="bearer")
    fake.list_deployments = False
    assert [m.id for m in await adapter.list_models()] == fake.models
    assert [r.path for r in fake.requests] == ["/openai/deployments", "/openai/models"]
    assert fake.requests[-1].headers["authorization"] == f"Bearer {TEST_KEY}"


async def test_gemini_reports_an_invalid_key_400_as_a_key_problem(served):
    fake, adapter = served("gemini")
    fake.enqueue(Reply.fail(400, "API key not valid. Please pass a valid API key."))
    with pytest.raises(ProviderError) as caught:
        await collect(adapter.stream_chat(ask()))
    assert caught.value.code == PROVIDER_AUTH and caught.value.status == 400
    assert "Loopback gemini" in caught.value.message and "API key not valid" in caught.value.message


@pytest.mark.parametrize("choice, parallel, wire", [
    (ToolChoice("required"), False, {"type": "any", "disable_parallel_tool_use": True}),
    (ToolChoice("function", "get_weather"), None, {"type": "tool", "name": "get_weather"}),
    (ToolChoice("none"), False, {"type": "none"}),
])
async def test_anthropic_maps_tool_choice(served, choice, parallel, wire):
    fake, adapter = served("anthropic")
    fake.enqueue(Reply.text_of("ok"))
    await collect(adapter.stream_chat(ask(tools=(WEATHER,), tool_choice=choice, parallel_tool_calls=parallel)))
    assert fake.chat_requests()[-1].body["tool_choice"] == wire


async def test_anthropic_tool_call_without_input_gets_empty_object_arguments(served):
    fake, adapter = served("anthropic")
    fake.enqueue(Reply(tool_calls=[ScriptedCall("toolu_1", "get_time", [])], finish="tool_calls"))
    result = await collect(adapter.stream_chat(ask(tools=(TIME,))))
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [("toolu_1", "get_time", "{}")]


async def test_gemini_thought_signatures_come_back_with_their_calls():
    """Thinking models sign each call and refuse a later turn that drops the signature."""
    case = _case("gemini")
    with case.fake_class() as fake:
        adapter = get_adapter(case.config(fake))
        fake.enqueue(Reply(tool_calls=[ScriptedCall("c1", "get_weather", ['{"city": "Paris"}'])], finish="tool_calls"))
        first = await collect(adapter.stream_chat(ask(Message("user", "Weather?"), tools=(WEATHER,))))
        assert first.tool_calls[0].extra == {"thoughtSignature": "sig-get_weather"}
        history = [Message("user", "Weather?"), Message("assistant", "", tool_calls=tuple(first.tool_calls)),
                   Message("tool", '{"temp_c": 21}', tool_call_id=first.tool_calls[0].id, name="get_weather")]
        fake.enqueue(Reply.text_of("21 °C."))
        second = await collect(adapter.stream_chat(ask(*history, tools=(WEATHER,))))
        assert second.content == "21 °C."
        sent = fake.chat_requests()[-1].body["contents"][1]["parts"][0]
        assert sent["thoughtSignature"] == "sig-get_weather"


# View code: each adapter renders its own request, and the curl sample runs ------------------------

SDK_IMPORTS = {"openai": "from openai import OpenAI", "azure": "from openai import AzureOpenAI",
               "anthropic": "import anthropic", "gemini": "from google import genai", "ollama": "from ollama import Client",
               "responses": "from openai import OpenAI"}


def sample_adapter(case, fake, env_var: str = "SAMPLE_KEY"):
    """The adapter as View code builds it: the key is the placeholder `$SAMPLE_KEY`, never read."""
    from dataclasses import replace

    from providers.secrets import Secret

    return get_adapter(replace(case.config(fake), api_key=Secret(lambda: f"${env_var}")))


async def test_its_code_samples_name_the_key_variable_and_its_official_sdk(fake, case):
    samples = sample_adapter(case, fake).code_samples(ask(tools=(WEATHER,), params=Params(temperature=0.2)), "SAMPLE_KEY")
    assert TEST_KEY not in json.dumps(samples)
    assert "$SAMPLE_KEY" in samples["curl"]
    assert SDK_IMPORTS[case.kind] in samples["python"] and "os.environ['SAMPLE_KEY']" in samples["python"]
    compile(samples["python"], f"{case.kind}-sample.py", "exec")
    assert "get_weather" in samples["python"] and "get_weather" in samples["curl"]


async def test_its_curl_sample_runs_against_the_fake_and_gets_a_reply(fake, case):
    import asyncio
    import os

    fake.enqueue(Reply.text_of("The sample works.", pieces=1))
    samples = sample_adapter(case, fake).code_samples(ask(), "SAMPLE_KEY")
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", samples["curl"].replace("curl -N", "curl -sS -N --max-time 20", 1),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "SAMPLE_KEY": TEST_KEY})
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "The sample works." in out.decode()
    sent = fake.chat_requests()[-1]
    assert TEST_KEY in json.dumps(sent.headers)  # the variable was expanded by the shell, from the environment


# Text completion (a raw prompt continued, /v1/completions) ------------------------------------------

PROMPT = "Once upon a time"


def complete(**kwargs) -> ChatRequest:
    return ChatRequest(model="fake-model", messages=[], prompt=PROMPT, **kwargs)


COMPLETION_SDK_CALLS = {"openai": "client.completions.create(", "azure": "client.completions.create(",
                        "responses": "client.completions.create(", "ollama": "client.generate("}


def serves_completions(case) -> bool:
    from providers.registry import adapter_class

    return adapter_class(case.kind).serves_completions


async def test_a_completion_streams_its_text_and_each_tokens_top_alternatives(adapter, fake, case):
    if not serves_completions(case):
        pytest.skip("no text completion endpoint: see the refusal case")
    fake.enqueue(Reply.text_of(" there was a fox.", pieces=4, usage=(4, 6)))
    params = Params(max_tokens=16, temperature=0.5, stop=("\n\n",), logprobs=3)
    events = await events_of(adapter, complete(params=params))
    result = await collect(_replayed(events))
    assert result.content == " there was a fox." and result.finish_reason == "stop"
    if adapter.completion_logprobs:
        assert "".join(t["token"] for t in result.logprobs) == result.content and len(result.logprobs) == 4
        first = result.logprobs[0]
        assert first["logprob"] == -0.25 and len(first["top"]) == 3
        assert first["top"][0] == {"token": first["token"], "logprob": first["logprob"]}  # the likeliest first
    else:
        assert result.logprobs is None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (4, 6)
    sent = fake.chat_requests()[-1]
    assert "/chat" not in sent.path and sent.body["prompt"] == PROMPT and "messages" not in sent.body
    sampling = sent.body.get("options", sent.body)  # Ollama's native API: sampling inside `options`
    assert (sampling.get("max_tokens", sampling.get("num_predict")), sampling["stop"]) == (16, ["\n\n"])


async def test_a_whole_completion_with_echo_starts_with_the_prompt(adapter, fake, case):
    if not serves_completions(case):
        pytest.skip("no text completion endpoint: see the refusal case")
    fake.enqueue(Reply.text_of(" in a wood.", pieces=2))
    result = await adapter.chat(complete(params=Params(logprobs=0, echo=True)))
    assert result.content == PROMPT + " in a wood."
    if adapter.completion_logprobs:
        assert result.logprobs[0] == {"token": PROMPT, "logprob": None, "top": []}  # the prompt's first token
        assert "".join(t["token"] for t in result.logprobs[1:]) == " in a wood." and result.logprobs[1]["logprob"] < 0
        body = fake.chat_requests()[-1].body
        assert body["echo"] is True and "stream" not in body


async def test_a_streamed_completion_with_echo_and_a_length_stop(adapter, fake, case):
    if not serves_completions(case):
        pytest.skip("no text completion endpoint: see the refusal case")
    fake.enqueue(Reply.text_of(" and then", pieces=2, finish="length"))
    result = await collect(adapter.stream_chat(complete(params=Params(max_tokens=2, echo=True))))
    assert result.content == PROMPT + " and then" and result.finish_reason == "length"
    assert result.logprobs is None  # not asked for


async def test_a_completion_keeps_its_text_when_the_stream_drops(adapter, fake, case):
    if not serves_completions(case):
        pytest.skip("no text completion endpoint: see the refusal case")
    fake.enqueue(Reply.text_of("one two three four five six", pieces=6, drop_after=3))
    events = []
    with pytest.raises(ProviderError):
        async for event in adapter.stream_chat(complete(params=Params(logprobs=1))):
            events.append(event)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)).startswith("one")
    fake.enqueue(Reply.fail(401, echo_key_in_error=True))
    with pytest.raises(ProviderError) as caught:
        await collect(adapter.stream_chat(complete()))
    assert caught.value.code == PROVIDER_AUTH and TEST_KEY not in caught.value.message


async def test_an_api_without_text_completion_refuses_it_without_a_request(adapter, fake, case):
    if serves_completions(case):
        pytest.skip("serves text completion")
    with pytest.raises(ProviderError, match="no text completion endpoint"):
        await collect(adapter.stream_chat(complete()))
    with pytest.raises(ProviderError, match="no text completion endpoint"):
        await adapter.chat(complete())
    assert fake.chat_requests() == []


async def test_the_completion_code_samples_call_completions_and_the_curl_one_runs(fake, case):
    import asyncio
    import os

    if not serves_completions(case):
        pytest.skip("no text completion endpoint")
    samples = sample_adapter(case, fake).code_samples(complete(params=Params(logprobs=2, max_tokens=8)), "SAMPLE_KEY")
    assert samples["url"].endswith(("/completions", "/api/generate")) and samples["body"]["prompt"] == PROMPT
    assert TEST_KEY not in json.dumps(samples)
    compile(samples["python"], f"{case.kind}-completion.py", "exec")
    assert COMPLETION_SDK_CALLS[case.kind] in samples["python"] and "'prompt'" in samples["httpx"]
    if case.kind not in ("azure", "ollama"):
        assert "client.completions.create(" in samples["javascript"]
    fake.enqueue(Reply.text_of(" the sample ran.", pieces=2))
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", samples["curl"].replace("curl -N", "curl -sS -N --max-time 20", 1),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "SAMPLE_KEY": TEST_KEY})
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "the sa" in out.decode() and ("top_logprobs" in out.decode() or case.kind == "ollama")
