"""Single sign-on: a browser signs in through a real OpenID Connect provider (npm's oidc-provider) on loopback."""
import shutil
import subprocess
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD
from tests.live import ROOT, _wait_for_port, daphne, free_port, server_env

pytestmark = pytest.mark.django_db(transaction=True)
OIDC_DIR = ROOT / "tests" / "oidc"


@contextmanager
def oidc_provider(port: int, redirect_uri: str):
    """tests/oidc/server.mjs on `port`, accepting `redirect_uri`."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").exists() or not shutil.which("node"):
        pytest.fail("The OpenID Connect test provider is not installed: npm ci --prefix tests/oidc (make test does it)")
    log = ROOT / "test-results" / "oidc-provider.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(["node", "server.mjs", str(port), redirect_uri], cwd=OIDC_DIR, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def _sso_env(issuer: str) -> dict:
    return server_env(dict(connection.settings_dict), OIDC_RP_CLIENT_ID="playground",
                      OIDC_RP_CLIENT_SECRET="playground-test-secret", OIDC_OP_AUTHORIZATION_ENDPOINT=f"{issuer}/auth",
                      OIDC_OP_TOKEN_ENDPOINT=f"{issuer}/token", OIDC_OP_USER_ENDPOINT=f"{issuer}/me",
                      OIDC_OP_JWKS_ENDPOINT=f"{issuer}/jwks", OIDC_STAFF_CLAIM="staff", OIDC_GROUPS_CLAIM="groups")


def test_a_teammate_signs_in_through_the_identity_provider_and_local_accounts_still_work(bob):
    Group.objects.create(name="testers")
    from playwright.sync_api import sync_playwright

    idp_port = free_port()
    with daphne(_sso_env(f"http://127.0.0.1:{idp_port}"), "daphne-oidc") as url, \
            oidc_provider(idp_port, f"{url}/oidc/callback/"), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=url).new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Sign in with single sign-on").click()
        page.locator("input[name=login]").fill("dora")
        page.locator("input[name=password]").fill("anything")
        page.locator("button[type=submit]").click()
        page.locator("button[type=submit]").click()  # the provider's consent page: Continue
        page.wait_for_selector("#connection[data-state=online]")
        local = browser.new_context(base_url=url).new_page()
        local.goto("/accounts/login/")
        local.get_by_label("Username").fill("bob")
        local.get_by_label("Password").fill(PASSWORD)
        local.get_by_role("button", name="Sign in").click()
        local.wait_for_selector("#connection[data-state=online]")
        browser.close()
    dora = get_user_model().objects.get(username="dora")
    assert dora.email == "dora@example.com" and dora.is_staff and not dora.is_superuser
    assert list(dora.groups.values_list("name", flat=True)) == ["testers"]
