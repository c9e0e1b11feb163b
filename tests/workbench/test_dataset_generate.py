"""Generating test cases through the one request path, against the loopback OpenAI fake."""
import json

import pytest

from chat.workbench.models import Prompt, PromptVersion
from tests.fakes.script import Reply
from tests.workbench.conftest import send

pytestmark = pytest.mark.django_db(transaction=True)  # the async view reaches the database from another thread

CASES = {"rows": [{"values": {"country": "France", "tone": "plain"}, "expected": "Paris"},
                  {"values": {"country": "Bhutan", "tone": "formal"}, "expected": "Thimphu"}]}


def _generate(client, dataset, **extra):
    body = {"provider": "loopback", "model": "fake-model", "variables": ["country", "tone"],
            "description": "Capitals, some hard", "count": 2, **extra}
    return send(client, "post", f"/api/datasets/{dataset.pk}/generate", body)


def test_generated_cases_come_back_for_review_and_are_not_stored(client, alice, dataset, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of(json.dumps(CASES), pieces=4))
    client.force_login(alice)
    answer = _generate(client, dataset)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"model": "Loopback · fake-model", "rows": CASES["rows"]}
    assert not dataset.rows.exists()
    sent = openai_fake.chat_requests()[-1].body
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["rows"]["items"]["properties"]["values"]["required"] == ["country", "tone"]
    assert "Capitals, some hard" in sent["messages"][-1]["content"]


def test_a_model_answering_garbage_gets_a_clear_error(client, alice, dataset, provider, openai_fake):
    client.force_login(alice)
    openai_fake.enqueue(Reply.text_of("Sure! Here are some test cases: France, Bhutan."))
    answer = _generate(client, dataset)
    assert answer.status_code == 502
    assert answer.json()["error"].startswith("Loopback · fake-model did not answer with test cases ($: Not valid JSON")
    openai_fake.enqueue(Reply.text_of(json.dumps({"rows": [{"values": {"country": "France"}, "expected": 1}]})))
    wrong = _generate(client, dataset).json()["error"]
    assert "did not answer with test cases" in wrong and "'tone' is a required property" in wrong
    openai_fake.enqueue(Reply.fail(401, "Incorrect API key"))  # not retried
    assert "could not write test cases" in _generate(client, dataset).json()["error"]
    assert not dataset.rows.exists()


def test_bad_requests_are_refused_before_any_model_call(client, alice, bob, dataset, provider, openai_fake):
    client.force_login(alice)
    for extra in ({"variables": []}, {"variables": ["a b"]}, {"count": 0}, {"count": 21}, {"provider": ""}):
        assert _generate(client, dataset, **extra).status_code == 400, extra
    assert _generate(client, dataset, provider="nope").status_code == 404
    client.force_login(bob)
    assert _generate(client, dataset).status_code == 403
    assert openai_fake.chat_requests() == []


def test_a_prompt_versions_variables_are_used(client, alice, dataset, provider, openai_fake):
    prompt = Prompt.objects.create(owner=alice, name="Capitals")
    version = PromptVersion.objects.create(prompt=prompt, number=1, messages=[
        {"role": "user", "content": "Answer in a {{tone}} way: the capital of {{ country }}?"}])
    openai_fake.enqueue(Reply.text_of(json.dumps(CASES)))
    client.force_login(alice)
    answer = _generate(client, dataset, variables=None, prompt_version=version.pk)
    assert answer.status_code == 200 and len(answer.json()["rows"]) == 2
    sent = openai_fake.chat_requests()[-1].body
    assert "the capital of {{ country }}" in sent["messages"][-1]["content"]
    assert _generate(client, dataset, variables=None, prompt_version=999999).status_code == 404
