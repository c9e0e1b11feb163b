"""View code before the first message: the request Send would make now, in four languages, each with a Copy."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.browser.test_layout import WIDTHS, no_sideways_scroll

pytestmark = pytest.mark.django_db(transaction=True)


def test_view_code_shows_the_panels_settings_before_any_message_and_copies_each_tab(signed_in, alice, provider):
    page = signed_in(alice, permissions=["clipboard-read", "clipboard-write"])
    page.get_by_label("System prompt").fill("You answer like a pirate.")
    page.get_by_label("Temperature").fill("0.3")
    page.get_by_label("Message", exact=True).fill("Where is the treasure?")
    page.get_by_role("button", name="View code", exact=True).click()

    dialog = page.locator("#code-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#code-note")).to_contain_text("$PLAYGROUND_KEY")
    curl = dialog.get_by_role("tabpanel")
    expect(dialog.get_by_role("tab", name="curl")).to_have_attribute("aria-selected", "true")
    for text in ("You answer like a pirate.", '"temperature": 0.3', "Where is the treasure?", "$PLAYGROUND_KEY"):
        expect(curl).to_contain_text(text)
    curl.get_by_role("button", name="Copy curl").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "You answer like a pirate." in copied and copied == curl.locator("pre").text_content()

    dialog.get_by_role("tab", name="Python (httpx)").click()
    expect(dialog.get_by_role("tabpanel")).to_contain_text("import httpx")
    dialog.get_by_role("tab", name="Python (httpx)").press("ArrowRight")  # the keyboard moves along the tabs
    javascript = dialog.get_by_role("tab", name="JavaScript")
    expect(javascript).to_be_focused()
    expect(javascript).to_have_attribute("aria-selected", "true")
    panel = dialog.get_by_role("tabpanel")
    expect(panel).to_contain_text('import OpenAI from "openai"')
    expect(panel).to_contain_text("You answer like a pirate.")
    panel.get_by_role("button", name="Copy JavaScript").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == panel.locator("pre").text_content()
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.console_errors == []


def test_a_declared_fallback_is_shown(signed_in, alice, provider):
    provider.provider_models.update(supports_json_schema=False)
    page = signed_in(alice)
    page.get_by_label("Response format").select_option("json_schema")
    page.get_by_label("JSON schema", exact=True).fill('{"type": "object", "properties": {"n": {"type": "integer"}}}')
    page.get_by_role("button", name="View code", exact=True).click()
    expect(page.locator("#code-fallback")).to_be_visible()
    expect(page.locator("#code-fallback")).to_contain_text("Adapted for this model")


@pytest.mark.parametrize("device", WIDTHS)
def test_view_code_fits_each_width_in_dark_mode(device, signed_in, alice, provider):
    width, height = WIDTHS[device]
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme="dark")
    button = page.get_by_role("button", name="View code", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#code-dialog")).to_be_visible()
    expect(page.get_by_role("button", name="Copy curl")).to_be_visible()
    no_sideways_scroll(page)
    assert axe_violations(page) == []


def test_a_replys_view_code_has_the_same_four_tabs(signed_in, alice, provider):
    from chat.models import Conversation, Message

    settings = {"provider": "loopback", "model": "fake-model", "params": {"temperature": 0.7}}
    chat = Conversation.objects.create(owner=alice, title="Earlier", settings=settings)
    question = Message.objects.create(conversation=chat, role="user", content="Name a river.", author=alice)
    Message.objects.create(conversation=chat, parent=question, role="assistant", content="The Danube.",
                           provider="loopback", model="fake-model", finish_reason="stop", request=settings)
    page = signed_in(alice)
    page.goto(f"/c/{chat.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    page.get_by_role("button", name="View code for this reply").click()
    dialog = page.locator("#code-dialog")
    expect(dialog.get_by_role("tab")).to_have_text(["curl", "Python", "Python (httpx)", "JavaScript"])
    expect(dialog.get_by_role("tabpanel")).to_contain_text("Name a river.")
    dialog.get_by_role("tab", name="Python", exact=True).click()
    expect(dialog.get_by_role("tabpanel")).to_contain_text("temperature=0.7")
    expect(dialog.get_by_role("tabpanel").get_by_role("button")).to_have_text("Copy Python")
