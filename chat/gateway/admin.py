"""Admin: quotas are set here; tokens and gateway requests are read (a token can be revoked, never shown)."""
from django.contrib import admin
from chat.gateway import tokens
from chat.gateway.models import ApiRequest, ApiToken, AuditEntry, Quota


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly):
    list_display = ["name", "user", "key_id", "created", "expires", "revoked", "last_used"]
    list_filter = ["revoked", "user"]
    search_fields = ["name", "user__username", "key_id"]
    exclude = ["hashed"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked__isnull=True):
            tokens.revoke(token)

    def has_change_permission(self, request, obj=None):  # the revoke action needs it; the form stays read-only
        return obj is None and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ApiToken._meta.fields if f.name != "hashed"]


@admin.register(ApiRequest)
class ApiRequestAdmin(ReadOnly):
    list_display = ["created", "user", "token", "kind", "provider", "model", "status", "total_tokens", "cost",
                    "latency_ms"]
    list_filter = ["kind", "status", "provider", "stream", "user"]
    date_hierarchy = "created"


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["__str__", "scope", "requests_per_minute", "tokens_per_day", "spend_per_month"]
    list_filter = ["scope"]
    autocomplete_fields = []


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    """Readable and filterable by admins; nobody adds, changes or deletes an entry here."""

    list_display = ["created", "actor_name", "address", "action", "target", "changed_fields"]
    list_filter = ["action", "target_type", "actor_name"]
    search_fields = ["target", "actor_name", "address", "action"]
    date_hierarchy = "created"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and request.user.is_superuser

    @admin.display(description="Changed")
    def changed_fields(self, entry):
        return ", ".join(entry.changes) or "—"
