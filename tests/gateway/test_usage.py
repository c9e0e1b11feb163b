"""The usage page: your own usage (the team's for admins) per day, model, provider and user, as SVG and CSV."""
import csv
import io
import re

import pytest
from django.test import Client

from chat.gateway.models import ApiRequest, Quota
from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def usage(alice, bob):
    """bob: a chat reply (17 tokens, 0.5 USD) and a gateway request (30 tokens, 0.25 USD); alice: one chat reply."""
    for owner, tokens, cost in ((bob, 17, 0.5), (alice, 100, 1.0)):
        conversation = Conversation.objects.create(owner=owner, title="t")
        Message.objects.create(conversation=conversation, role=Message.ASSISTANT, content="hi", provider="loopback",
                               model="fake-model", cost=cost, usage={"prompt_tokens": 1, "completion_tokens": 1,
                                                                     "total_tokens": tokens})
    ApiRequest.objects.create(user=bob, provider="loopback", model="fake-model", sent=True, status=200,
                              total_tokens=30, cost=0.25)
    ApiRequest.objects.create(user=bob, provider="loopback", model="nope", sent=False, status=404)


def test_a_user_sees_their_own_usage_and_quota_left(bob, usage):
    Quota.objects.create(scope=Quota.USER, user=bob, tokens_per_day=1000)
    page = _signed_in(bob).get("/usage/")
    summary = page.context["summary"]
    assert summary["model"] == [{"key": "loopback/fake-model", "requests": 2, "tokens": 47, "cost": 0.75}]
    assert [row["key"] for row in summary["user"]] == ["bob"]
    html = page.content.decode()
    assert html.count("<svg") == 3  # drawn on the server: no script draws them, and none is inline
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", html))
    standing = page.context["people"][0][1][0]
    assert (standing.label, standing.used, standing.left) == ("tokens per day", 47, 953)


def test_admins_see_the_teams_usage_and_key_use_and_others_do_not(alice, bob, usage):
    page = _signed_in(alice).get("/usage/", {"scope": "team"})
    assert [(row["key"], row["tokens"]) for row in page.context["summary"]["user"]] == [("alice", 100), ("bob", 47)]
    assert [(key[1], key[2], row["requests"]) for row in page.context["summary"]["key_use"] for key in [row["key"]]] == [
        ("loopback", "alice", 1), ("loopback", "bob", 2)]
    assert _signed_in(bob).get("/usage/", {"scope": "team"}).status_code == 403
    assert Client().get("/usage/").status_code == 302


def test_the_csv_has_one_row_per_day_user_model_and_source(alice, bob, usage):
    answer = _signed_in(alice).get("/usage.csv", {"scope": "team"})
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert answer["Content-Disposition"].startswith("attachment")
    assert sorted((r["user"], r["source"], r["tokens"], r["cost"]) for r in rows) == [
        ("alice", "chat", "100", "1.0"), ("bob", "api", "30", "0.25"), ("bob", "chat", "17", "0.5")]
    mine = list(csv.DictReader(io.StringIO(_signed_in(bob).get("/usage.csv").content.decode())))
    assert {r["user"] for r in mine} == {"bob"}
