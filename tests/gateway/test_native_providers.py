"""Every wire format the playground speaks answers through /v1 in the OpenAI shape, tool loops included."""
import json

import pytest

from providers.models import Provider, ProviderModel
from tests.conftest import TEST_KEY
from tests.fakes.registry import CASES
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.django_db(transaction=True)
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


@pytest.fixture(params=CASES, ids=str)
def native(request):
    """(slug, fake) for one wire format: an enabled provider of that kind on its loopback fake."""
    case = request.param
    with case.fake_class() as fake:
        config = case.config(fake)
        provider = Provider(name=f"Loopback {case.kind}", slug=case.kind, kind=case.kind, base_url=fake.base_url,
                            default_model="fake-model", max_retries=0, options=config.options)
        provider.set_api_key(TEST_KEY)
        provider.save()
        ProviderModel.objects.create(provider=provider, model_id="fake-model")
        yield case, fake


def test_a_streamed_reply_and_a_tool_loop_through_each_wire_format(bob, native, personal_token, client_for):
    case, fake = native
    client, model = client_for(personal_token(bob)), f"{case.kind}/fake-model"
    fake.enqueue(Reply.text_of("Hello there.", pieces=3),
                 Reply(tool_calls=[ScriptedCall("call_1", "get_weather", ['{"city": "Paris"}'])], finish="tool_calls"),
                 Reply.text_of("Sunny."))
    streamed = client.chat.completions.create(model=model, stream=True, messages=[{"role": "user", "content": "Hi"}])
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == "Hello there."
    question = [{"role": "user", "content": "Weather in Paris?"}]
    asked = client.chat.completions.create(model=model, messages=question, tools=[WEATHER])
    call = asked.choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    answer = client.chat.completions.create(model=model, tools=[WEATHER], messages=[
        *question, asked.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"sky": "sunny"}'}])
    assert answer.choices[0].message.content == "Sunny."
    calls, results = case.tool_history(fake.chat_requests()[-1].body)
    assert calls == [("get_weather", {"city": "Paris"})]
    assert results == [(call.id if case.results_by == "id" else "get_weather", {"sky": "sunny"})]
