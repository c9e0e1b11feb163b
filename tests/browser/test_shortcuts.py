"""Keyboard shortcuts, each pressed as a person would: the help list, drawers, composer, copy, regenerate, new."""
import pytest
from playwright.sync_api import expect

from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

FIRST, SECOND = "The first answer about llamas.", "A second, different answer about llamas."


def test_each_shortcut_does_what_the_help_list_says(signed_in, alice, fresh_provider, openai_fake):
    openai_fake.enqueue(Reply.text_of(FIRST, pieces=3))
    openai_fake.enqueue(Reply.text_of(SECOND, pieces=3))
    page = signed_in(alice, viewport={"width": 1000, "height": 800}, permissions=["clipboard-read", "clipboard-write"])
    prompt = page.get_by_label("Message", exact=True)

    page.locator("#messages").focus()
    page.keyboard.press("?")
    help_list = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_list).to_be_visible()
    for action in ("New conversation", "Focus the message box", "Show or hide the conversations",
                   "Show or hide the settings", "Regenerate the last reply", "Copy the last reply"):
        expect(help_list).to_contain_text(action)
    page.keyboard.press("Escape")
    expect(help_list).to_be_hidden()

    sidebar, settings = page.locator("#sidebar"), page.locator("#settings")
    expect(sidebar).to_be_hidden()
    page.keyboard.press("Alt+Shift+B")
    expect(sidebar).to_be_visible()
    page.keyboard.press("Alt+Shift+B")
    expect(sidebar).to_be_hidden()
    expect(settings).to_be_visible()
    page.keyboard.press("Alt+Shift+S")
    expect(settings).to_be_hidden()
    page.keyboard.press("Alt+Shift+S")
    expect(settings).to_be_visible()

    page.get_by_label("System prompt").focus()
    page.keyboard.press("Alt+Shift+I")
    expect(prompt).to_be_focused()
    page.keyboard.type("Tell me about llamas")
    page.keyboard.press("Enter")
    reply = page.locator("article.msg-assistant")
    expect(reply.locator(".msg-body")).to_have_text(FIRST)
    expect(reply).to_have_attribute("data-status", "complete")

    page.keyboard.press("Alt+Shift+C")
    expect(page.locator("#announcer")).to_have_text("Copied the last reply.")
    assert page.evaluate("navigator.clipboard.readText()") == FIRST

    page.keyboard.press("Alt+Shift+R")
    expect(page.locator(".sibling-count")).to_have_text("2/2")
    expect(reply.locator(".msg-body")).to_have_text(SECOND)
    assert len(openai_fake.chat_requests()) == 2

    page.keyboard.press("Alt+Shift+N")
    expect(page.locator("#conversation-title")).to_have_text("New conversation")
    expect(page.locator("article.msg")).to_have_count(0)
    expect(prompt).to_be_focused()
    assert page.url.endswith("/")
    assert page.console_errors == []
