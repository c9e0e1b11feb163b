"""A real browser against the real ASGI app.

Daphne runs in a subprocess on an ephemeral port, pointed at the pytest test
database (so tests here use `transactional_db`: data must be committed to be
seen). Chromium is Debian's, launched headless by sync Playwright. A failing
test leaves a screenshot of each of its pages under test-results/<test>/.
"""
import os
import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.live import RESULTS, daphne, server_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        db = dict(connection.settings_dict)
    with daphne(server_env(db)) as url:
        yield url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    # Sync Playwright keeps an event loop marked running on this thread while the browser is open; the
    # test code here is plain sync code, so Django's guard against ORM calls inside a loop is lifted for
    # these tests only, from before their fixtures are set up until after they are torn down.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="package")
def browser(live_server_url):
    """Closed when this folder's tests end, so no loop is left running for the tests after them."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def new_page(request, browser, live_server_url):
    """Opens pages in fresh browser contexts (one per persona); screenshots them all if the test fails."""
    contexts = []

    def open_page(**options):
        """options: Playwright's new_context options (viewport, color_scheme, permissions...)."""
        context = browser.new_context(**{"base_url": live_server_url, "viewport": {"width": 1400, "height": 900}, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.console_errors = []
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                page.screenshot(path=str(folder / f"page-{n}-{m}.png"), full_page=True)
    for context in contexts:
        context.close()


def sign_in(page, user, password: str = PASSWORD):
    """The sign-in form, as a person uses it; returns once the playground is connected."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#connection[data-state=online]")
    return page


@pytest.fixture
def signed_in(new_page):
    def open_as(user, **options):
        return sign_in(new_page(**options), user)
    return open_as


@pytest.fixture
def fresh_provider(transactional_db, openai_fake):
    """The loopback provider with a slug of its own per test (Daphne caches model resolution by slug for a few
    seconds, and each test's fake listens on a new port), named "Loopback", with the model "Fake model"."""
    from uuid import uuid4

    from tests.conftest import loopback_provider

    return loopback_provider(openai_fake.base_url, slug=f"loopback-{uuid4().hex[:8]}", display_name="Fake model")


AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one readable line each."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make axe` installs it (npm ci in tests/browser)")
    if not page.evaluate("() => Boolean(window.axe)"):
        # Evaluated by the browser's devtools protocol, which the page's Content-Security-Policy does not
        # govern; a <script> tag with the same text would be refused (script-src 'self').
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in result["violations"] if v["impact"] in impacts]

