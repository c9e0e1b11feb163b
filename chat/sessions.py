"""Signing out ends the session's sockets, in every server process.

Each signed-in socket joins two channel-layer groups: one for its session and
one for its user (chat.sockets). Signing out closes the session's sockets at
once; deleting the account closes all of its sockets; any other save of the
account (switched off, a new password) makes each of its sockets check that it
is still on with the password it signed in with, and close with 4401 if not.
The layer carries the message to every Daphne process.
"""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.crypto import constant_time_compare

log = logging.getLogger(__name__)

END = "signin.end"
RECHECK = "signin.recheck"


def session_group(session_key: str) -> str:
    return f"signin.session.{session_key}"


def user_group(user_id) -> str:
    return f"signin.user.{user_id}"


def groups_of(scope) -> list[str]:
    """The groups a signed-in socket joins: its user's, and its session's where it has one."""
    groups = [user_group(scope["user"].pk)]
    session = scope.get("session")
    session_key = session.session_key if session is not None else None
    if session_key:
        groups.append(session_group(session_key))
    return groups


def still_signed_in(user_id, auth_hash: str) -> bool:
    """Whether the account is still on with the password a socket signed in with (synchronous ORM)."""
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    return user is not None and user.is_active and constant_time_compare(user.get_session_auth_hash(), auth_hash)


def _tell(group: str, kind: str) -> None:
    """Send from synchronous code (signals): async_to_sync runs the send on the server's loop, never blocking it.

    A channel layer that cannot be reached is logged, not raised: the sign-out or the save it follows stands.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": kind})
    except Exception:
        log.exception("Could not tell the sockets of %s to %s", group, kind)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        _tell(session_group(session_key), END)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _account_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if created or update_fields and set(update_fields) <= {"last_login"}:
        return  # a new account has no sockets; signing in saves last_login only
    group = user_group(instance.pk)
    transaction.on_commit(lambda: _tell(group, RECHECK))


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _account_deleted(sender, instance, **kwargs) -> None:
    group = user_group(instance.pk)
    transaction.on_commit(lambda: _tell(group, END))
