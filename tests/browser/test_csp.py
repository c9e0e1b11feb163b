"""The UI keeps to its Content-Security-Policy in a real browser: nothing is blocked, the socket connects."""
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.conftest import loopback_provider
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)
TABLE = "| name | legs |\n| :--- | ---: |\n| llama | 4 |\n"


def policy_violations(page) -> list[str]:
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return violations


def test_the_pages_run_under_the_policy_without_a_violation(new_page, alice, transactional_db, openai_fake):
    loopback_provider(openai_fake.base_url, slug=f"loopback-{uuid4().hex[:8]}")
    openai_fake.enqueue(Reply.text_of(TABLE))
    page = new_page()
    violations = policy_violations(page)
    page.goto("/accounts/login/")
    assert "script-src 'self'" in page.evaluate("() => fetch('/').then(r => r.headers.get('content-security-policy'))")
    page.get_by_label("Username").fill(alice.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#connection[data-state=online]")  # the websocket is allowed
    composer = page.get_by_label("Message", exact=True)
    composer.fill("A table, please")
    composer.press("Enter")
    reply = page.locator("article.msg-assistant").last
    expect(reply).to_have_attribute("data-status", "complete")
    # the rendered table keeps its column alignment (a style attribute)
    assert reply.locator("td").last.evaluate("cell => getComputedStyle(cell).textAlign") == "right"
    page.goto("/experiments/")
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    assert violations == [] and page.console_errors == []
