"""Prompts over the JSON API: numbered versions never edited, labels moved and audited, rights, diffs."""
import json

import pytest
from django.contrib.auth.models import Permission

from chat.gateway.models import AuditEntry
from chat.workbench.models import Prompt, PromptVersion

pytestmark = pytest.mark.django_db

FIRST = {"name": "Summariser", "visibility": "team", "note": "first go",
         "messages": [{"role": "system", "content": "You write in {{language}}."},
                      {"role": "user", "content": "Summarise: {{text}}"}],
         "settings": {"provider": "loopback", "model": "fake-model", "params": {"temperature": 0.2}},
         "variables": {"text": "long_text"}}


def send(client, method, url, data=None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def dave(django_user_model, password_hash):
    """Another teammate with no grants."""
    return django_user_model.objects.create(username="dave", password=password_hash)


@pytest.fixture
def made(client, bob):
    client.force_login(bob)
    answer = send(client, "post", "/api/prompts", FIRST)
    assert answer.status_code == 201, answer.content
    return answer.json()["prompt"]


def test_a_new_prompt_has_version_one_with_its_variables_typed(client, made):
    detail = client.get(f"/api/prompts/{made['id']}").json()
    (v1,) = detail["versions"]
    assert (v1["number"], v1["author"], v1["note"]) == (1, "bob", "first go")
    assert v1["variables"] == {"language": "text", "text": "long_text"}
    assert v1["settings"] == {"provider": "loopback", "model": "fake-model", "params": {"temperature": 0.2}}


def test_each_save_is_the_next_number_and_earlier_versions_stay_as_they_were(client, made):
    url = f"/api/prompts/{made['id']}/versions"
    changed = {**FIRST, "messages": [{"role": "user", "content": "Shorter: {{text}}"}], "note": "shorter"}
    assert send(client, "post", url, changed).json()["number"] == 2
    assert send(client, "post", url, {**changed, "note": "again"}).json()["number"] == 3
    versions = client.get(f"/api/prompts/{made['id']}").json()["versions"]
    assert [(v["number"], v["note"]) for v in versions] == [(1, "first go"), (2, "shorter"), (3, "again")]
    assert versions[0]["messages"] == FIRST["messages"]
    assert client.put(url, "{}", content_type="application/json").status_code == 405  # no way to edit one


@pytest.mark.parametrize("change, words", [
    ({"messages": []}, "at least one"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "system, user or assistant"),
    ({"messages": [{"role": "user", "content": 3}]}, "must be text"),
    ({"settings": {"system": "x"}}, "Unknown setting `system`"),
    ({"settings": {"params": {"temperature": "hot"}}}, "params.temperature"),
    ({"settings": {"response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "objekt"}}}}},
     "not a valid JSON Schema"),
    ({"settings": {"tools": [{"function": "nope"}]}}, "Each tool must be"),
    ({"variables": {"text": "video"}}, "{{text}} must be one of"),
])
def test_a_bad_version_is_refused_with_what_to_fix_and_nothing_is_saved(client, made, change, words):
    answer = send(client, "post", f"/api/prompts/{made['id']}/versions", {**FIRST, **change})
    assert answer.status_code == 400 and words in answer.json()["error"]
    assert PromptVersion.objects.filter(prompt_id=made["id"]).count() == 1


def test_moving_a_label_is_audited_and_shown_in_its_history(client, made):
    url = f"/api/prompts/{made['id']}"
    send(client, "post", url + "/versions", {**FIRST, "note": "v2"})
    send(client, "put", url + "/labels/production", {"version": 1})
    detail = send(client, "put", url + "/labels/production", {"version": 2}).json()
    assert [(label["name"], label["version"]) for label in detail["labels"]] == [("production", 2)]
    assert [(h["label"], h["from"], h["to"], h["by"]) for h in detail["label_history"]] == [
        ("production", 1, 2, "bob"), ("production", None, 1, "bob")]
    entry = AuditEntry.objects.filter(action="prompt.label_moved").first()
    assert (entry.actor_name, entry.target, entry.changes) == ("bob", "Summariser", {"production": [1, 2]})
    assert client.delete(url + "/labels/production").status_code == 200
    assert AuditEntry.objects.filter(action="prompt.label_removed", changes={"production": [2, None]}).exists()
    assert send(client, "put", url + "/labels/production", {"version": 9}).status_code == 404
    assert send(client, "put", url + "/labels/bad name!", {"version": 1}).status_code == 400


def test_teammates_read_team_prompts_but_only_the_owner_or_a_granted_role_changes_them(client, made, dave, alice):
    url = f"/api/prompts/{made['id']}"
    client.force_login(dave)
    assert client.get(url).status_code == 200
    assert send(client, "post", url + "/versions", FIRST).status_code == 403
    assert send(client, "put", url + "/labels/staging", {"version": 1}).status_code == 403
    assert client.delete(url).status_code == 403
    dave.user_permissions.add(Permission.objects.get(codename="manage_any_prompt"))
    client.force_login(dave)
    assert send(client, "post", url + "/versions", FIRST).status_code == 201
    assert send(client, "put", url + "/labels/staging", {"version": 2}).status_code == 200
    assert client.delete(url).status_code == 403  # a granted role changes it; deleting stays the owner's
    client.force_login(alice)
    assert send(client, "put", url + "/labels/staging", {"version": 1}).status_code == 200  # the admin


def test_a_private_prompt_is_invisible_to_others(client, bob, dave):
    client.force_login(bob)
    mine = send(client, "post", "/api/prompts", {**FIRST, "name": "Secret", "visibility": "private"}).json()["prompt"]
    client.force_login(dave)
    assert client.get(f"/api/prompts/{mine['id']}").status_code == 404
    assert client.get(f"/prompts/{mine['id']}/").status_code == 404
    assert client.get("/api/prompts?scope=team").json()["prompts"] == []
    assert send(client, "post", f"/api/prompts/{mine['id']}/open", {"values": {}}).status_code == 404


def test_the_lists_search_by_name(client, made, dave):
    client.force_login(dave)
    assert [p["name"] for p in client.get("/api/prompts?scope=team&q=summ").json()["prompts"]] == ["Summariser"]
    assert client.get("/api/prompts?scope=team&q=nothing").json()["prompts"] == []
    assert client.get("/api/prompts?scope=mine").json()["prompts"] == []


def test_the_diff_of_two_versions_marks_lines_added_and_removed(client, made):
    url = f"/api/prompts/{made['id']}"
    send(client, "post", url + "/versions", {**FIRST, "messages": [FIRST["messages"][0],
                                                                   {"role": "user", "content": "Condense: {{text}}"}]})
    lines = client.get(url + "/diff?from=1&to=2").json()["lines"]
    assert {"kind": "del", "text": "-Summarise: {{text}}"} in lines
    assert {"kind": "add", "text": "+Condense: {{text}}"} in lines
    assert lines[0]["kind"] == "hunk"
    assert client.get(url + "/diff?from=1&to=1").json()["lines"] == []
    assert client.get(url + "/diff?from=1&to=7").status_code == 404


def test_only_the_owner_deletes_a_prompt(client, made):
    assert client.delete(f"/api/prompts/{made['id']}").status_code == 204
    assert not Prompt.objects.exists()


def test_a_teammate_sees_the_page_read_only_and_an_anonymous_visitor_is_sent_to_sign_in(client, made, dave):
    client.force_login(dave)
    page = client.get(f"/prompts/{made['id']}/").content.decode()
    assert '<fieldset id="editor" class="prompt-editor" disabled>' in page
    assert 'id="label-form"' not in page and 'id="delete-prompt"' not in page
    assert "Summariser" in client.get("/prompts/").content.decode()
    client.logout()
    assert client.get("/prompts/").status_code == 302
    assert client.get("/api/prompts").status_code == 403


def test_the_admin_shows_prompts_and_versions_read_only(client, made, alice):
    client.force_login(alice)
    version = PromptVersion.objects.get(prompt_id=made["id"])
    assert client.get("/admin/workbench/prompt/").status_code == 200
    page = client.get(f"/admin/workbench/promptversion/{version.pk}/change/")
    assert page.status_code == 200 and b"Summarise" in page.content and b'name="_save"' not in page.content
    assert client.get("/admin/workbench/promptversion/add/").status_code == 403
