"""A reply's reasoning in a real browser: streamed above the answer, folded once the answer starts, kept after a
reload, in compare columns and in experiment outputs; the reasoning controls only for a model that takes them."""
import re
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from chat.models import Experiment, ExperimentBatch, ExperimentRun
from tests.browser.conftest import axe_violations
from tests.conftest import loopback_provider
from tests.fakes.gemini import GeminiFake
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

THOUGHT = ["The user wants ", "a short answer ", "about llamas; ", "they hum."]
ANSWER = ["Llamas ", "hum when ", "they are ", "curious."]
THOUGHT_FOR = re.compile(r"^Thought for \d+\.\d s$")


@pytest.fixture
def thinker(transactional_db, openai_fake):
    """An OpenAI-compatible model with the reasoning capability (its API takes `reasoning_effort`)."""
    provider = loopback_provider(openai_fake.base_url, slug=f"thinker-{uuid4().hex[:8]}", name="Thinker",
                                 model="think-1", display_name="Think one")
    provider.supports_reasoning = True
    provider.save()
    return provider


@pytest.fixture
def gemini_fake():
    with GeminiFake() as fake:
        yield fake


def open_settings(page):
    if page.viewport_size["width"] < 768:
        page.get_by_role("button", name="Settings", exact=True).click()


def close_settings(page):
    if page.viewport_size["width"] < 768:
        page.get_by_role("button", name="Close the settings").click()


@pytest.mark.parametrize("width,height,scheme", [(1440, 900, "light"), (390, 844, "dark")])
def test_reasoning_streams_above_the_answer_then_folds(width, height, scheme, signed_in, alice, thinker,
                                                       fresh_provider, openai_fake):
    openai_fake.enqueue(Reply(reasoning=THOUGHT, text=ANSWER, delay=0.4, reasoning_tokens=3))
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme=scheme)
    open_settings(page)
    effort = page.get_by_label("Reasoning effort")
    page.get_by_label("Provider", exact=True).select_option(label="Loopback")
    expect(effort).to_be_hidden()  # a model without the capability shows no control
    page.get_by_label("Provider", exact=True).select_option(label="Thinker")
    expect(effort).to_be_visible()
    expect(page.get_by_label("Thinking budget")).to_be_hidden()  # not a control this API takes
    effort.select_option("high")
    close_settings(page)
    page.get_by_label("Message", exact=True).fill("Why do llamas hum?")
    page.get_by_label("Message", exact=True).press("Enter")

    reply = page.locator("article.msg-assistant").last
    block = reply.locator("details.reasoning")
    expect(block).to_have_attribute("open", "")  # open while only the reasoning streams
    expect(block.locator("summary")).to_have_text("Thinking…")
    expect(reply.locator(".msg-body")).not_to_have_text("")  # the answer starts...
    expect(block).not_to_have_attribute("open", "")  # ...and the reasoning folds away
    expect(reply).to_have_attribute("data-status", "complete")
    expect(block.locator("summary")).to_have_text(THOUGHT_FOR)
    expect(reply.locator(".msg-body")).to_have_text("".join(ANSWER))
    expect(reply.locator(".msg-meta")).to_contain_text("12 in / 5 out tokens (3 reasoning)")
    block.locator("summary").click()  # the reader opens it again
    expect(block.locator(".reasoning-text")).to_have_text("".join(THOUGHT))
    assert axe_violations(page) == []

    body = openai_fake.chat_requests()[-1].body
    assert body["model"] == "think-1" and body["reasoning_effort"] == "high"

    page.reload()
    page.wait_for_selector("#connection[data-state=online]")
    stored = page.locator("article.msg-assistant details.reasoning")
    expect(stored.locator("summary")).to_have_text(THOUGHT_FOR)
    expect(stored).not_to_have_attribute("open", "")
    stored.locator("summary").press("Enter")  # a summary is reached and opened by keyboard
    expect(stored.locator(".reasoning-text")).to_have_text("".join(THOUGHT))
    open_settings(page)
    expect(page.get_by_label("Reasoning effort")).to_have_value("high")  # the conversation's setting


def test_an_empty_reasoning_control_is_cleared(signed_in, alice, thinker, openai_fake):
    openai_fake.enqueue(Reply.text_of("One."), Reply.text_of("Two."))
    page = signed_in(alice)
    page.get_by_label("Reasoning effort").select_option("low")
    page.get_by_label("Message", exact=True).fill("First")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("article.msg-assistant")).to_have_attribute("data-status", "complete")
    page.get_by_label("Reasoning effort").select_option("")
    page.get_by_label("Message", exact=True).fill("Second")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("article.msg-assistant")).to_have_count(2)
    expect(page.locator("article.msg-assistant").last).to_have_attribute("data-status", "complete")
    first, second = openai_fake.chat_requests()
    assert first.body["reasoning_effort"] == "low"
    assert "reasoning_effort" not in second.body


