"""Teammates script against the team's models with the official OpenAI SDK and a personal token."""
import json

import pytest
from pydantic import BaseModel

from chat.gateway.models import ApiRequest
from tests.conftest import loopback_provider
from tests.fakes.anthropic import AnthropicFake
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def test_it_lists_every_enabled_model_as_provider_slash_model(bob, provider, personal_token, client_for):
    from providers.models import ProviderModel

    ProviderModel.objects.create(provider=provider, model_id="retired-model", enabled=False)
    ProviderModel.objects.create(provider=provider, model_id="org/with-slash")
    ids = [m.id for m in client_for(personal_token(bob)).models.list()]
    assert ids == ["loopback/fake-model", "loopback/org/with-slash"]


def test_a_streamed_chat_arrives_in_pieces_and_is_recorded_once(bob, provider, openai_fake, personal_token, client_for):
    openai_fake.enqueue(Reply.text_of("Hello from the gateway.", pieces=4))
    stream = client_for(personal_token(bob)).chat.completions.create(
        model="loopback/fake-model", messages=[{"role": "user", "content": "Hi"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == "Hello from the gateway." and len(pieces) == 4
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage.total_tokens == 17
    sent = openai_fake.chat_requests()[-1].body
    assert sent["stream"] is True and sent["messages"] == [{"role": "user", "content": "Hi"}]
    record = ApiRequest.objects.get()
    assert (record.user, record.provider, record.model, record.status, record.stream) == (
        bob, "loopback", "fake-model", 200, True)
    assert record.total_tokens == 17 and record.cost is not None and record.latency_ms > 0


def test_a_whole_reply_has_openai_shape_and_usage(bob, provider, openai_fake, personal_token, client_for):
    openai_fake.enqueue(Reply.text_of("Whole."))
    reply = client_for(personal_token(bob)).chat.completions.create(
        model="loopback/fake-model", messages=[{"role": "system", "content": "Be brief."},
                                               {"role": "user", "content": "Hi"}], temperature=0.2, max_tokens=50)
    assert reply.choices[0].message.content == "Whole." and reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens == 12 and reply.usage.completion_tokens == 5
    sent = openai_fake.chat_requests()[-1].body
    assert sent["temperature"] == 0.2 and sent["messages"][0] == {"role": "system", "content": "Be brief."}


def test_a_tool_call_comes_back_and_its_result_goes_on(bob, provider, openai_fake, personal_token, client_for):
    openai_fake.enqueue(Reply(tool_calls=[ScriptedCall("call_1", "get_weather", ['{"ci', 'ty": "Paris"}'])],
                              finish="tool_calls"), Reply.text_of("It is sunny in Paris."))
    client = client_for(personal_token(bob))
    question = [{"role": "user", "content": "Weather in Paris?"}]
    reply = client.chat.completions.create(model="loopback/fake-model", messages=question, tools=[WEATHER],
                                           tool_choice="auto")
    call = reply.choices[0].message.tool_calls[0]
    assert reply.choices[0].finish_reason == "tool_calls"
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("call_1", "get_weather", {"city": "Paris"})
    answer = client.chat.completions.create(model="loopback/fake-model", tools=[WEATHER], messages=[
        *question, reply.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "sunny"}'}])
    assert answer.choices[0].message.content == "It is sunny in Paris."
    sent = openai_fake.chat_requests()[-1].body["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "sunny"}'}
    assert sent[-2]["tool_calls"][0]["function"]["name"] == "get_weather"


def test_a_streamed_tool_call_arrives_in_pieces(bob, provider, openai_fake, personal_token, client_for):
    openai_fake.enqueue(Reply(tool_calls=[ScriptedCall("call_9", "get_weather", ['{"city"', ': "Oslo"}'])],
                              finish="tool_calls"))
    stream = client_for(personal_token(bob)).chat.completions.create(
        model="loopback/fake-model", messages=[{"role": "user", "content": "Oslo?"}], tools=[WEATHER], stream=True)
    pieces = [c.choices[0].delta.tool_calls[0] for c in stream if c.choices and c.choices[0].delta.tool_calls]
    assert pieces[0].id == "call_9" and pieces[0].function.name == "get_weather"
    assert "".join(p.function.arguments for p in pieces) == '{"city": "Oslo"}'


class City(BaseModel):
    name: str
    population: int


def test_a_json_schema_reply_parses_into_the_callers_type(bob, provider, openai_fake, personal_token, client_for):
    openai_fake.enqueue(Reply.text_of('{"name": "Paris", "population": 2100000}'))
    parsed = client_for(personal_token(bob)).chat.completions.parse(
        model="loopback/fake-model", messages=[{"role": "user", "content": "A city"}], response_format=City)
    assert parsed.choices[0].message.parsed == City(name="Paris", population=2100000)
    sent = openai_fake.chat_requests()[-1].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"]["required"] == ["name", "population"]


def test_a_native_provider_answers_through_the_openai_shape(bob, personal_token, client_for):
    with AnthropicFake() as fake:
        loopback_provider(fake.base_url, slug="claude", kind="anthropic", name="Claude", model="claude-fake")
        fake.enqueue(Reply.text_of("Hello from Claude.", pieces=3))
        client = client_for(personal_token(bob))
        stream = client.chat.completions.create(model="claude/claude-fake", stream=True, messages=[
            {"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}])
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        sent = fake.requests[-1]
    assert text == "Hello from Claude."
    assert sent.path == "/v1/messages" and sent.body["system"] and sent.body["messages"][0]["role"] == "user"


def test_chunks_arrive_while_the_provider_streams_and_hanging_up_closes_it(bob, provider, openai_fake, personal_token,
                                                                           client_for):
    openai_fake.enqueue(Reply.text_of("z" * 300, pieces=300, delay=0.02))
    stream = client_for(personal_token(bob)).chat.completions.create(
        model="loopback/fake-model", messages=[{"role": "user", "content": "Long"}], stream=True)
    first = next(c for c in stream if c.choices and c.choices[0].delta.content)
    assert first.choices[0].delta.content == "z" and openai_fake.events_sent < 300
    stream.close()
    assert openai_fake.wait_for(lambda: openai_fake.disconnects >= 1, 10)
    assert _eventually(lambda: ApiRequest.objects.filter(status=499).exists())


def _eventually(check, timeout: float = 20) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_hanging_up_before_the_first_token_closes_the_upstream_request(bob, provider, openai_fake, personal_token,
                                                                       gateway_url):
    from openai import APITimeoutError, OpenAI

    openai_fake.enqueue(Reply.text_of("late", stall_before=3))  # the fake finds the connection closed when it answers
    impatient = OpenAI(base_url=f"{gateway_url}/v1", api_key=personal_token(bob), max_retries=0, timeout=1)
    with pytest.raises(APITimeoutError):
        impatient.chat.completions.create(model="loopback/fake-model", stream=True,
                                          messages=[{"role": "user", "content": "Hi"}])
    assert _eventually(lambda: ApiRequest.objects.filter(status=499, error_code="client_closed").exists())
    assert openai_fake.wait_for(lambda: openai_fake.disconnects >= 1, 10)
