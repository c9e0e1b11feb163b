"""Side-by-side compare in a real browser: columns streaming at once, a Stop per column, picking a branch."""
import time

import pytest
from playwright.sync_api import expect

from chat.models import Message
from providers.models import ProviderModel
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = '{"story": "Once upon a time a small llama walked across the mountains."}'
MODELS = ["fake-model", "fake-model-mini", "fake-model-max"]


def composer(page):
    return page.get_by_label("Message", exact=True)


def columns(page):
    return page.locator(".compare .compare-column")


def lengths(page) -> list[int]:
    return [len((columns(page).nth(n).locator(".msg-body").text_content() or "").strip()) for n in range(3)]


def statuses(page) -> list[str]:
    return [columns(page).nth(n).get_attribute("data-status") for n in range(3)]


def wait_until_all_stream(page, timeout: float = 10.0) -> list[int]:
    """Every column shows part of its reply, and none has finished yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if columns(page).count() == 3:
            seen, states = lengths(page), statuses(page)
            assert "complete" not in states, (seen, states)
            if all(0 < n < len(ANSWER) for n in seen):
                return seen
        page.wait_for_timeout(20)
    raise AssertionError("The three columns did not all stream at once.")


def test_alice_compares_three_models_stops_one_and_continues_with_another(signed_in, alice, provider, openai_fake):
    for model_id in MODELS[1:]:
        ProviderModel.objects.create(provider=provider, model_id=model_id, input_price_per_mtok=3,
                                     output_price_per_mtok=4)
    openai_fake.default_reply = Reply.text_of(ANSWER, pieces=10, delay=0.1)
    page = signed_in(alice)
    page.get_by_label("Response format").select_option("json_object")
    page.get_by_label("Compare models side by side").check()
    page.get_by_role("button", name="Add a model").click()
    for n, model_id in enumerate(MODELS):
        page.get_by_label(f"Compare model {n + 1}").select_option(model_id)
    composer(page).fill("Tell me a story as JSON")
    page.get_by_role("button", name="Send").click()

    first = wait_until_all_stream(page)
    expect(columns(page).nth(0).locator(".compare-model")).to_have_text("loopback · fake-model")
    expect(columns(page).nth(2).locator(".compare-model")).to_have_text("loopback · fake-model-max")
    middle = columns(page).nth(1)
    middle.get_by_role("button", name="Stop fake-model-mini").click()
    expect(middle).to_have_attribute("data-status", "cancelled")
    expect(middle.locator(".status")).to_have_text("cancelled")
    for n in (0, 2):
        expect(columns(page).nth(n)).to_have_attribute("data-status", "complete")
    later = lengths(page)
    assert later[0] == later[2] == len(ANSWER) > first[0]
    assert 0 < later[1] < len(ANSWER)

    for n in (0, 2):
        column = columns(page).nth(n)
        meta = column.locator(".msg-meta")
        expect(meta).to_contain_text(MODELS[n])
        expect(meta).to_contain_text("12 in / 5 out tokens")
        expect(meta).to_contain_text("TTFT")
        expect(meta).to_contain_text("tok/s")
        expect(meta).to_contain_text("$")
        expect(column.locator(".verdict")).to_have_text("valid")
    expect(page.locator("#send-blocked")).to_contain_text("Continue with this one")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()

    question = Message.objects.get(role="user")
    replies = {m.model: m for m in Message.objects.filter(role="assistant")}
    assert {m.parent_id for m in replies.values()} == {question.pk}
    assert replies["fake-model-mini"].status == "cancelled"
    chosen = replies["fake-model-max"]
    columns(page).nth(2).get_by_role("button", name="Continue with this one").click()
    expect(page.locator(".compare")).to_have_count(0)
    current = page.locator("article.msg-assistant")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-message-id", str(chosen.pk))
    expect(current.locator(".sibling-count")).to_have_text("3/3")

    page.get_by_label("Compare models side by side").uncheck()
    openai_fake.default_reply = Reply.text_of('{"story": "The end."}', pieces=2)
    composer(page).fill("And then?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("article.msg-assistant").last.locator(".msg-body")).to_contain_text("The end.")
    expect(page.locator("article.msg-assistant").last).to_have_attribute("data-status", "complete")
    follow_up = Message.objects.get(role="user", content="And then?")
    assert follow_up.parent_id == chosen.pk
    assert Message.objects.get(parent=follow_up).status == "complete"
    assert page.console_errors == []


def test_an_image_attached_to_a_compare_goes_to_each_model_and_a_model_without_vision_is_said(
        signed_in, alice, provider, openai_fake, tmp_path):
    from tests.images.pictures import picture

    ProviderModel.objects.create(provider=provider, model_id="fake-model-mini")
    blind = ProviderModel.objects.create(provider=provider, model_id="fake-model-blind", supports_vision=False)
    openai_fake.default_reply = Reply.text_of("A red rectangle.")
    red = tmp_path / "red.png"
    red.write_bytes(picture("PNG", (40, 30)))
    page = signed_in(alice)
    page.get_by_label("Compare models side by side").check()
    page.get_by_label("Compare model 1").select_option("fake-model")
    page.get_by_label("Compare model 2").select_option("fake-model-blind")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach image").click()
    chooser.value.set_files(str(red))
    expect(page.get_by_role("list", name="Attached images").get_by_role("img")).to_have_count(1)
    composer(page).fill("What is in this picture?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#alerts")).to_contain_text("fake-model-blind does not take images")
    assert not openai_fake.chat_requests() and not Message.objects.exists()  # refused before anything is stored

    page.get_by_label("Compare model 2").select_option("fake-model-mini")
    page.get_by_role("button", name="Send").click()
    for n in range(2):
        expect(columns(page).nth(n)).to_have_attribute("data-status", "complete")
    sent = {r.body["model"]: r.body["messages"][-1]["content"] for r in openai_fake.chat_requests()}
    assert set(sent) == {"fake-model", "fake-model-mini"}
    for content in sent.values():
        assert content[0] == {"type": "text", "text": "What is in this picture?"}
        assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    question = Message.objects.get(role="user")
    assert len(question.images) == 1 and blind.model_id not in sent
    assert page.console_errors == []
