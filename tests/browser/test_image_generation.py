"""Image mode in a real browser: Image in the mode switch (by mouse and by arrow keys), a prompt, a size and a count
(shown in this mode only, the chat and completion settings hidden); the images shown in the thread, still there after
a reload (which reopens in Image mode), and in the JSON export; at desktop, laptop and phone widths, light and dark,
axe clean."""
import re

import pytest
from playwright.sync_api import expect

from providers.models import ProviderModel
from tests.browser.conftest import axe_violations
from tests.fakes.script import Reply
from tests.live import RESULTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def painter(fresh_provider):
    ProviderModel.objects.filter(provider=fresh_provider).update(supports_image_generation=True, price_per_image="0.04")
    return fresh_provider


def image_mode(page, size: str, count: str):
    expect(page.get_by_label("Size", exact=True)).to_be_hidden()  # Chat: no image options
    page.get_by_role("radio", name="Image").check()
    expect(page.get_by_role("radio", name="Image")).to_be_checked()
    page.get_by_label("Size", exact=True).select_option(size)
    page.get_by_label("Images", exact=True).select_option(count)


def settings_of_image_mode(page):
    """The settings panel in Image mode: provider and model stay, what images ignore is hidden."""
    phone = page.viewport_size["width"] < 768
    if phone:
        page.get_by_role("button", name="Settings", exact=True).click()
    expect(page.get_by_label("Model", exact=True)).to_be_visible()
    expect(page.get_by_text("Image mode uses the provider and model only")).to_be_visible()
    for hidden in ("System prompt", "Temperature", "Max tokens", "Logprobs"):
        expect(page.get_by_label(hidden, exact=True)).to_be_hidden()
    if phone:
        page.get_by_role("button", name="Close the settings").click()


@pytest.mark.parametrize("width,height,theme", [(1600, 1000, "light"), (1280, 800, "dark"), (390, 844, "dark")])
def test_two_images_are_made_shown_kept_after_a_reload_and_exported(width, height, theme, signed_in, alice, painter,
                                                                   openai_fake):
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme=theme)
    expect(page.locator("#model-caps")).to_contain_text("image generation")
    expect(page.locator("#model-price")).to_contain_text("$0.04 per image")
    image_mode(page, "512x512", "2")
    expect(page.get_by_role("button", name="Make 2 images")).to_be_enabled()  # Send says what it will do
    expect(page.get_by_role("button", name="Attach image")).to_be_hidden()
    expect(page.get_by_role("button", name="View code")).to_be_hidden()  # it shows chat and completion requests
    settings_of_image_mode(page)
    assert axe_violations(page) == []
    message = page.get_by_label("Image prompt", exact=True)
    message.fill("A lighthouse at dusk")
    message.press("Enter")
    reply = page.locator("article.msg-assistant")
    images = reply.get_by_role("img")
    expect(images).to_have_count(2)
    expect(images.first).to_have_accessible_name("Image 1 of the message (512×512)")
    expect(message).to_have_value("")
    page.screenshot(path=str(RESULTS / f"image-mode-{width}-{theme}.png"))
    sent = openai_fake.chat_requests()[-1]
    assert sent.path == "/v1/images/generations"
    assert (sent.body["prompt"], sent.body["size"], sent.body["n"]) == ("A lighthouse at dusk", "512x512", 2)
    expect(page).to_have_url(re.compile(r"/c/\d+/"))  # the new conversation is open

    page.reload()
    expect(page.get_by_role("radio", name="Image")).to_be_checked()  # reopened in the mode of its last message
    expect(page.get_by_label("Size", exact=True)).to_be_visible()
    images = page.locator("article.msg-assistant").get_by_role("img")
    expect(images).to_have_count(2)
    assert images.first.evaluate("img => img.complete && img.naturalWidth") == 512  # served back to its owner
    expect(page.locator("article.msg-user .msg-body")).to_have_text("A lighthouse at dusk")
    assert axe_violations(page) == []

    exported = page.request.get(page.locator("#export-json").get_attribute("href")).json()
    made = exported["messages"][1]
    assert made["cost"] == 0.08
    expect(page.locator("article.msg-assistant .msg-meta")).to_contain_text("$0.08")
    assert made["mode"] == "image" and [(i["width"], i["height"]) for i in made["images"]] == [(512, 512)] * 2
    assert page.console_errors == []


