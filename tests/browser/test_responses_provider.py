"""A Responses API provider end to end in a real browser, through its loopback fake.

Two turns: each streams in, and the second request carries the whole history
(the adapter is stateless: store is false, nothing is kept on the provider).
"""
import time
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from chat.models import Message
from tests.conftest import TEST_KEY, loopback_provider
from tests.fakes.responses import ResponsesFake
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = "Alpacas are smaller than llamas and are kept for their soft fleece, not for carrying loads."
SECOND = "Llamas carry loads; alpacas are too small for that."


@pytest.fixture
def responses_fake():
    with ResponsesFake() as fake:
        yield fake


@pytest.fixture
def responses_provider(transactional_db, responses_fake):
    return loopback_provider(responses_fake.base_url, slug=f"resp-{uuid4().hex[:8]}", kind="responses",
                             name="Responses (loopback)", model="gpt-fake", display_name="GPT fake", retries=1)


def ask(page, text: str):
    message = page.get_by_label("Message", exact=True)
    message.fill(text)
    message.press("Enter")


def watch_it_stream(page, reply, answer: str) -> None:
    body = reply.locator(".msg-body")
    seen = set()
    deadline = time.monotonic() + 10
    while reply.get_attribute("data-status") != "complete" and time.monotonic() < deadline:
        seen.add(len(body.text_content() or ""))
        page.wait_for_timeout(20)
    assert {n for n in seen if 0 < n < len(answer)}, "the reply did not stream in"
    expect(reply).to_have_attribute("data-status", "complete")
    expect(body).to_have_text(answer)


def test_alice_chats_twice_with_a_responses_api_model(signed_in, alice, provider, responses_provider, responses_fake,
                                                      openai_fake):
    responses_fake.enqueue(Reply.text_of(FIRST, pieces=12, delay=0.08, usage=(12, 5)),
                           Reply.text_of(SECOND, pieces=8, delay=0.08, usage=(40, 9)))
    page = signed_in(alice)
    page.get_by_label("Provider", exact=True).select_option(label="Responses (loopback)")
    expect(page.get_by_label("Model", exact=True)).to_have_value("gpt-fake")
    page.get_by_label("System prompt").fill("Answer in one sentence.")

    ask(page, "What is an alpaca?")
    first = page.locator("article.msg-assistant").last
    watch_it_stream(page, first, FIRST)
    meta = first.locator(".msg-meta")
    expect(meta).to_contain_text("gpt-fake")
    expect(meta).to_contain_text("finish: stop")
    expect(meta).to_contain_text("12 in / 5 out tokens")

    ask(page, "Which one carries loads?")
    expect(page.locator("article.msg-assistant")).to_have_count(2)
    watch_it_stream(page, page.locator("article.msg-assistant").last, SECOND)

    sent = responses_fake.chat_requests()
    assert len(sent) == 2 and openai_fake.chat_requests() == []
    assert sent[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert all(r.body["store"] is False and r.body["stream"] is True and r.body["model"] == "gpt-fake" for r in sent)
    assert sent[1].body["input"] == [
        {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Answer in one sentence."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "What is an alpaca?"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": FIRST}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Which one carries loads?"}]},
    ]
    stored = list(Message.objects.filter(role="assistant").order_by("pk").values_list("provider", "status", "content"))
    assert stored == [(responses_provider.slug, "complete", FIRST), (responses_provider.slug, "complete", SECOND)]
    assert page.console_errors == []