def test_compared_replies_show_their_reasoning(signed_in, alice, thinker, openai_fake):
    from providers.models import ProviderModel

    ProviderModel.objects.create(provider=thinker, model_id="think-2", display_name="Think two")
    openai_fake.enqueue(Reply(reasoning=THOUGHT, text=ANSWER), Reply(reasoning=THOUGHT, text=ANSWER))
    page = signed_in(alice)
    page.get_by_label("Compare models side by side").check()
    page.get_by_label("Compare provider 1").select_option(label="Thinker")
    page.get_by_label("Compare provider 2").select_option(label="Thinker")
    page.get_by_label("Compare model 1").select_option("think-1")
    page.get_by_label("Compare model 2").select_option("think-2")
    page.get_by_label("Message", exact=True).fill("Why do llamas hum?")
    page.get_by_label("Message", exact=True).press("Enter")
    columns = page.locator(".compare-column")
    expect(columns).to_have_count(2)
    for n in range(2):
        expect(columns.nth(n)).to_have_attribute("data-status", "complete")
        expect(columns.nth(n).locator("details.reasoning summary")).to_have_text(THOUGHT_FOR)


def test_an_experiment_output_shows_its_reasoning(signed_in, alice, thinker):
    experiment = Experiment.objects.create(
        owner=alice, name="Humming", messages=[{"role": "user", "content": "Why do llamas hum?"}],
        targets=[{"provider": thinker.slug, "model": "think-1"}], repeats=1)
    batch = ExperimentBatch.objects.create(experiment=experiment, number=1, status="complete", spec=experiment.spec(),
                                           total=1)
    ExperimentRun.objects.create(batch=batch, provider=thinker.slug, model="think-1", repeat=1, status="complete",
                                 output="They are curious.", reasoning="".join(THOUGHT), prompt_tokens=3,
                                 completion_tokens=2, ttft_ms=50, duration_ms=80)
    page = signed_in(alice)
    page.goto(f"/experiments/{experiment.pk}/")
    page.locator("#results tbody tr").first.click()
    card = page.locator(".output-card")
    expect(card.locator("pre.output")).to_have_text("They are curious.")
    block = card.locator("details.reasoning")
    expect(block.locator("summary")).to_have_text("Reasoning")
    block.locator("summary").click()
    expect(block.locator(".reasoning-text")).to_have_text("".join(THOUGHT))
    assert axe_violations(page) == []


def test_a_reply_without_usage_shows_its_tokens_as_an_estimate(signed_in, alice, fresh_provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("Llamas hum when they are curious.", usage=None))
    page = signed_in(alice)
    page.get_by_label("Message", exact=True).fill("Why do llamas hum?")
    page.get_by_label("Message", exact=True).press("Enter")
    meta = page.locator("article.msg-assistant .msg-meta")
    expect(meta).to_contain_text(re.compile(r"≈ \d+ in / \d+ out tokens, estimated: the provider reported no usage"))
    expect(meta).to_contain_text(re.compile(r"≈ \$\d"))  # the cost is only as good as the counts


def test_a_gemini_model_takes_a_thinking_budget_and_thinking_off(signed_in, alice, gemini_fake):
    from providers.models import ProviderModel

    gemini = loopback_provider(gemini_fake.base_url, kind="gemini", slug=f"gemini-{uuid4().hex[:8]}", name="Gemini")
    ProviderModel.objects.filter(provider=gemini).update(supports_reasoning=True)
    gemini_fake.enqueue(Reply(reasoning=THOUGHT, text=ANSWER), Reply.text_of("Quick."))
    page = signed_in(alice)
    for label in ("Reasoning effort", "Thinking budget", "Thinking"):  # all three: Gemini's API takes each
        expect(page.get_by_label(label, exact=label == "Thinking")).to_be_visible()
    page.get_by_label("Thinking budget").fill("512")
    page.get_by_label("Message", exact=True).fill("Why do llamas hum?")
    page.get_by_label("Message", exact=True).press("Enter")
    reply = page.locator("article.msg-assistant").last
    expect(reply.locator("details.reasoning summary")).to_have_text(THOUGHT_FOR)
    page.get_by_label("Thinking budget").fill("")
    page.get_by_label("Thinking", exact=True).select_option("off")
    page.get_by_label("Message", exact=True).fill("And briefly?")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("article.msg-assistant")).to_have_count(2)
    expect(page.locator("article.msg-assistant").last).to_have_attribute("data-status", "complete")
    expect(page.locator("article.msg-assistant").last.locator("details.reasoning")).to_have_count(0)
    first, second = (r.body["generationConfig"]["thinkingConfig"] for r in gemini_fake.chat_requests())
    assert first == {"includeThoughts": True, "thinkingBudget": 512}
    assert second == {"thinkingBudget": 0}


def test_a_teammate_watching_sees_the_reasoning_stream_too(signed_in, alice, bob, thinker, openai_fake):
    openai_fake.enqueue(Reply(reasoning=THOUGHT * 3, text=ANSWER, delay=0.4))
    page = signed_in(alice)
    page.get_by_label("Message", exact=True).fill("Why do llamas hum?")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("details.reasoning")).to_be_visible()
    watcher = signed_in(bob)
    watcher.goto(page.url)  # mid-reasoning: what came so far arrives with conversation.state, the rest as frames
    reply = watcher.locator("article.msg-assistant")
    expect(reply.locator("details.reasoning summary")).to_have_text("Thinking…")
    expect(reply).to_have_attribute("data-status", "complete", timeout=20_000)  # 16 events 0.4 s apart
    expect(reply.locator("details.reasoning summary")).to_have_text(THOUGHT_FOR)
    expect(reply.locator(".reasoning-text")).to_have_text("".join(THOUGHT * 3))
    expect(reply.locator(".msg-body")).to_have_text("".join(ANSWER))
