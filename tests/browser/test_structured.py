"""Structured outputs in a real browser: the schema editor, the JSON view and verdict, the fallback."""
import json

import pytest
from playwright.sync_api import expect

from chat.models import SavedSchema
from providers.models import ProviderModel
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}
REPLY = '{"name": "Ada", "age": "old"}'


def composer(page):
    return page.get_by_label("Message", exact=True)


def last_reply(page):
    return page.locator("article.msg-assistant").last


def pick_schema(page, schema_text: str):
    page.get_by_label("Response format").select_option("json_schema")
    page.get_by_label("Schema name").fill("person")
    page.get_by_label("JSON schema", exact=True).fill(schema_text)


def test_alice_asks_for_a_schema_and_sees_the_json_and_the_exact_error_path(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of(REPLY, pieces=4, delay=0.05))
    page = signed_in(alice)
    pick_schema(page, json.dumps(PERSON, indent=2))
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_enabled()
    composer(page).fill("Describe Ada as JSON")
    send.click()

    reply = last_reply(page)
    expect(reply).to_have_attribute("data-status", "complete")
    view = reply.locator(".structured")
    expect(view.locator(".verdict")).to_have_text("invalid")
    expect(view.locator(".error-path")).to_have_text("$.age")
    expect(view.locator(".structured-errors")).to_contain_text("'old' is not of type 'integer'")
    tree = view.locator(".json-view")
    expect(tree.locator(".json-leaf")).to_have_count(2)
    expect(tree).to_contain_text('name: "Ada"')
    expect(tree).to_contain_text('age: "old"')
    root = tree.locator("details").first
    expect(root).to_have_attribute("open", "")
    root.locator("summary").first.click()  # collapsible
    expect(tree.locator(".json-leaf").first).to_be_hidden()

    body = openai_fake.chat_requests()[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == PERSON
    assert body["response_format"]["json_schema"]["name"] == "person"

    # Opened again: the stored verdict, and the conversation's response format restored in the settings.
    page.reload()
    expect(last_reply(page).locator(".error-path")).to_have_text("$.age")
    expect(page.get_by_label("Response format")).to_have_value("json_schema")
    assert json.loads(page.get_by_label("JSON schema", exact=True).input_value()) == PERSON
    assert page.console_errors == []


def test_an_invalid_schema_is_shown_and_nothing_is_sent(signed_in, alice, provider, openai_fake):
    page = signed_in(alice)
    pick_schema(page, '{"type": "objekt"}')
    errors = page.locator(".schema-errors")
    expect(errors).to_contain_text("objekt")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    expect(page.locator("#send-blocked")).to_contain_text("Fix the JSON schema")
    composer(page).fill("Hello")
    composer(page).press("Enter")

    page.get_by_label("JSON schema", exact=True).fill('{"type": "object",')  # not even JSON
    expect(errors).to_contain_text("Not valid JSON")
    expect(send).to_be_disabled()
    page.wait_for_timeout(300)
    assert openai_fake.chat_requests() == []
    assert page.locator("article.msg").count() == 0

    page.get_by_label("JSON schema", exact=True).fill('{"type": "object"}')
    expect(errors).to_be_hidden()
    expect(send).to_be_enabled()


def test_a_model_without_json_schema_support_shows_its_fallback(signed_in, alice, provider, openai_fake):
    ProviderModel.objects.filter(provider=provider).update(supports_json_schema=False)
    openai_fake.enqueue(Reply.text_of('{"name": "Ada", "age": 36}', pieces=3))
    page = signed_in(alice)
    pick_schema(page, json.dumps(PERSON))
    composer(page).fill("Describe Ada as JSON")
    page.get_by_role("button", name="Send").click()

    reply = last_reply(page)
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".fallback-badge")).to_have_text(
        "fallback: json_schema unsupported: json_object with the schema in the system prompt")
    expect(reply.locator(".verdict")).to_have_text("valid")
    body = openai_fake.chat_requests()[0].body
    assert body["response_format"] == {"type": "json_object"}
    assert '"age"' in body["messages"][0]["content"]


def test_schemas_are_saved_for_the_team_and_only_the_owner_changes_them(signed_in, alice, bob, provider):
    page = signed_in(alice)
    pick_schema(page, json.dumps(PERSON))
    page.get_by_role("button", name="Save schema").click()
    expect(page.locator(".schema-status")).to_have_text("Saved for the team.")
    saved = SavedSchema.objects.get(name="person")
    assert saved.schema == PERSON and saved.owner == alice

    other = signed_in(bob)
    other.get_by_label("Response format").select_option("json_schema")
    other.get_by_label("Saved schemas").select_option(label="person (alice)")
    assert json.loads(other.get_by_label("JSON schema", exact=True).input_value()) == PERSON
    expect(other.get_by_role("button", name="Update schema")).to_be_hidden()
    expect(other.get_by_role("button", name="Delete schema")).to_be_hidden()

    page.get_by_label("JSON schema", exact=True).fill('{"type": "object", "properties": {"name": {"type": "string"}}}')
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.get_by_role("button", name="Update schema").click()
    expect(page.locator(".schema-status")).to_have_text("Updated.")
    saved.refresh_from_db()
    assert saved.schema == {"type": "object", "properties": {"name": {"type": "string"}}}
    page.get_by_role("button", name="Delete schema").click()
    expect(page.locator(".schema-status")).to_have_text("Deleted person.")
    assert not SavedSchema.objects.exists()
