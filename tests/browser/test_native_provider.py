"""A native provider end to end in a real browser: Anthropic's Messages format, through its loopback fake."""
import time
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from chat.models import Message
from tests.conftest import TEST_KEY, loopback_provider
from tests.fakes.anthropic import AnthropicFake
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = "Llamas are camelids from the Andes; they hum when they are curious or worried."


@pytest.fixture
def anthropic_fake():
    with AnthropicFake() as fake:
        yield fake


@pytest.fixture
def claude(transactional_db, anthropic_fake):
    return loopback_provider(anthropic_fake.base_url, slug=f"claude-{uuid4().hex[:8]}", kind="anthropic",
                             name="Claude (loopback)", model="claude-fake", display_name="Claude fake", retries=1,
                             price=(3, 15))


def test_alice_chats_with_an_anthropic_model_end_to_end(signed_in, alice, provider, claude, anthropic_fake,
                                                        openai_fake):
    anthropic_fake.enqueue(Reply.text_of(ANSWER, pieces=12, delay=0.08))
    page = signed_in(alice)
    page.get_by_label("Provider", exact=True).select_option(label="Claude (loopback)")
    expect(page.get_by_label("Model", exact=True)).to_have_value("claude-fake")
    page.get_by_label("System prompt").fill("Answer in one sentence.")
    message = page.get_by_label("Message", exact=True)
    message.fill("What is a llama?")
    message.press("Enter")

    reply = page.locator("article.msg-assistant").last
    body = reply.locator(".msg-body")
    seen = set()
    deadline = time.monotonic() + 10
    while reply.get_attribute("data-status") != "complete" and time.monotonic() < deadline:
        seen.add(len(body.text_content() or ""))
        page.wait_for_timeout(20)
    assert {n for n in seen if 0 < n < len(ANSWER)}, "the reply did not stream in"
    expect(reply).to_have_attribute("data-status", "complete")
    expect(body).to_have_text(ANSWER)
    meta = reply.locator(".msg-meta")
    expect(meta).to_contain_text("claude-fake")
    expect(meta).to_contain_text("finish: stop")
    expect(meta).to_contain_text("12 in / 5 out tokens")
    expect(meta).to_contain_text("TTFT")

    sent = anthropic_fake.chat_requests()
    assert len(sent) == 1 and openai_fake.chat_requests() == []
    assert sent[0].headers["x-api-key"] == TEST_KEY
    assert sent[0].body["model"] == "claude-fake"
    assert sent[0].body["stream"] is True
    assert sent[0].body["system"] == "Answer in one sentence."
    assert sent[0].body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "What is a llama?"}]}]
    stored = Message.objects.get(role="assistant")
    assert (stored.provider, stored.model, stored.status, stored.content) == (claude.slug, "claude-fake", "complete",
                                                                             ANSWER)
    assert page.console_errors == []
