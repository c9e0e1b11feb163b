"""Issue 11, large input: a paste over the server's frame limit is stopped in the browser with the sizes in plain
words, keeps the text, and never leaves Send locked; the same when the server itself refuses a frame."""
import re

import pytest
from playwright.sync_api import expect

from chat.models import Message
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 262144  # PLAYGROUND_MAX_FRAME_BYTES's default, which the test server runs with
PASTE = "A llama fact worth keeping. " * 11000  # 308,000 bytes


def send_button(page):
    return page.get_by_role("button", name="Send")


def test_a_paste_over_the_limit_is_explained_and_nothing_stays_locked(signed_in, alice, fresh_provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("Short and sweet.", pieces=2))
    page = signed_in(alice)
    assert page.locator("#app").get_attribute("data-max-frame-bytes") == str(LIMIT)  # the server's own limit
    prompt = page.get_by_label("Message", exact=True)
    prompt.fill(PASTE)
    prompt.press("Enter")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("too long to send")
    expect(alert).to_contain_text("at most 256 KB")
    over = re.search(r"so it is ([\d.]+) KB over", alert.text_content())
    assert over and abs(float(over[1]) - (len(PASTE) - LIMIT) / 1024) < 1, alert.text_content()  # + the frame's ids
    assert prompt.input_value() == PASTE  # nothing lost
    expect(send_button(page)).to_be_enabled()
    assert openai_fake.chat_requests() == [] and not Message.objects.exists()

    prompt.fill("A short question instead")
    send_button(page).click()
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("Short and sweet.")
    expect(send_button(page)).to_be_enabled()


def test_a_frame_the_server_refuses_unlocks_the_composer_everywhere(signed_in, alice, fresh_provider, openai_fake):
    """A page whose limit is out of date (the server's was lowered since it loaded) sends a frame the server refuses
    without naming its request: Send comes back, here and in a new conversation."""
    openai_fake.enqueue(Reply.text_of("Back to normal.", pieces=2))
    page = signed_in(alice)
    page.locator("#app").evaluate("(app) => { app.dataset.maxFrameBytes = String(10 * 1024 * 1024); }")
    prompt = page.get_by_label("Message", exact=True)
    prompt.fill(PASTE)
    prompt.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(f"larger than {LIMIT} bytes")
    expect(send_button(page)).to_be_enabled()
    assert prompt.input_value() == PASTE

    page.get_by_role("button", name="New conversation").click()
    expect(send_button(page)).to_be_enabled()
    prompt.fill("Hello again")
    send_button(page).click()
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("Back to normal.")


def test_a_long_history_does_not_count_against_the_limit(signed_in, alice, fresh_provider, openai_fake):
    from chat.models import Conversation

    conversation = Conversation.objects.create(owner=alice, title="A long one")
    parent = None
    for n in range(6):  # 6 × 60 KB of history: more than the limit in all
        parent = Message.objects.create(conversation=conversation, parent=parent, role="user" if n % 2 == 0 else "assistant",
                                        content=f"{n} " + "history " * 7500, author=alice)
    openai_fake.enqueue(Reply.text_of("Still here.", pieces=2))
    page = signed_in(alice)
    page.goto(f"/c/{conversation.pk}/")
    page.wait_for_selector("#connection[data-state=online]")
    expect(page.locator("article.msg")).to_have_count(6)
    page.get_by_label("Message", exact=True).fill("And one more short message")
    send_button(page).click()
    expect(page.locator("article.msg-assistant .msg-body").last).to_have_text("Still here.")
