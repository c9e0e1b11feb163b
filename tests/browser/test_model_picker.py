"""Issue 13, finding things: "Find a model" searches every provider's models, grouped by provider, with what each
can do and its price, and picking one (keyboard or mouse) is what the next message uses."""
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from providers.models import ProviderModel
from tests.browser.conftest import axe_violations
from tests.conftest import loopback_provider
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_model_is_found_by_name_or_capability_and_used(signed_in, alice, fresh_provider, openai_fake):
    other = loopback_provider(openai_fake.base_url, slug=f"herd-{uuid4().hex[:6]}", name="Herd", model="llama-3-70b",
                              display_name="Llama 3 70B", price=None)
    ProviderModel.objects.create(provider=other, model_id="llama-3-8b", supports_tools=False, supports_json_schema=False)
    openai_fake.enqueue(Reply.text_of("Hello from the herd.", pieces=2))
    page = signed_in(alice)
    search = page.get_by_role("combobox", name="Find a model")
    search.fill("llama")
    results = page.get_by_role("listbox", name="Models found")
    expect(results.get_by_role("group", name="Herd").get_by_role("option")).to_have_count(2)
    expect(results.get_by_role("group", name="Loopback")).to_have_count(0)
    expect(results.get_by_role("option", name="Llama 3 70B")).to_contain_text("tools · JSON schema · images · no price known")
    expect(results.get_by_role("option", name="llama-3-8b")).to_contain_text("no price known")
    assert axe_violations(page) == []

    search.fill("tools")  # a capability is a search word too
    expect(results.get_by_role("option")).to_have_count(2)
    expect(results.get_by_role("option", name="Fake model")).to_contain_text("$1 in / $2 out per million tokens")
    expect(results.get_by_role("option", name="llama-3-8b")).to_have_count(0)

    search.fill("herd 70b")
    search.press("ArrowDown")  # stays on the only match
    search.press("Enter")
    expect(results).to_be_hidden()
    expect(page.get_by_label("Provider")).to_have_value(other.slug)
    expect(page.get_by_label("Model", exact=True)).to_have_value("llama-3-70b")
    expect(page.locator("#model-caps")).to_have_text("Can use: tools, JSON schema, images")
    page.get_by_label("Message", exact=True).fill("Hello")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("Hello from the herd.")
    assert openai_fake.chat_requests()[-1].body["model"] == "llama-3-70b"

    search.fill("fake")
    results.get_by_role("option", name="Fake model").click()
    expect(page.get_by_label("Provider")).to_have_value(fresh_provider.slug)
    expect(page.get_by_label("Model", exact=True)).to_have_value("fake-model")
    expect(page.locator("#model-price")).to_have_text("$1 in / $2 out per million tokens")
    assert page.console_errors == []
