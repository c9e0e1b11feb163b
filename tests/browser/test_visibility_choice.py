"""Who sees a new conversation is chosen before its first message, starting from the user's own default."""
import pytest
from playwright.sync_api import expect

from chat.models import Conversation
from tests.browser.conftest import axe_violations
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def send(page, text):
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("article.msg-assistant").last).to_have_attribute("data-status", "complete")


def listed(page) -> list[dict]:
    return page.evaluate("() => fetch('/api/conversations').then((r) => r.json()).then((d) => d.items)")


@pytest.mark.parametrize("width", [1440, 390])
def test_alice_makes_her_new_conversation_private_in_one_click(width, signed_in, alice, fresh_provider,
                                                               openai_fake):
    openai_fake.enqueue(Reply.text_of("Hello."))
    page = signed_in(alice, viewport={"width": width, "height": 900}, color_scheme="dark")
    choice = page.locator("#new-visibility")
    expect(choice).to_have_text("Visible to the team")  # the site's default (PLAYGROUND_DEFAULT_VISIBILITY)
    choice.focus()
    page.keyboard.press("Enter")
    expect(choice).to_have_text("Only you")
    assert axe_violations(page) == []
    send(page, "Just between us")
    expect(choice).to_be_hidden()  # the conversation exists: its own visibility control takes over
    [item] = listed(page)
    assert item["visibility"] == "private"
    assert Conversation.objects.get().visibility == Conversation.PRIVATE
    if width < 768:
        page.get_by_role("button", name="Menu").click()
    expect(page.get_by_label("Visibility", exact=True)).to_have_value("private")
    page.get_by_label("Visibility", exact=True).select_option("team")  # and it still changes afterwards
    page.wait_for_function("() => fetch('/api/conversations').then((r) => r.json())"
                           ".then((d) => d.items[0].visibility === 'team')")


def test_bob_sets_his_own_default_and_new_conversations_start_private(signed_in, bob, fresh_provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("Hello."))
    page = signed_in(bob)
    default = page.get_by_label("New conversations")
    expect(default).to_have_value("team")
    with page.expect_response("**/api/preferences"):
        default.select_option("private")
    expect(page.locator("#new-visibility")).to_have_text("Only you")  # the conversation not started yet follows
    page.reload()
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.get_by_label("New conversations")).to_have_value("private")
    expect(page.locator("#new-visibility")).to_have_text("Only you")
    send(page, "Private by default")
    assert [c["visibility"] for c in listed(page)] == ["private"]
    page.get_by_role("button", name="New conversation", exact=True).click()
    expect(page.locator("#new-visibility")).to_have_text("Only you")
