"""The playground in a real browser: streaming, stop, history, teammates, safety, errors, keys."""
import re
import time
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.conftest import loopback_provider
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(transactional_db, openai_fake):
    """As tests/conftest.py's, with a slug of its own per test: Daphne caches model resolution by slug for a
    few seconds (chat/store.py), and each test's fake listens on a new port. (Here, not in conftest.py:
    other folders reuse that conftest and expect the plain slug.)"""
    return loopback_provider(openai_fake.base_url, slug=f"loopback-{uuid4().hex[:8]}", display_name="Fake model")


STORY = "Once upon a time a small llama walked across the mountains looking for the greenest grass in the land."


def composer(page):
    return page.get_by_label("Message", exact=True)


def send(page, text):
    composer(page).fill(text)
    composer(page).press("Enter")


def last_reply(page):
    return page.locator("article.msg-assistant").last


def watch_lengths(page, full_length: int, timeout: float = 15.0) -> list[int]:
    """The reply's text lengths seen while it streams, until it completes."""
    seen = []
    reply = last_reply(page)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reply.count():
            text = reply.locator(".msg-body").text_content() or ""
            if not seen or seen[-1] != len(text):
                seen.append(len(text))
            if reply.get_attribute("data-status") == "complete":
                return seen
        page.wait_for_timeout(15)
    raise AssertionError(f"The reply did not complete; lengths seen: {seen}")


def intermediate(lengths: list[int], full: int) -> set[int]:
    return {n for n in lengths if 0 < n < full}


def test_alice_streams_stops_and_finds_her_history(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of(STORY, pieces=20, delay=0.08))
    page = signed_in(alice)
    send(page, "Tell me a story")

    lengths = watch_lengths(page, len(STORY))
    assert len(intermediate(lengths, len(STORY))) >= 3, lengths
    expect(last_reply(page).locator(".msg-body")).to_have_text(STORY)
    meta = last_reply(page).locator(".msg-meta")
    expect(meta).to_contain_text("fake-model")
    expect(meta).to_contain_text("12 in / 5 out tokens")
    expect(meta).to_contain_text("TTFT")
    expect(page).to_have_url(re.compile(r"/c/\d+/(\?leaf=\d+)?$"))
    expect(composer(page)).to_have_value("")

    # A second conversation, stopped half-way.
    long_story = STORY * 3
    openai_fake.enqueue(Reply.text_of(long_story, pieces=40, delay=0.1))
    page.get_by_role("button", name="New conversation").click()
    send(page, "Tell me a longer story")
    body = last_reply(page).locator(".msg-body")
    expect(body).to_have_text(re.compile(r".{40,}"))
    page.get_by_role("button", name="Stop").click()
    expect(last_reply(page)).to_have_attribute("data-status", "cancelled")
    expect(last_reply(page).locator(".status")).to_have_text("cancelled")
    kept = body.text_content().strip()
    assert 0 < len(kept) < len(long_story)
    assert long_story.startswith(kept)
    expect(page.get_by_role("button", name="Regenerate")).to_be_visible()

    page.reload()
    mine = page.get_by_role("list", name="My conversations")
    expect(mine.locator(".conv-item")).to_have_count(2)
    expect(mine).to_contain_text("Tell me a story")
    expect(mine).to_contain_text("Tell me a longer story")
    expect(last_reply(page).locator(".msg-body")).to_have_text(kept)  # the reloaded page shows the stopped one
    mine.get_by_text("Tell me a story", exact=True).click()
    expect(page.locator("article.msg-user .msg-body")).to_have_text("Tell me a story")
    expect(last_reply(page).locator(".msg-body")).to_have_text(STORY)
    assert page.dialogs == [] and page.console_errors == []