def test_a_provider_failure_keeps_the_prompt_and_says_why(signed_in, alice, painter, openai_fake):
    painter.max_retries = 0
    painter.save()
    openai_fake.enqueue(Reply.fail(429, "Slow down"))
    page = signed_in(alice)
    image_mode(page, "256x256", "1")
    message = page.get_by_label("Image prompt", exact=True)
    message.fill("A red kite")
    message.press("Enter")
    expect(page.locator("article.msg-user .msg-body")).to_have_text("A red kite")
    expect(page.locator("article.msg-assistant .msg-error")).to_contain_text("rate-limiting requests (429): Slow down")
    expect(page.locator("#alerts")).to_contain_text("Slow down")


def test_a_model_that_makes_no_images_is_said_before_sending(signed_in, alice, fresh_provider, openai_fake):
    page = signed_in(alice)
    image_mode(page, "256x256", "1")
    page.get_by_label("Image prompt", exact=True).fill("A red kite")
    expect(page.locator("#send-blocked")).to_contain_text("does not make images")
    expect(page.get_by_role("button", name="Make image")).to_be_disabled()
    page.get_by_role("radio", name="Chat").check()  # back to chat: sending works again, the prompt kept
    expect(page.get_by_label("Message", exact=True)).to_have_value("A red kite")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    assert not openai_fake.chat_requests()


def test_the_mode_switch_works_by_keyboard(signed_in, alice, painter, openai_fake):
    page = signed_in(alice, viewport={"width": 1280, "height": 800})
    chat = page.get_by_role("radio", name="Chat")
    chat.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Completion")).to_be_checked()
    expect(page.get_by_role("textbox", name="Prompt", exact=True)).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Image")).to_be_checked()
    expect(page.get_by_role("radio", name="Image")).to_be_focused()
    page.keyboard.press("Tab")  # the prompt is next, then the image options
    expect(page.get_by_label("Image prompt", exact=True)).to_be_focused()
    page.keyboard.type("A heron")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Size", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Images", exact=True)).to_be_focused()
    page.get_by_label("Images", exact=True).select_option("3")
    expect(page.locator("#send")).to_have_text("Make 3 images")
    page.get_by_role("radio", name="Image").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("radio", name="Completion")).to_be_checked()
    expect(page.locator("#send")).to_have_text("Send")
    expect(page.get_by_label("Size", exact=True)).to_be_hidden()
    assert page.console_errors == []


def test_a_conversation_reopens_in_the_mode_of_its_last_message(signed_in, alice, painter, openai_fake):
    page = signed_in(alice, viewport={"width": 390, "height": 844}, color_scheme="light")
    image_mode(page, "256x256", "1")
    page.get_by_label("Image prompt", exact=True).fill("A red kite")
    page.get_by_label("Image prompt", exact=True).press("Enter")
    expect(page.locator("article.msg-assistant").get_by_role("img")).to_have_count(1)
    page.get_by_role("radio", name="Chat").check()  # then a chat turn in the same conversation
    expect(page.get_by_label("Size", exact=True)).to_be_hidden()
    expect(page.locator("#send")).to_have_text("Send")
    page.get_by_label("Message", exact=True).fill("Describe it")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("article.msg-assistant").last).to_have_attribute("data-status", "complete")
    page.get_by_role("radio", name="Image").check()
    page.reload()
    expect(page.get_by_role("radio", name="Chat")).to_be_checked()  # its last message is a chat reply
    expect(page.get_by_label("Message", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    assert page.console_errors == []
