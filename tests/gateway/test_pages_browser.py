"""The token and usage pages in a real browser, under the site's Content-Security-Policy."""
import pytest

from chat.gateway.models import ApiToken
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_teammate_makes_a_token_copies_it_once_and_reads_their_usage(bob, gateway_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=gateway_url).new_page()
        page.set_default_timeout(15_000)
        blocked = []
        page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
                else None)
        page.goto("/accounts/login/?next=/profile/tokens")
        page.get_by_label("Username").fill("bob")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Name").fill("notebook")
        page.get_by_role("button", name="Create token").click()
        token = page.locator("#new-token").inner_text()
        page.reload()
        shown_again = page.locator("#new-token").count()
        revoke_button = page.get_by_role("button", name="Revoke").count()
        page.get_by_role("link", name="Usage").click()
        charts = page.locator("svg.usage-chart").count()
        heading = page.get_by_role("heading", level=1).inner_text()
        browser.close()
    assert token.startswith("plg_") and shown_again == 0 and revoke_button == 1
    assert charts == 3 and heading.startswith("Your usage") and blocked == []
    assert ApiToken.objects.get().name == "notebook"
