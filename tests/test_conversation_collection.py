"""Many conversations at once: importing an export file, deleting several, pinning."""
import json

import pytest

from chat.models import Conversation, Message
from tests.test_history_views import make_conversation, post, signed_in

pytestmark = pytest.mark.django_db


def _export(client, conversation) -> dict:
    return client.get(f"/api/conversations/{conversation.pk}/export.json").json()


def test_an_exported_conversation_imports_as_a_new_one_of_the_importer(client, alice, bob):
    original = make_conversation(alice, "Shared recipe", turns=(("**Flour**?", "500 g"), ("Water?", "300 ml")))
    document = _export(signed_in(client, alice), original)
    response = post(signed_in(client, bob), "/api/conversations/import", document)
    assert response.status_code == 201
    data = response.json()
    assert data["copied"] is False and data["conversation"]["owner"] == "bob"
    assert data["conversation"]["title"] == "Shared recipe"
    assert [m["content"] for m in data["messages"]] == ["**Flour**?", "500 g", "Water?", "300 ml"]
    assert data["messages"][0]["html"].strip() == "<p><strong>Flour</strong>?</p>"  # rendered, not taken from the file
    parents = {m["id"]: m["parent_id"] for m in data["messages"]}
    assert [parents[m["id"]] for m in data["messages"]] == [None] + [m["id"] for m in data["messages"][:-1]]


def test_the_same_file_twice_is_refused_unless_a_copy_is_asked_for(client, alice):
    document = _export(signed_in(client, alice), make_conversation(alice, "Once"))
    first = post(client, "/api/conversations/import", document).json()
    again = post(client, "/api/conversations/import", document)
    assert again.status_code == 409
    assert "imported already" in again.json()["error"] and str(first["conversation"]["id"]) in again.json()["error"]
    copy = post(client, "/api/conversations/import?copy=1", document)
    assert copy.status_code == 201 and copy.json()["copied"] is True
    assert copy.json()["conversation"]["title"] == "Once (copy)"


@pytest.mark.parametrize("broken, problem", [
    ({"format": "something-else"}, "`format`"),
    ({"messages": [{"id": 1, "parent_id": 7, "role": "user", "content": "orphan"}]}, "not before it"),
    ({"messages": [{"id": 1, "parent_id": None, "role": "wizard", "content": "?"}]}, "role"),
    ({"messages": [{"id": 1, "parent_id": None, "role": "user", "content": ["not", "text"]}]}, "`content`"),
])
def test_a_file_that_is_not_an_export_is_refused_and_nothing_is_stored(client, alice, broken, problem):
    document = {**_export(signed_in(client, alice), make_conversation(alice, "Base")), **broken}
    before = (Conversation.objects.count(), Message.objects.count())
    response = post(client, "/api/conversations/import", document)
    assert response.status_code == 400 and problem in response.json()["error"]
    assert (Conversation.objects.count(), Message.objects.count()) == before


def test_bulk_delete_removes_only_your_own_conversations(client, alice, bob):
    mine = [make_conversation(alice, f"Mine {n}") for n in range(3)]
    theirs = make_conversation(bob, "Bob's")
    response = post(signed_in(client, alice), "/api/conversations/delete",
                    {"ids": [mine[0].pk, mine[2].pk, theirs.pk]})
    assert response.json() == {"deleted": sorted([mine[0].pk, mine[2].pk]), "refused": [theirs.pk]}
    assert set(Conversation.objects.values_list("pk", flat=True)) == {mine[1].pk, theirs.pk}
    assert post(client, "/api/conversations/delete", {"ids": "all"}).status_code == 400


def test_pinned_conversations_come_first_for_the_one_who_pinned_them(client, alice, bob):
    older = make_conversation(alice, "Older")
    make_conversation(alice, "Newer")
    team = make_conversation(bob, "Bob's team chat")
    signed_in(client, alice)
    assert client.put(f"/api/conversations/{older.pk}/pin").json() == {"id": older.pk, "pinned": True}
    assert client.put(f"/api/conversations/{team.pk}/pin").status_code == 200
    listing = client.get("/api/conversations").json()
    assert [c["title"] for c in listing["pinned"]] == ["Bob's team chat", "Older"]
    assert {c["title"]: c["pinned"] for c in listing["items"]} == {"Newer": False, "Older": True}
    assert signed_in(client, bob).get("/api/conversations").json()["pinned"] == []
    signed_in(client, alice).delete(f"/api/conversations/{older.pk}/pin")
    assert [c["title"] for c in client.get("/api/conversations").json()["pinned"]] == ["Bob's team chat"]


def test_a_private_conversation_of_someone_else_cannot_be_pinned(client, alice, bob):
    secret = make_conversation(bob, "Bob's secret", visibility=Conversation.PRIVATE)
    assert signed_in(client, alice).put(f"/api/conversations/{secret.pk}/pin").status_code == 404
    assert json.loads(client.get("/api/conversations").content)["pinned"] == []


def test_a_user_sets_their_own_default_visibility_and_forks_follow_it(client, alice, bob, settings):
    settings.PLAYGROUND_DEFAULT_VISIBILITY = "team"
    signed_in(client, bob)
    assert client.get("/api/preferences").json() == {
        "default_visibility": None, "effective_visibility": "team", "site_default_visibility": "team"}
    response = client.patch("/api/preferences", json.dumps({"default_visibility": "private"}),
                            content_type="application/json")
    assert response.json()["effective_visibility"] == "private"
    fork = post(client, f"/api/conversations/{make_conversation(alice, 'Team chat').pk}/fork").json()
    assert fork["conversation"]["visibility"] == "private"
    bad = client.patch("/api/preferences", json.dumps({"default_visibility": "everyone"}),
                       content_type="application/json")
    assert bad.status_code == 400
