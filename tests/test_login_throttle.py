"""Sign-in throttling: wrong passwords lock out one username from one address, for a cool-off, and say so."""
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER, HOME = "203.0.113.9", "198.51.100.7"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Dozens of sign-ins: a fast hasher keeps them quick (the throttle does not depend on it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_superuser("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", PASSWORD)


def sign_in(address: str, username: str, password: str, url: str = "/accounts/login/", **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    return client, client.post(url, {"username": username, "password": password, "next": "/"})


def guess_wrong(address: str, username: str, url: str = "/accounts/login/", times=None, **headers):
    for _ in range(times or settings.AXES_FAILURE_LIMIT):
        sign_in(address, username, "wrong password", url, **headers)


def signed_in(client, response) -> bool:
    return response.status_code == 302 and client.get("/api/conversations").status_code == 200


def test_wrong_passwords_lock_that_user_out_from_that_address_and_the_page_says_for_how_long(bob):
    guess_wrong(ATTACKER, "bob")
    client, response = sign_in(ATTACKER, "bob", PASSWORD)
    assert response.status_code == 429 and not signed_in(client, response)
    page = response.content.decode()
    assert "Too many failed sign-ins for this username from your address" in page
    assert "locked\n      out here for 15 minutes" in page
    assert 'name="password"' in page and 'value="bob"' in page


def test_the_same_user_from_another_address_still_signs_in(bob):
    guess_wrong(ATTACKER, "bob")
    assert signed_in(*sign_in(HOME, "bob", PASSWORD))
    assert sign_in(ATTACKER, "bob", PASSWORD)[1].status_code == 429  # the home sign-in unlocked nothing there


def test_a_few_mistakes_are_forgiven_and_the_lock_ends_after_the_cool_off(bob):
    guess_wrong(ATTACKER, "bob", times=settings.AXES_FAILURE_LIMIT - 1)
    assert signed_in(*sign_in(ATTACKER, "bob", PASSWORD))
    guess_wrong(ATTACKER, "bob")
    assert sign_in(ATTACKER, "bob", PASSWORD)[1].status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)  # the time passes
    assert signed_in(*sign_in(ATTACKER, "bob", PASSWORD))


def test_the_admin_sign_in_is_throttled_too(alice):
    guess_wrong(ATTACKER, "alice", url="/admin/login/")
    client, response = sign_in(ATTACKER, "alice", PASSWORD, url="/admin/login/")
    assert response.status_code == 429 and "locked" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still the admin's sign-in page
    assert sign_in(ATTACKER, "alice", PASSWORD)[1].status_code == 429  # and the same pair on the site's form


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(bob, settings):
    settings.BEHIND_HTTPS_PROXY = True
    proxy = "127.0.0.1"
    # The attacker sends a forged X-Forwarded-For; the proxy appends the address it really saw.
    guess_wrong(proxy, "bob", HTTP_X_FORWARDED_FOR=f"{HOME}, {ATTACKER}")
    assert sign_in(proxy, "bob", PASSWORD, HTTP_X_FORWARDED_FOR=ATTACKER)[1].status_code == 429
    assert signed_in(*sign_in(proxy, "bob", PASSWORD, HTTP_X_FORWARDED_FOR=HOME))
