"""Completion mode in a real browser: switch to it, send a raw prompt, watch the continuation stream after the
prompt, read a token's probability and alternatives by hover and by keyboard, reload and find it stored; at the
desktop, laptop and phone widths, light and dark. A model without the capability is refused before sending."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.live import RESULTS
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "Once upon a time"


def open_settings(page):
    if page.viewport_size["width"] < 768:
        page.get_by_role("button", name="Settings", exact=True).click()


def close_settings(page):
    if page.viewport_size["width"] < 768:
        page.get_by_role("button", name="Close the settings").click()


@pytest.mark.parametrize("width,height,scheme", [(1600, 1000, "light"), (1280, 800, "dark"), (390, 844, "light")])
def test_a_raw_prompt_is_continued_with_each_tokens_alternatives_and_kept(width, height, scheme, signed_in, alice,
                                                                          fresh_provider, openai_fake):
    fresh_provider.supports_completions = True
    fresh_provider.save()
    openai_fake.enqueue(Reply.text_of(" there lived a fox.", pieces=3, delay=0.4))
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme=scheme)
    page.get_by_role("radio", name="Completion").check()
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)
    expect(prompt).to_be_visible()
    expect(page.get_by_role("button", name="Attach image")).to_be_hidden()
    expect(page.get_by_label("Size", exact=True)).to_be_hidden()  # the Image mode's options
    open_settings(page)
    expect(page.get_by_label("System prompt")).to_be_hidden()  # a completion sends only its prompt
    page.get_by_label("Logprobs").fill("3")
    page.get_by_label("Max tokens").fill("12")
    expect(page.get_by_label("Echo the prompt back")).not_to_be_checked()
    assert axe_violations(page) == []
    close_settings(page)

    prompt.fill(PROMPT)
    prompt.press("Enter")
    reply = page.locator("article.msg-assistant").last
    expect(reply).to_have_attribute("data-status", "streaming")  # the continuation streams in...
    expect(reply.locator(".completion-prompt")).to_have_text(PROMPT)
    expect(reply).to_have_attribute("data-status", "complete")  # ...and ends
    expect(reply.locator(".completion-continuation")).to_have_text(" there lived a fox.")
    expect(reply.locator(".msg-head .role")).to_have_text("Completion")
    sent = openai_fake.chat_requests()[-1]
    assert sent.path == "/v1/completions" and sent.body["prompt"] == PROMPT
    assert (sent.body["logprobs"], sent.body["max_tokens"]) == (3, 12)

    tokens = reply.locator(".tok")
    expect(tokens).to_have_count(3)
    tip = page.get_by_role("tooltip")
    tokens.nth(1).hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Top alternatives")
    expect(tip.locator("li")).to_have_count(3)
    page.screenshot(path=str(RESULTS / f"completion-{width}-{scheme}.png"))
    tokens.first.focus()  # the keyboard: one tab stop, arrows move from token to token
    expect(tip).to_contain_text(tokens.first.text_content().replace(" ", "␣"))
    page.keyboard.press("ArrowRight")
    expect(tokens.nth(1)).to_be_focused()
    expect(tokens.nth(1)).to_have_attribute("aria-describedby", "token-tip")
    expect(tip).to_contain_text("logprob -0.500")
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()

    page.reload()
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.get_by_role("radio", name="Completion")).to_be_checked()  # the conversation's mode
    stored = page.locator("article.msg-assistant").last
    expect(stored.locator(".tok")).to_have_count(3)
    expect(page.locator("article.msg-user").last).to_have_attribute("data-mode", "completion")
    stored.locator(".tok").last.hover()
    expect(page.get_by_role("tooltip")).to_contain_text("Top alternatives")

    page.get_by_role("radio", name="Chat").check()  # a completion regenerates as one, whatever the switch says
    stored.get_by_role("button", name="Regenerate").click()
    expect(page.locator("article.msg-assistant").last.locator(".completion-continuation")).to_have_text(
        "Hello from the loopback provider.")
    assert openai_fake.chat_requests()[-1].path == "/v1/completions"
    assert openai_fake.chat_requests()[-1].body["prompt"] == PROMPT
    assert page.console_errors == []


def test_a_model_without_text_completion_is_refused_before_sending(signed_in, alice, fresh_provider, openai_fake):
    page = signed_in(alice, viewport={"width": 1280, "height": 800})
    page.get_by_role("radio", name="Completion").check()
    page.get_by_role("textbox", name="Prompt", exact=True).fill(PROMPT)
    expect(page.locator("#send-blocked")).to_contain_text("does not serve text completion")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    page.get_by_role("radio", name="Chat").check()  # back to Chat: the same model answers
    expect(page.get_by_label("Message", exact=True)).to_have_value(PROMPT)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    assert openai_fake.chat_requests() == []
