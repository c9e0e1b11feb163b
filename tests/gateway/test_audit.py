"""The audit log: who changed what, from where; old and new values, never a key; admins read it, nobody edits it."""
import json

import pytest
from django.test import Client

from chat.gateway.models import AuditEntry
from tests.conftest import TEST_KEY, loopback_provider

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(user)
    return client


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def test_provider_key_model_price_and_capability_changes_are_recorded_without_the_key():
    from providers.models import ProviderModel

    provider = loopback_provider("http://127.0.0.1:9/v1", price=(1, 2))
    provider.set_api_key("sk-second-key-NEVER-LOGGED-9d8e")
    provider.name = "Loopback renamed"
    provider.save()
    row = ProviderModel.objects.get()
    row.output_price_per_mtok, row.supports_tools = 3, False
    row.save()
    provider.delete()
    assert _actions() == ["provider.create", "provider.key_set", "model.create", "provider.update",
                          "provider.key_rotated", "model.update", "model.delete", "provider.delete"]
    renamed = AuditEntry.objects.get(action="provider.update")
    assert renamed.changes == {"name": ["Loopback", "Loopback renamed"]} and renamed.actor_name == "manage.py"
    priced = AuditEntry.objects.get(action="model.update").changes
    assert priced == {"output_price_per_mtok": ["2.0000", 3], "supports_tools": [None, False]}
    everything = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert TEST_KEY not in everything and "sk-second-key" not in everything and "9d8e" not in everything


def test_an_admins_quota_and_user_changes_name_the_admin_and_the_address(alice, bob):
    admin = _signed_in(alice)
    answer = admin.post("/admin/gateway/quota/add/", {"scope": "user", "user": bob.pk, "requests_per_minute": "5"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    page = admin.get(f"/admin/auth/user/{bob.pk}/change/")
    form = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    form.update(username="bob", is_active="", is_staff="on", date_joined_0="2026-01-01", date_joined_1="00:00:00")
    form.pop("password", None)
    form["groups"], form["user_permissions"] = [], []
    assert admin.post(f"/admin/auth/user/{bob.pk}/change/", form).status_code == 302
    quota = AuditEntry.objects.get(action="quota.create")
    assert (quota.actor, quota.address, quota.changes["requests_per_minute"]) == (alice, "10.1.2.3", [None, 5])
    user = AuditEntry.objects.get(action="user.update")
    assert user.changes == {"is_active": [True, False], "is_staff": [False, True]} and user.actor == alice


def test_token_create_and_revoke_are_recorded_for_their_owner(bob):
    client = _signed_in(bob)
    token = client.post("/profile/tokens", {"name": "ci"}, follow=True).context["new_token"]
    row_id = AuditEntry.objects.get(action="token.create").target_id
    client.post(f"/profile/tokens/{row_id}/revoke")
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.actor, e.address) for e in entries] == [("token.create", bob, "10.1.2.3"),
                                                                   ("token.revoke", bob, "10.1.2.3")]
    assert token[4:] not in json.dumps([e.changes for e in entries], default=str)


def test_admins_filter_the_log_and_nobody_edits_or_deletes_it(alice, bob):
    from chat.gateway import tokens

    tokens.create(bob, "ci")
    entry = AuditEntry.objects.get()
    admin = _signed_in(alice)
    listing = admin.get("/admin/gateway/auditentry/", {"action": "token.create"})
    assert listing.status_code == 200 and list(listing.context["cl"].result_list) == [entry]
    assert admin.get("/admin/gateway/auditentry/", {"action": "quota.create"}).context["cl"].result_count == 0
    change = admin.post(f"/admin/gateway/auditentry/{entry.pk}/change/", {"action": "edited"})
    assert change.status_code == 403
    assert admin.post(f"/admin/gateway/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/gateway/auditentry/add/").status_code == 403
    assert _signed_in(bob).get("/admin/gateway/auditentry/").status_code == 302  # not staff: to the admin sign-in
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.get().action == "token.create"