def test_bob_watches_alices_team_conversation_live_and_forks_it(signed_in, alice, bob, provider, openai_fake):
    alice_page = signed_in(alice)
    openai_fake.enqueue(Reply.text_of("Llamas hum.", pieces=2))
    send(alice_page, "Do llamas sing?")
    expect(last_reply(alice_page)).to_have_attribute("data-status", "complete")

    bob_page = signed_in(bob)
    team = bob_page.get_by_role("list", name="Team conversations")
    expect(team).to_contain_text("Do llamas sing?")
    expect(team).to_contain_text("alice")
    team.get_by_text("Do llamas sing?").click()
    expect(bob_page.locator("article.msg-assistant .msg-body")).to_have_text("Llamas hum.")
    expect(composer(bob_page)).to_be_hidden()
    expect(bob_page.get_by_text("Read-only")).to_be_visible()
    expect(bob_page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(bob_page.get_by_role("button", name="Regenerate")).to_have_count(0)
    expect(bob_page.get_by_role("button", name="Delete")).to_be_hidden()

    openai_fake.enqueue(Reply.text_of(STORY, pieces=20, delay=0.08))
    send(alice_page, "Tell me more")
    expect(bob_page.locator("article.msg-user")).to_have_count(2)  # alice's question arrives live
    lengths = watch_lengths(bob_page, len(STORY))
    assert len(intermediate(lengths, len(STORY))) >= 3, lengths
    expect(last_reply(bob_page).locator(".msg-body")).to_have_text(STORY)

    bob_page.get_by_role("button", name="Continue in my own conversation").click()
    expect(bob_page.locator("#conversation-title")).to_have_text("Do llamas sing? (fork)")
    expect(composer(bob_page)).to_be_visible()
    expect(bob_page.locator("article.msg")).to_have_count(4)
    openai_fake.enqueue(Reply.text_of("Bob's own answer.", pieces=3))
    send(bob_page, "My own question")
    expect(last_reply(bob_page).locator(".msg-body")).to_have_text("Bob's own answer.")
    expect(bob_page.get_by_role("list", name="My conversations")).to_contain_text("(fork)")
    # alice's conversation did not change
    expect(alice_page.locator("article.msg")).to_have_count(4)


XSS_REPLY = (
    "Look: <img src=x onerror=alert(1)> and <script>alert(2)</script>\n\n"
    "```html\n<script>alert(3)</script>\n<img src=y onerror=alert(4)>\n```\n\n"
    "[click](javascript:alert(5))\n"
)


def test_model_output_never_runs_as_html(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of(XSS_REPLY, pieces=8, delay=0.05))
    page = signed_in(alice)
    send(page, "<img src=z onerror=alert(6)> say something nasty")
    expect(last_reply(page)).to_have_attribute("data-status", "complete")
    page.wait_for_timeout(300)
    messages = page.locator("#messages")
    assert messages.locator("script").count() == 0
    assert messages.locator("img").count() == 0
    assert messages.locator("[onerror]").count() == 0
    assert messages.locator("a[href^='javascript']").count() == 0
    expect(last_reply(page).locator(".msg-body")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(last_reply(page).locator("pre")).to_contain_text("<script>alert(3)</script>")
    expect(last_reply(page).get_by_role("button", name="Copy code")).to_be_visible()
    page.reload()
    expect(last_reply(page)).to_have_attribute("data-status", "complete")
    page.wait_for_timeout(300)
    assert page.locator("#messages script, #messages img").count() == 0
    assert page.dialogs == []


def test_a_provider_error_shows_with_retry(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(*[Reply.fail(500, "the model is on fire")] * 3, Reply.text_of("Back on my feet.", pieces=2))
    page = signed_in(alice)
    send(page, "Are you there?")
    error = last_reply(page).locator(".msg-error")
    expect(error).to_contain_text("the model is on fire", timeout=15_000)
    expect(last_reply(page)).to_have_attribute("data-status", "error")
    error.get_by_role("button", name="Retry").click()
    expect(last_reply(page).locator(".msg-body")).to_have_text("Back on my feet.")
    expect(last_reply(page).locator(".sibling-count")).to_have_text("2/2")
    last_reply(page).get_by_role("button", name="Previous branch").click()
    expect(last_reply(page)).to_have_attribute("data-status", "error")


def test_a_refused_send_keeps_what_was_typed(signed_in, alice, provider, openai_fake):
    page = signed_in(alice)
    provider.enabled = False
    provider.save()
    send(page, "Words I do not want to lose")
    expect(page.get_by_role("alert")).to_contain_text("disabled")
    expect(composer(page)).to_have_value("Words I do not want to lose")
    assert page.locator("article.msg").count() == 0


def test_enter_shift_enter_and_escape(signed_in, alice, provider, openai_fake):
    page = signed_in(alice)
    box = composer(page)
    box.click()
    page.keyboard.type("line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    expect(box).to_have_value("line one\nline two")
    assert page.locator("article.msg").count() == 0

    openai_fake.enqueue(Reply.text_of(STORY * 3, pieces=40, delay=0.1))
    page.keyboard.press("Enter")
    expect(page.locator("article.msg-user .msg-body")).to_have_text("line one\nline two")
    expect(last_reply(page).locator(".msg-body")).to_have_text(re.compile(r".{20,}"))
    page.keyboard.press("Escape")
    expect(last_reply(page)).to_have_attribute("data-status", "cancelled")
    assert len(last_reply(page).locator(".msg-body").text_content()) < len(STORY * 3)


def test_editing_a_message_makes_a_branch_to_move_between(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("Paris.", pieces=2), Reply.text_of("Rome.", pieces=2))
    page = signed_in(alice)
    send(page, "Capital of France?")
    expect(last_reply(page).locator(".msg-body")).to_have_text("Paris.")
    page.locator("article.msg-user").get_by_role("button", name="Edit").click()
    edit = page.get_by_label("Edit message")
    edit.fill("Capital of Italy?")
    edit.press("Enter")
    expect(last_reply(page).locator(".msg-body")).to_have_text("Rome.")
    user = page.locator("article.msg-user")
    expect(user.locator(".sibling-count")).to_have_text("2/2")
    user.get_by_role("button", name="Previous branch").click()
    expect(user.locator(".msg-body")).to_have_text("Capital of France?")
    expect(last_reply(page).locator(".msg-body")).to_have_text("Paris.")
    user.get_by_role("button", name="Next branch").click()
    expect(last_reply(page).locator(".msg-body")).to_have_text("Rome.")


def test_conversation_actions(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("```python\nprint('hi')\n```", pieces=2))
    page = signed_in(alice)
    send(page, "Show me code")
    expect(last_reply(page).locator("pre")).to_contain_text("print('hi')")

    page.get_by_role("button", name="Rename").click()
    page.get_by_label("Conversation title").fill("Renamed chat")
    page.get_by_role("button", name="Save title").click()
    expect(page.locator("#conversation-title")).to_have_text("Renamed chat")
    expect(page.get_by_role("list", name="My conversations")).to_contain_text("Renamed chat")

    page.get_by_label("Visibility").select_option("private")
    expect(page.get_by_role("list", name="My conversations")).to_contain_text("private")

    page.get_by_role("button", name="View code", exact=True).click()
    dialog = page.locator("#code-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("tabpanel")).to_contain_text("$PLAYGROUND_KEY")
    dialog.get_by_role("tab", name="Python", exact=True).click()
    expect(dialog.get_by_role("tabpanel")).to_contain_text("from openai import OpenAI")
    dialog.get_by_role("button", name="Close").click()

    with page.expect_download() as download:
        page.get_by_role("link", name="Export Markdown").click()
    assert download.value.suggested_filename.endswith(".md")

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete conversation").click()
    expect(page.locator("#conversation-title")).to_have_text("New conversation")
    expect(page.get_by_role("list", name="My conversations")).not_to_contain_text("Renamed chat")
    assert page.dialogs == []


def test_a_dropped_socket_reconnects_and_the_reply_resumes(signed_in, alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of(STORY, pieces=25, delay=0.1))
    page = signed_in(alice)
    send(page, "Tell me a story")
    expect(last_reply(page).locator(".msg-body")).to_have_text(re.compile(r".{10,}"))
    with page.expect_websocket():  # a new socket (wait_for_function would need eval, which the CSP forbids)
        page.evaluate("window.playground.socket.ws.close()")
    page.wait_for_selector("#connection[data-state=online]")
    expect(last_reply(page)).to_have_attribute("data-status", "complete")
    expect(last_reply(page).locator(".msg-body")).to_have_text(STORY)
    expect(page.locator("article.msg")).to_have_count(2)


def test_the_playground_links_to_experiments_and_to_providers_for_an_admin(transactional_db, signed_in, alice, bob):
    page = signed_in(alice)
    page.get_by_role("link", name="Experiments").click()
    page.wait_for_url("**/experiments/")
    page.go_back()
    assert page.get_by_role("link", name="Providers").count() == 1
    assert signed_in(bob).get_by_role("link", name="Providers").count() == 0
