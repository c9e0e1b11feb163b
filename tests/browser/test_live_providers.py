"""The pickers follow the providers while the page is open: asked again when the page regains focus; a provider
with no model to pick says why, and where an admin fixes it."""
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from providers.models import Provider
from tests.browser.conftest import axe_violations
from tests.conftest import TEST_KEY, loopback_provider
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def regain_focus(page):
    """As when the person comes back to the tab (headless Chromium never loses focus on its own)."""
    with page.expect_response("**/api/providers"):
        page.evaluate("window.dispatchEvent(new Event('focus'))")


def empty_provider(name="Bare"):
    provider = Provider(name=name, slug=f"bare-{uuid4().hex[:8]}", kind="openai", base_url="http://127.0.0.1:9/v1")
    provider.set_api_key(TEST_KEY)
    provider.save()
    return provider


def test_a_provider_added_while_the_page_is_open_appears_on_focus(signed_in, bob, fresh_provider, openai_fake):
    page = signed_in(bob)
    page.get_by_label("System prompt").fill("Be brief.")
    provider_select = page.get_by_label("Provider", exact=True)
    expect(provider_select.locator("option")).to_have_count(1)
    later = loopback_provider(openai_fake.base_url, slug=f"later-{uuid4().hex[:8]}", name="Added later",
                              model="late-model")
    regain_focus(page)
    expect(provider_select.locator("option")).to_have_text(["Added later", "Loopback"])
    expect(provider_select).to_have_value(fresh_provider.slug)  # the current choice stays
    expect(page.get_by_label("Model", exact=True)).to_have_value("fake-model")
    expect(page.get_by_label("System prompt")).to_have_value("Be brief.")
    page.get_by_label("Find a model").fill("late")
    expect(page.get_by_role("option", name="late-model")).to_be_visible()  # the finder knows it too
    page.keyboard.press("Enter")
    expect(provider_select).to_have_value(later.slug)
    expect(page.get_by_label("Model", exact=True)).to_have_value("late-model")

    openai_fake.enqueue(Reply.text_of("Hi."))
    page.get_by_label("Message", exact=True).fill("Hello")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("article.msg-assistant")).to_have_attribute("data-status", "complete")
    assert openai_fake.chat_requests()[-1].body["model"] == "late-model"


def test_a_provider_without_models_says_why_and_links_admins(signed_in, alice, bob, fresh_provider):
    bare = empty_provider()
    admin = signed_in(alice, color_scheme="dark")
    admin.get_by_label("Provider", exact=True).select_option(label="Bare")
    note = admin.locator("#model-empty")
    expect(note).to_contain_text("Bare has no models listed yet")
    expect(admin.get_by_label("Model", exact=True)).to_be_disabled()
    link = note.get_by_role("link", name="Open the provider's page")
    expect(link).to_have_attribute("href", f"/admin/providers/provider/{bare.pk}/change/")
    assert axe_violations(admin) == []

    teammate = signed_in(bob)
    teammate.get_by_label("Provider", exact=True).select_option(label="Bare")
    expect(teammate.locator("#model-empty")).to_contain_text("an admin fetches them")
    expect(teammate.locator("#model-empty a")).to_have_count(0)  # no admin page for a teammate
    teammate.get_by_label("Provider", exact=True).select_option(label="Loopback")
    expect(teammate.locator("#model-empty")).to_be_hidden()
    expect(teammate.get_by_label("Model", exact=True)).to_be_enabled()
