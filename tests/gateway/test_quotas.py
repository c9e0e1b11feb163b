"""Quotas: checked before the provider is called, the same way on the websocket, experiments and /v1."""
import asyncio
import time

import httpx
import pytest
from django.contrib.auth.models import Group
from django.db import connection

from chat.gateway.models import ApiRequest, Quota
from chat.models import Message
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply
from tests.live import daphne, server_env

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_websocket_says_which_limit_and_when_it_resets_and_stores_nothing(bob, provider, openai_fake):
    await Quota.objects.acreate(scope=Quota.USER, user=bob, requests_per_minute=1)
    ws = await connect(bob)
    first = send_frame("one")
    await ws.send_json_to(first)
    ended = await frames_until_end(ws, first["request_id"])
    assert of_type(ended, "stream.end")[0]["status"] == "complete"
    stored = await Message.objects.acount()
    second = send_frame("two", conversation_id=ended[0]["conversation_id"])
    await ws.send_json_to(second)
    error = await ws.receive_json_from(timeout=10)
    await ws.disconnect()
    assert error["type"] == "error" and error["code"] == "quota_exceeded" and error["request_id"] == second["request_id"]
    assert "1 requests per minute" in error["message"] and "resets at" in error["message"]
    assert 1 <= error["retry_after"] <= 60
    assert await Message.objects.acount() == stored and len(openai_fake.chat_requests()) == 1


async def test_a_quota_applies_to_the_next_request_once_an_admin_sets_it(bob, provider, openai_fake):
    """Quota limits are kept briefly for the path to the first token; a change made here applies at once."""
    ws = await connect(bob)
    first = send_frame("one")
    await ws.send_json_to(first)
    ended = await frames_until_end(ws, first["request_id"])
    assert of_type(ended, "stream.end")[0]["status"] == "complete"
    testers = await Group.objects.acreate(name="testers")
    await Quota.objects.acreate(scope=Quota.GROUP, group=testers, tokens_per_day=1)
    await bob.groups.aadd(testers)  # the quota is the group's: bob is in it now
    second = send_frame("two", conversation_id=ended[0]["conversation_id"])
    await ws.send_json_to(second)
    error = await ws.receive_json_from(timeout=10)
    await bob.groups.aremove(testers)
    third = send_frame("three", conversation_id=ended[0]["conversation_id"])
    await ws.send_json_to(third)
    answered = await frames_until_end(ws, third["request_id"])
    await ws.disconnect()
    assert (error["type"], error["code"], error["request_id"]) == ("error", "quota_exceeded", second["request_id"])
    assert of_type(answered, "stream.end")[0]["status"] == "complete"
    assert len(openai_fake.chat_requests()) == 2


def test_the_tightest_limit_applies_and_only_to_whom_it_is_for(alice, bob, provider, openai_fake, personal_token,
                                                               client_for):
    import openai

    testers = Group.objects.create(name="testers")
    bob.groups.add(testers)
    Quota.objects.create(scope=Quota.EVERYONE, requests_per_minute=100, tokens_per_day=1_000_000)
    Quota.objects.create(scope=Quota.GROUP, group=testers, tokens_per_day=10)
    hello = [{"role": "user", "content": "Hi"}]
    bob_client, alice_client = client_for(personal_token(bob)), client_for(personal_token(alice))
    bob_client.chat.completions.create(model="loopback/fake-model", messages=hello)  # 17 tokens: over 10 now
    with pytest.raises(openai.RateLimitError, match="10 tokens per day .used 17."):
        bob_client.chat.completions.create(model="loopback/fake-model", messages=hello)
    alice_client.chat.completions.create(model="loopback/fake-model", messages=hello)
    assert len(openai_fake.chat_requests()) == 2


def test_spend_per_month_counts_the_playgrounds_replies_too(bob, provider, openai_fake, personal_token, client_for):
    import openai

    Quota.objects.create(scope=Quota.USER, user=bob, spend_per_month="0.01")
    from chat.models import Conversation

    conversation = Conversation.objects.create(owner=bob, title="earlier")
    Message.objects.create(conversation=conversation, role=Message.ASSISTANT, content="old", cost=0.02,
                           usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2})
    with pytest.raises(openai.RateLimitError, match="USD of spend per month"):
        client_for(personal_token(bob)).chat.completions.create(model="loopback/fake-model",
                                                               messages=[{"role": "user", "content": "Hi"}])
    assert openai_fake.chat_requests() == []


def test_an_experiment_over_quota_stores_its_runs_as_refused(bob, provider, openai_fake):
    from chat.experiments import store
    from chat.models import Experiment

    Quota.objects.create(scope=Quota.USER, user=bob, requests_per_minute=2)
    experiment = Experiment.objects.create(owner=bob, name="three repeats", repeats=3,
                                           messages=[{"role": "user", "content": "Hi"}],
                                           targets=[{"provider": "loopback", "model": "fake-model"}])
    _, jobs, failed = store.start_batch(experiment.pk, bob)
    assert jobs == [] and {row["error_code"] for row in failed} == {"quota_exceeded"}


def _outside_a_minute_boundary(margin: float = 15) -> None:
    """The race below must fall inside one minute's window: if the minute is about to turn, start after it."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.5)


def test_two_processes_never_both_spend_the_last_request(bob, provider, openai_fake, personal_token):
    limit, tries = 5, 16
    Quota.objects.create(scope=Quota.USER, user=bob, requests_per_minute=limit)
    token = personal_token(bob)
    openai_fake.default_reply = Reply.text_of("ok", delay=0.05)
    env = server_env(dict(connection.settings_dict))

    async def race(urls: list[str]) -> list[int]:
        async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
            body = {"model": "loopback/fake-model", "messages": [{"role": "user", "content": "Hi"}]}
            answers = await asyncio.gather(*(client.post(f"{urls[n % 2]}/v1/chat/completions", json=body)
                                             for n in range(tries)))
        return [answer.status_code for answer in answers]

    with daphne(env, "daphne-quota-a") as url_a, daphne(env, "daphne-quota-b") as url_b:
        _outside_a_minute_boundary()
        statuses = asyncio.run(race([url_a, url_b]))
    assert sorted(statuses) == [200] * limit + [429] * (tries - limit)
    assert len(openai_fake.chat_requests()) == limit
    assert ApiRequest.objects.filter(status=200).count() == limit
