"""History endpoints: list, search, detail, rename, visibility, delete, fork, code; for alice, bob and charlie."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Conversation, Message
from tests.conftest import PASSWORD, TEST_KEY

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def make_conversation(owner, title, visibility=Conversation.TEAM, turns=(("Hello there", "Hi! How can I help?"),),
                      settings=None):
    conversation = Conversation.objects.create(
        owner=owner, title=title, visibility=visibility,
        settings=settings or {"provider": "loopback", "model": "fake-model", "params": {"temperature": 0.3}},
    )
    parent = None
    for question, answer in turns:
        parent = Message.objects.create(conversation=conversation, parent=parent, role="user", content=question,
                                        html=f"<p>{question}</p>", author=owner)
        parent = Message.objects.create(
            conversation=conversation, parent=parent, role="assistant", content=answer, html=f"<p>{answer}</p>",
            provider="loopback", model="fake-model", finish_reason="stop", usage={"prompt_tokens": 12, "completion_tokens": 5},
            request={"provider": "loopback", "model": "fake-model", "params": {"temperature": 0.3}},
        )
    return conversation


@pytest.fixture
def team_chat(alice):
    return make_conversation(alice, "Team chat about llamas")


@pytest.fixture
def private_chat(alice):
    return make_conversation(alice, "Alice's secret plans", Conversation.PRIVATE,
                             turns=(("What is a kumquat?", "A small citrus fruit."),))


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


# Pages -------------------------------------------------------------------------


def test_it_shows_the_sign_in_form_to_anonymous_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_it_shows_the_playground_to_a_signed_in_user(client, alice, provider):
    response = signed_in(client, alice).get("/")
    assert response.status_code == 200
    assert b'id="providers-data"' in response.content
    assert b"fake-model" in response.content


def test_the_page_never_carries_a_key_or_its_hint(client, bob, provider):
    body = signed_in(client, bob).get("/").content.decode()
    assert TEST_KEY not in body
    assert provider.api_key_last4 not in body or not provider.api_key_last4
    assert "api_key" not in body


def test_it_lists_only_enabled_providers_and_models(client, alice, provider):
    from providers.models import Provider, ProviderModel

    ProviderModel.objects.create(provider=provider, model_id="switched-off", enabled=False)
    Provider.objects.create(name="Off", slug="off", kind="openai", base_url="http://127.0.0.1:9/v1", enabled=False)
    body = signed_in(client, alice).get("/").content.decode()
    assert "switched-off" not in body
    assert '"slug": "off"' not in body


def test_charlie_cannot_sign_in(client, charlie):
    response = client.post("/accounts/login/", {"username": "charlie", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    assert client.get("/api/conversations").status_code == 403


def test_a_conversation_page_opens_that_conversation(client, alice, team_chat):
    response = signed_in(client, alice).get(f"/c/{team_chat.pk}/")
    assert response.status_code == 200
    assert f'<script id="initial-conversation" type="application/json">{team_chat.pk}</script>' in response.content.decode()


# The list ------------------------------------------------------------------------


def test_it_lists_my_conversations(client, alice, team_chat, private_chat):
    items = signed_in(client, alice).get("/api/conversations?scope=mine").json()["items"]
    assert [i["id"] for i in items] == [private_chat.pk, team_chat.pk]
    assert items[0] == {
        "id": private_chat.pk, "title": "Alice's secret plans", "owner": "alice", "visibility": "private",
        "model": "fake-model", "provider": "loopback", "updated": items[0]["updated"], "forked_from_id": None,
        "pinned": False,
    }


def test_team_scope_shows_the_teams_conversations_but_not_private_ones(client, bob, team_chat, private_chat):
    items = signed_in(client, bob).get("/api/conversations?scope=team").json()["items"]
    assert [i["id"] for i in items] == [team_chat.pk]
    assert signed_in(client, bob).get("/api/conversations?scope=mine").json()["items"] == []


def test_it_searches_titles_and_message_text(client, alice, bob, team_chat, private_chat):
    signed_in(client, alice)
    by_title = client.get("/api/conversations?scope=mine&q=llamas").json()["items"]
    assert [i["id"] for i in by_title] == [team_chat.pk]
    by_text = client.get("/api/conversations?scope=mine&q=CITRUS").json()["items"]
    assert [i["id"] for i in by_text] == [private_chat.pk]
    signed_in(client, bob)
    assert client.get("/api/conversations?scope=team&q=citrus").json()["items"] == []


def test_it_pages_by_updated_then_id(client, alice):
    now = timezone.now()
    made = [Conversation.objects.create(owner=alice, title=f"c{i}") for i in range(53)]
    # Several share one timestamp: the id breaks the tie.
    for i, conversation in enumerate(made):
        Conversation.objects.filter(pk=conversation.pk).update(updated=now - timedelta(minutes=i // 3))
    signed_in(client, alice)
    first = client.get("/api/conversations?scope=mine").json()
    assert len(first["items"]) == 50 and first["next"]
    second = client.get("/api/conversations", {"scope": "mine", "before": first["next"]}).json()
    assert second["next"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 53
    stamps = {c.pk: now - timedelta(minutes=i // 3) for i, c in enumerate(made)}
    expected = sorted(stamps, key=lambda pk: (stamps[pk], pk), reverse=True)
    assert ids == expected


def test_a_bad_cursor_or_scope_is_a_400(client, alice):
    signed_in(client, alice)
    assert client.get("/api/conversations?scope=mine&before=nonsense").status_code == 400
    assert client.get("/api/conversations?scope=everyone").status_code == 400


def test_anonymous_callers_get_403(client, team_chat):
    assert client.get("/api/conversations").status_code == 403
    assert client.get(f"/api/conversations/{team_chat.pk}").status_code == 403


# Detail ------------------------------------------------------------------------------


def test_the_owner_reads_a_conversation_with_every_message(client, alice, team_chat):
    data = signed_in(client, alice).get(f"/api/conversations/{team_chat.pk}").json()
    assert data["can_write"] is True
    assert data["conversation"]["title"] == "Team chat about llamas"
    assert data["conversation"]["settings"]["model"] == "fake-model"
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert data["messages"][1]["html"] == "<p>Hi! How can I help?</p>"
    assert data["current_leaf_id"] == data["messages"][1]["id"]


def test_a_teammate_reads_a_team_conversation_without_write_rights(client, bob, team_chat):
    data = signed_in(client, bob).get(f"/api/conversations/{team_chat.pk}").json()
    assert data["can_write"] is False
    assert len(data["messages"]) == 2


def test_a_private_conversation_of_someone_else_is_a_404_like_a_missing_one(client, bob, private_chat):
    signed_in(client, bob)
    assert client.get(f"/api/conversations/{private_chat.pk}").status_code == 404
    assert client.get("/api/conversations/999999").status_code == 404
    for suffix in ("/export.json", "/export.md", "/code"):
        assert client.get(f"/api/conversations/{private_chat.pk}{suffix}").status_code == 404
    assert post(client, f"/api/conversations/{private_chat.pk}/fork").status_code == 404
    assert patch(client, f"/api/conversations/{private_chat.pk}", {"title": "mine now"}).status_code == 404


# Rename, visibility, delete ---------------------------------------------------------------


def test_the_owner_renames_and_changes_visibility(client, alice, team_chat):
    signed_in(client, alice)
    response = patch(client, f"/api/conversations/{team_chat.pk}", {"title": "  Llamas, renamed ", "visibility": "private"})
    assert response.status_code == 200
    team_chat.refresh_from_db()
    assert (team_chat.title, team_chat.visibility) == ("Llamas, renamed", "private")


def test_it_refuses_a_bad_visibility_or_title(client, alice, team_chat):
    signed_in(client, alice)
    assert patch(client, f"/api/conversations/{team_chat.pk}", {"visibility": "public"}).status_code == 400
    assert patch(client, f"/api/conversations/{team_chat.pk}", {"title": "x" * 201}).status_code == 400
    team_chat.refresh_from_db()
    assert team_chat.visibility == "team"


def test_a_teammate_cannot_change_or_delete_a_team_conversation(client, bob, team_chat):
    signed_in(client, bob)
    assert patch(client, f"/api/conversations/{team_chat.pk}", {"title": "bob's"}).status_code == 403
    assert patch(client, f"/api/conversations/{team_chat.pk}", {"visibility": "private"}).status_code == 403
    assert client.delete(f"/api/conversations/{team_chat.pk}").status_code == 403
    team_chat.refresh_from_db()
    assert (team_chat.title, team_chat.visibility) == ("Team chat about llamas", "team")


def test_the_owner_deletes_a_conversation(client, alice, team_chat):
    signed_in(client, alice)
    assert client.delete(f"/api/conversations/{team_chat.pk}").status_code == 204
    assert not Conversation.objects.filter(pk=team_chat.pk).exists()
    assert not Message.objects.filter(conversation_id=team_chat.pk).exists()


def test_writes_need_the_csrf_token(alice, team_chat):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    signed_in(client, alice)
    assert client.delete(f"/api/conversations/{team_chat.pk}").status_code == 403
    assert Conversation.objects.filter(pk=team_chat.pk).exists()


def test_charlie_can_do_nothing(client, charlie, team_chat):
    client.force_login(charlie)  # an inactive account's session is not honoured
    assert client.get(f"/api/conversations/{team_chat.pk}").status_code == 403
    assert client.delete(f"/api/conversations/{team_chat.pk}").status_code == 403
    assert post(client, f"/api/conversations/{team_chat.pk}/fork").status_code == 403
    assert b'name="password"' in client.get("/").content


# Fork --------------------------------------------------------------------------------------


def test_a_teammate_forks_a_team_conversation_into_their_own(client, bob, team_chat):
    signed_in(client, bob)
    response = post(client, f"/api/conversations/{team_chat.pk}/fork")
    assert response.status_code == 201
    data = response.json()
    copy = Conversation.objects.get(pk=data["conversation"]["id"])
    assert copy.owner == bob and copy.forked_from == team_chat and copy.visibility == "team"
    assert data["can_write"] is True
    assert [m["content"] for m in data["messages"]] == ["Hello there", "Hi! How can I help?"]
    assert data["messages"][1]["parent_id"] == data["messages"][0]["id"]
    assert copy.settings == team_chat.settings
    assert team_chat.messages.count() == 2  # the original is untouched


def test_a_fork_of_a_private_conversation_stays_private(client, alice, private_chat):
    data = post(signed_in(client, alice), f"/api/conversations/{private_chat.pk}/fork").json()
    assert data["conversation"]["visibility"] == "private"


def test_a_fork_copies_only_the_branch_up_to_the_message_given(client, alice, bob):
    chat = make_conversation(alice, "Two turns", turns=(("one", "first"), ("two", "second")))
    first_reply = chat.messages.get(content="first")
    # A sibling branch that must not be copied.
    Message.objects.create(conversation=chat, parent=first_reply.parent, role="assistant", content="other branch")
    data = post(signed_in(client, bob), f"/api/conversations/{chat.pk}/fork", {"message_id": first_reply.pk}).json()
    assert [m["content"] for m in data["messages"]] == ["one", "first"]


def test_a_fork_refuses_a_message_of_another_conversation(client, alice, team_chat, private_chat):
    foreign = private_chat.messages.first()
    response = post(signed_in(client, alice), f"/api/conversations/{team_chat.pk}/fork", {"message_id": foreign.pk})
    assert response.status_code == 400


# Code ----------------------------------------------------------------------------------------


def test_view_code_shows_the_exact_request_of_a_reply(client, bob, provider, team_chat):
    reply = team_chat.messages.get(role="assistant")
    data = signed_in(client, bob).get(f"/api/conversations/{team_chat.pk}/code", {"message_id": reply.pk}).json()
    assert data["body"]["model"] == "fake-model"
    assert data["body"]["messages"] == [{"role": "user", "content": "Hello there"}]
    assert data["body"]["temperature"] == 0.3
    assert data["body"]["stream"] is True
    assert data["url"] == f"{provider.base_url}/chat/completions"
    assert "$PLAYGROUND_KEY" in data["curl"]
    assert '"Authorization: Bearer $PLAYGROUND_KEY"' in data["curl"]
    assert "from openai import OpenAI" in data["python"]
    assert "os.environ['PLAYGROUND_KEY']" in data["python"]
    assert TEST_KEY not in json.dumps(data)


def test_view_code_names_the_providers_env_var(client, alice, provider, team_chat, monkeypatch):
    provider.set_api_key(None)
    provider.api_key_env = "OPENAI_API_KEY"
    provider.save()
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    data = signed_in(client, alice).get(f"/api/conversations/{team_chat.pk}/code").json()
    assert "$OPENAI_API_KEY" in data["curl"] and "os.environ['OPENAI_API_KEY']" in data["python"]
    assert TEST_KEY not in json.dumps(data)


def test_view_code_for_the_next_request_includes_the_branch_and_the_draft(client, alice, provider, team_chat):
    data = signed_in(client, alice).get(f"/api/conversations/{team_chat.pk}/code", {"content": "And llamas?"}).json()
    assert [m["content"] for m in data["body"]["messages"]] == ["Hello there", "Hi! How can I help?", "And llamas?"]


def test_view_code_refuses_a_user_message(client, alice, provider, team_chat):
    user_message = team_chat.messages.get(role="user")
    response = signed_in(client, alice).get(f"/api/conversations/{team_chat.pk}/code", {"message_id": user_message.pk})
    assert response.status_code == 400
