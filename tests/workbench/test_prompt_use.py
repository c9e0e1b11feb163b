"""A prompt opened in the playground (variables filled, nothing sent) and a conversation saved as a prompt."""
import io
import json

import pytest
from PIL import Image

from chat.models import Conversation, Message
from chat.workbench.models import Prompt

pytestmark = pytest.mark.django_db

PROMPT = {"name": "Translator", "visibility": "team",
          "messages": [{"role": "system", "content": "Translate into {{language}}. Keep \\{{braces}} as they are."},
                       {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Bonjour"},
                       {"role": "user", "content": "Now: {{text}} with {{data}}"}],
          "settings": {"provider": "loopback", "model": "fake-model", "params": {"temperature": 0.5}},
          "variables": {"text": "long_text", "data": "json"}}


def send(client, method, url, data=None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def made(client, bob):
    client.force_login(bob)
    return send(client, "post", "/api/prompts", PROMPT).json()["prompt"]


def test_opening_names_every_missing_variable_and_makes_nothing(client, made):
    answer = send(client, "post", f"/api/prompts/{made['id']}/open", {"values": {"text": "cat"}})
    assert answer.status_code == 400
    assert answer.json()["error"] == "Fill in {{language}}, {{data}} before sending."
    assert not Conversation.objects.exists()


def test_json_values_are_checked(client, made):
    values = {"language": "French", "text": "cat", "data": "{not json"}
    answer = send(client, "post", f"/api/prompts/{made['id']}/open", {"values": values})
    assert answer.status_code == 400 and "{{data}} is not valid JSON" in answer.json()["error"]


def test_opening_fills_the_prompt_into_a_new_conversation_and_leaves_the_last_message_to_send(client, made, bob):
    values = {"language": "French", "text": "the cat", "data": '{"n": 1}'}
    answer = send(client, "post", f"/api/prompts/{made['id']}/open", {"values": values})
    assert answer.status_code == 201
    opened = answer.json()
    conversation = Conversation.objects.get(pk=opened["conversation_id"])
    assert (conversation.owner, opened["url"]) == (bob, f"/c/{conversation.pk}/")
    assert conversation.settings == {"provider": "loopback", "model": "fake-model", "params": {"temperature": 0.5},
                                     "system": "Translate into French. Keep {{braces}} as they are."}
    stored = list(conversation.messages.order_by("id"))
    assert [(m.role, m.content) for m in stored] == [("user", "Hello"), ("assistant", "Bonjour")]
    assert stored[1].parent_id == stored[0].pk
    assert opened["draft"] == {"content": 'Now: the cat with {"n": 1}', "images": []}


def test_a_label_opens_the_version_it_points_at(client, made):
    url = f"/api/prompts/{made['id']}"
    send(client, "post", url + "/versions", {**PROMPT, "messages": [{"role": "user", "content": "v2 {{x}}"}]})
    send(client, "put", url + "/labels/production", {"version": 1})
    values = {"language": "German", "text": "a", "data": "1", "x": "never"}
    opened = send(client, "post", url + "/open", {"label": "production", "values": values}).json()
    assert opened["draft"]["content"] == "Now: a with 1"
    assert send(client, "post", url + "/open", {"values": values}).json()["draft"]["content"] == "v2 never"  # latest
    assert send(client, "post", url + "/open", {"label": "staging", "values": values}).status_code == 404


def test_an_image_variable_takes_an_upload_of_the_user(client, bob):
    client.force_login(bob)
    prompt = send(client, "post", "/api/prompts", {
        "name": "Describe", "messages": [{"role": "user", "content": "Describe {{photo}}"}],
        "variables": {"photo": "image"}}).json()["prompt"]
    data = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(data, "PNG")
    data.seek(0)
    data.name = "red.png"
    image = client.post("/api/images", {"image": data}).json()
    opened = send(client, "post", f"/api/prompts/{prompt['id']}/open", {"values": {"photo": image["id"]}}).json()
    assert opened["draft"]["content"] == "Describe"
    assert [i["id"] for i in opened["draft"]["images"]] == [image["id"]]
    refused = send(client, "post", f"/api/prompts/{prompt['id']}/open", {"values": {"photo": "a cat"}})
    assert refused.status_code == 400 and "uploaded image" in refused.json()["error"]


def conversation_of(owner, visibility="team"):
    conversation = Conversation.objects.create(owner=owner, title="Chat about cats", visibility=visibility, settings={
        "provider": "loopback", "model": "fake-model", "system": "Be brief.", "params": {"temperature": 1},
        "parallel_tool_calls": True})
    question = Message.objects.create(conversation=conversation, role="user", content="Cats?", author=owner)
    first = Message.objects.create(conversation=conversation, parent=question, role="assistant", content="Yes.")
    Message.objects.create(conversation=conversation, parent=question, role="assistant", content="Other branch.")
    return conversation, first


def test_a_conversation_branch_becomes_a_new_prompt(client, bob, alice):
    conversation, first = conversation_of(alice)
    client.force_login(bob)  # a teammate may save a team conversation as a prompt of their own
    answer = send(client, "post", "/api/prompts/from-conversation",
                  {"conversation_id": conversation.pk, "leaf_id": first.pk, "name": "Cats", "visibility": "private"})
    assert answer.status_code == 201
    prompt = Prompt.objects.get(name="Cats")
    (version,) = prompt.versions.all()
    assert (prompt.owner, prompt.visibility, version.number) == (bob, "private", 1)
    assert version.messages == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Cats?"},
                                {"role": "assistant", "content": "Yes."}]
    assert version.settings == {"provider": "loopback", "model": "fake-model", "params": {"temperature": 1}}


def test_a_conversation_becomes_a_new_version_only_of_a_prompt_one_may_write(client, bob, alice, made):
    conversation, first = conversation_of(bob)
    answer = send(client, "post", "/api/prompts/from-conversation",
                  {"conversation_id": conversation.pk, "prompt_id": made["id"], "note": "from chat"})
    assert answer.status_code == 201 and answer.json()["version"]["number"] == 2
    assert answer.json()["version"]["messages"][-1] == {"role": "assistant", "content": "Other branch."}  # newest leaf
    private, _ = conversation_of(alice, visibility="private")
    assert send(client, "post", "/api/prompts/from-conversation",
                {"conversation_id": private.pk, "name": "Stolen"}).status_code == 404
    client.force_login(alice)
    mine = send(client, "post", "/api/prompts", {**PROMPT, "name": "Alice's", "visibility": "team"}).json()["prompt"]
    client.force_login(bob)
    assert send(client, "post", "/api/prompts/from-conversation",
                {"conversation_id": conversation.pk, "prompt_id": mine["id"]}).status_code == 403
