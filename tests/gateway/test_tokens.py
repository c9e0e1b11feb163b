"""Personal tokens: made on the profile page or with `manage.py tokens`, stored hashed, shown once, revocable."""
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from chat.gateway import tokens
from chat.gateway.models import ApiToken

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_command_prints_the_token_on_its_last_line_only_and_stores_a_hash(bob):
    out, err = io.StringIO(), io.StringIO()
    call_command("tokens", "create", "bob", "--name", "ci", "--expires-days", "30", stdout=out, stderr=err)
    token = out.getvalue().strip().splitlines()[-1]
    assert out.getvalue().strip() == token and token not in err.getvalue()
    row = ApiToken.objects.get()
    assert row.name == "ci" and row.expires is not None and token[4:] not in row.hashed
    assert row.hashed.startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt"))
    assert tokens.authenticate(f"Bearer {token}") == row
    listing = io.StringIO()
    call_command("tokens", "list", "bob", stdout=listing)
    assert "ci" in listing.getvalue() and token not in listing.getvalue() and "active" in listing.getvalue()
    call_command("tokens", "revoke", str(row.pk), stdout=io.StringIO())
    with pytest.raises(tokens.BadToken, match="revoked"):
        tokens.authenticate(f"Bearer {token}")
    with pytest.raises(CommandError, match="already"):
        call_command("tokens", "revoke", str(row.pk), stdout=io.StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("tokens", "create", "nobody", "--name", "x", stdout=io.StringIO())


def test_the_profile_page_shows_a_new_token_once_and_revokes_it(bob):
    client = _signed_in(bob)
    page = client.post("/profile/tokens", {"name": "notebook", "expires_days": "7", "allowed": "loopback, x/y"},
                       follow=True)
    token = page.context["new_token"]
    assert token.startswith("plg_") and token in page.content.decode() and page["Cache-Control"] == "no-store"
    row = ApiToken.objects.get()
    assert row.allowed == ["loopback", "x/y"] and row.expires is not None
    again = client.get("/profile/tokens").content.decode()
    assert token not in again and "notebook" in again and f"plg_{row.key_id}" in again
    client.post(f"/profile/tokens/{row.pk}/revoke")
    with pytest.raises(tokens.BadToken):
        tokens.authenticate(f"Bearer {token}")


def test_nobody_revokes_someone_elses_token(alice, bob):
    row, _ = tokens.create(bob, "bobs")
    assert _signed_in(alice).post(f"/profile/tokens/{row.pk}/revoke").status_code == 404
    assert ApiToken.objects.get().revoked is None
    assert Client().get("/profile/tokens").status_code == 302  # signed out: to the sign-in page
