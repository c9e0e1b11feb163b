"""The audit log: who changed providers, keys, models (capabilities, prices), quotas, tokens and users.

Model signals record each change with its field names and old and new values
(a secret field says only that it changed); the request being served (set by
`AuditMiddleware`) gives who and from where, and a management command is
`manage.py`. The old values are read once before a save, so audited models
cost one read per save; they are changed rarely.
"""
from contextvars import ContextVar
from decimal import Decimal

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_save

from chat.gateway.models import ApiToken, AuditEntry, Quota
from playground.login_throttle import client_address
from providers.models import Provider, ProviderModel

_request: ContextVar = ContextVar("audited_request", default=None)

IGNORED = {"id", "created", "updated", "last_login", "password", "date_joined", "hashed", "last_used"}
SECRET = {"extra_headers"}  # headers may carry credentials: only that they changed is recorded
KEY_FIELDS = {"api_key_encrypted", "api_key_last4"}  # a key change is an entry of its own, without the key
NAMES = {"apitoken": "token", "providermodel": "model"}
USER_FIELDS = {"is_active", "is_staff", "is_superuser"}


class AuditMiddleware:
    """Makes the request being served known to the audit log (who, from which address)."""

    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)

    async def _acall(self, request):
        token = _request.set(request)
        try:
            return await self.get_response(request)
        finally:
            _request.reset(token)


def _who() -> dict:
    request = _request.get()
    if request is None:
        return {"actor": None, "actor_name": "manage.py", "address": ""}
    user = getattr(request, "user", None)
    known = user is not None and user.is_authenticated
    return {"actor": user if known else None, "actor_name": user.get_username() if known else "",
            "address": client_address(request)}


def record(action: str, instance, changes: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(action=action, target_type=_name(instance), target_id=str(instance.pk or ""),
                                     target=str(instance)[:200], changes=changes or {}, **_who())


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(instance) -> dict:
    names = USER_FIELDS if isinstance(instance, get_user_model()) else None
    return {f.attname: _plain(getattr(instance, f.attname)) for f in instance._meta.concrete_fields
            if f.attname not in IGNORED and (names is None or f.attname in names)}


def _diff(old: dict, new: dict) -> dict:
    return {name: ["(secret)", "(changed)"] if name in SECRET else [old.get(name), value]
            for name, value in new.items() if old.get(name) != value and name not in KEY_FIELDS}


def _before(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and not set(update_fields) - IGNORED:
        instance._audit_old = False  # e.g. a sign-in writing last_login: nothing audited changed
        return
    row = sender._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_old = _fields(row) if row is not None else None


def _after(sender, instance, created, **kwargs):
    old = getattr(instance, "_audit_old", None)
    if old is False:
        return
    name = _name(instance)
    new = _fields(instance)
    if created or old is None:
        if not isinstance(instance, get_user_model()):
            record(f"{name}.create", instance, {k: [None, "(secret)" if k in SECRET else v] for k, v in new.items()
                                                if v not in (None, "", [], {}) and k not in KEY_FIELDS})
    else:
        changes = _diff(old, new)
        if changes:
            record(f"{name}.update", instance, changes)
    if isinstance(instance, Provider):
        _key_change(instance, (old or {}).get("api_key_encrypted") or "", instance.api_key_encrypted or "")


def _key_change(provider: Provider, old: str, new: str) -> None:
    if old == new:
        return
    action = "provider.key_set" if not old else "provider.key_removed" if not new else "provider.key_rotated"
    record(action, provider)


def _deleted(sender, instance, **kwargs):
    record(f"{_name(instance)}.delete", instance)


def _name(instance) -> str:
    return NAMES.get(instance._meta.model_name, instance._meta.model_name)


def connect() -> None:
    for model in (Provider, ProviderModel, Quota, ApiToken, get_user_model()):
        uid = f"audit-{model._meta.label}"
        pre_save.connect(_before, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_after, sender=model, dispatch_uid=f"{uid}-post")
        if model is not get_user_model():
            post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}-delete")
