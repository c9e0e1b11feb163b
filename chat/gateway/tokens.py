"""Personal API tokens: made, shown once, checked, revoked.

A token reads `plg_<key id><secret>`. The key id finds the row; the secret is
kept only as a password hash. Checking a password hash is slow on purpose, so
a secret that checked out is remembered (as a SHA-256, in this process) for a
while; the row, its expiry and revocation, and the user's active flag are read
on every request, so a revoked token or a switched-off user stops at once.
"""
import hashlib
import secrets
import time
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from chat.gateway import audit
from chat.gateway.models import ApiToken

PREFIX = "plg_"
KEY_ID_LENGTH = 12
VERIFIED_SECONDS = 300
VERIFIED_MAX = 10_000  # remembered secrets, at most: the memory is cleared when it is full
LAST_USED_EVERY = timedelta(minutes=1)  # last_used is written at most this often per token

_verified: dict[str, float] = {}


class BadToken(Exception):
    """No usable token: its message is for the caller."""


def create(user, name: str, expires_days: int | None = None, allowed: list[str] | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns its row and the whole token, which is never shown again."""
    name = name.strip()
    if not name:
        raise ValueError("Give the token a name.")
    if expires_days is not None and expires_days < 1:
        raise ValueError("A token expires after one day or more.")
    key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
    row = ApiToken.objects.create(user=user, name=name[:100], key_id=key_id, hashed=make_password(secret),
                                  expires=expires, allowed=allowed or [])
    return row, f"{PREFIX}{key_id}{secret}"


def revoke(token: ApiToken) -> bool:
    """Revoke `token` (and say so in the audit log); False when it was revoked already."""
    if not ApiToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=timezone.now()):
        return False
    audit.record("token.revoke", token)
    return True


def _secret_checks(row: ApiToken, raw: str, secret: str) -> bool:
    digest = hashlib.sha256(f"{row.pk}:{row.hashed}:{raw}".encode()).hexdigest()
    seen = _verified.get(digest)
    if seen is not None and time.monotonic() - seen < VERIFIED_SECONDS:
        return True
    if not check_password(secret, row.hashed):
        return False
    if len(_verified) >= VERIFIED_MAX:
        _verified.clear()
    _verified[digest] = time.monotonic()
    return True


def authenticate(header: str | None) -> ApiToken:
    """The active token an `Authorization: Bearer …` header carries, with its user; raises BadToken."""
    scheme, _, raw = (header or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise BadToken("Send your personal token as `Authorization: Bearer <token>` (make one on your profile page).")
    if not raw.startswith(PREFIX) or len(raw) <= len(PREFIX) + KEY_ID_LENGTH:
        raise BadToken("This is not a personal token of this playground.")
    key_id, secret = raw[len(PREFIX):len(PREFIX) + KEY_ID_LENGTH], raw[len(PREFIX) + KEY_ID_LENGTH:]
    try:  # get(), not filter().first(): no ORDER BY to compile, a quarter of this lookup's cost on every request
        row = ApiToken.objects.select_related("user").get(key_id=key_id)
    except ApiToken.DoesNotExist:
        row = None
    if row is None or not _secret_checks(row, raw, secret):
        raise BadToken("Unknown token.")
    if row.revoked is not None:
        raise BadToken("This token was revoked.")
    if row.expires is not None and row.expires <= timezone.now():
        raise BadToken("This token has expired.")
    if not row.user.is_active:
        raise BadToken("This token's account is switched off.")
    _touch(row)
    return row


def _touch(row: ApiToken) -> None:
    now = timezone.now()
    if row.last_used is None or now - row.last_used >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used=now)
        row.last_used = now
