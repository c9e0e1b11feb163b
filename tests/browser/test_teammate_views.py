"""A teammate's conversation: read-only down to its settings, with forking as the next step; and what watchers
see when a conversation is deleted under them."""
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from chat.models import Conversation, Message
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def team_conversation(owner, title="Llama facts"):
    conversation = Conversation.objects.create(owner=owner, title=title, visibility=Conversation.TEAM,
                                               settings={"provider": "loopback", "model": "fake-model",
                                                         "system": "Be brief.", "params": {"temperature": 0.3}})
    question = Message.objects.create(conversation=conversation, role="user", content="Do llamas hum?", author=owner)
    Message.objects.create(conversation=conversation, parent=question, role="assistant", content="Yes, they do.",
                           html="<p>Yes, they do.</p>", provider="loopback", model="fake-model")
    return conversation


def open_conversation(page, conversation):
    page.goto(f"/c/{conversation.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.locator("article.msg-assistant")).to_have_count(1)


@pytest.mark.parametrize("width", [1440, 1000, 390])
def test_bob_reads_alices_conversation_with_its_settings_locked_then_continues_in_his_own(
        width, signed_in, alice, bob, fresh_provider):
    conversation = team_conversation(alice)
    page = signed_in(bob, viewport={"width": width, "height": 900}, color_scheme="dark")
    open_conversation(page, conversation)
    expect(page.get_by_label("Message", exact=True)).to_be_hidden()
    if width < 768:  # a drawer over the page; from 768 px the settings are open at first
        page.get_by_role("button", name="Settings", exact=True).click()
    note = page.locator("#settings-readonly")
    expect(note).to_contain_text("These are the settings of alice's conversation, locked here.")
    for label in ("Provider", "Model", "System prompt", "Temperature", "Find a model"):
        expect(page.get_by_label(label, exact=True)).to_be_disabled()
    expect(page.get_by_label("System prompt")).to_have_value("Be brief.")
    expect(page.get_by_label("Compare models side by side")).to_be_disabled()
    assert page.evaluate("document.getElementById('tools-panel').inert")
    assert axe_violations(page) == []

    under_the_thread = page.get_by_role("main").get_by_role("button", name="Continue in my own conversation")
    expect(under_the_thread).to_be_visible()
    in_the_settings = note.get_by_role("button", name="Use these settings in my own conversation")
    with page.expect_response("**/fork"):
        (under_the_thread if width == 1440 else in_the_settings).click()
    expect(note).to_be_hidden()
    expect(page.get_by_label("System prompt")).to_be_enabled()
    expect(page.get_by_label("System prompt")).to_have_value("Be brief.")
    assert not page.evaluate("document.getElementById('tools-panel').inert")
    forked = Conversation.objects.exclude(pk=conversation.pk).get()
    assert forked.owner == bob and forked.forked_from_id == conversation.pk
    assert urlsplit(page.url).path == f"/c/{forked.pk}/"  # the branch may follow in ?leaf=
    if width < 768:
        page.get_by_role("button", name="Close the settings").click()
    expect(page.get_by_label("Message", exact=True)).to_be_visible()


def test_a_deleted_conversation_moves_its_watchers_to_a_new_one(signed_in, alice, bob, fresh_provider):
    conversation = team_conversation(alice)
    owner = signed_in(alice)
    other_tab = owner.context.new_page()
    other_tab.on("pageerror", lambda error: owner.console_errors.append(str(error)))
    teammate = signed_in(bob, viewport={"width": 390, "height": 844})
    for page in (owner, other_tab, teammate):
        open_conversation(page, conversation)

    owner.get_by_role("button", name="Delete", exact=True).click()
    owner.get_by_role("button", name="Delete conversation").click()
    expect(owner.locator("#conversation-title")).to_have_text("New conversation")

    notice = teammate.get_by_role("alert")
    expect(notice).to_have_text("alice deleted this conversation. You are in a new conversation now.Dismiss")
    expect(teammate.locator("#conversation-title")).to_have_text("New conversation")
    expect(teammate.locator("article.msg")).to_have_count(0)
    expect(teammate.get_by_label("Message", exact=True)).to_be_visible()
    assert teammate.url.endswith("/")
    assert axe_violations(teammate) == []

    expect(other_tab.get_by_role("alert")).to_contain_text("This conversation was deleted (in another tab or window).")
    expect(other_tab.locator("#conversation-title")).to_have_text("New conversation")
    expect(owner.get_by_role("alert")).to_have_count(0)  # the tab that deleted it needs no news
    assert owner.console_errors == [] and teammate.console_errors == []
