"""The admin for MCP servers: write-only auth headers, stdio for admins only, tool discovery on save."""
from django import forms
from django.contrib import admin, messages

from chat.mcp.discovery import discover
from chat.models import McpServer


def _parse_headers(text: str) -> dict[str, str]:
    headers = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or any(c in name for c in " \t"):
            raise forms.ValidationError(f"Line {number} is not 'Name: value'.")
        headers[name.strip()] = value.strip()
    return headers


class McpServerForm(forms.ModelForm):
    """A server form whose headers can be replaced or cleared but never read back."""

    headers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="One 'Name: value' per line (e.g. Authorization: Bearer …). Stored encrypted, never shown again; "
                  "leave blank to keep the current ones.")
    clear_headers = forms.BooleanField(required=False, label="Clear the stored headers")
    url = forms.URLField(max_length=500, required=False, assume_scheme="https",
                         help_text="Streamable HTTP: the endpoint, e.g. https://host/mcp.")

    class Meta:
        model = McpServer
        exclude = ["headers_encrypted", "header_names", "tools", "discovered", "discovery_error"]

    def clean_headers(self) -> dict[str, str]:
        return _parse_headers(self.cleaned_data.get("headers") or "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("headers") and cleaned.get("clear_headers"):
            raise forms.ValidationError("Either enter new headers or clear the stored ones, not both.")
        transport = cleaned.get("transport")
        if transport == McpServer.HTTP and not cleaned.get("url"):
            self.add_error("url", "A streamable HTTP server needs its URL.")
        if transport == McpServer.STDIO and not cleaned.get("command"):
            self.add_error("command", "A stdio server needs the command to run.")
        args = cleaned.get("args")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            self.add_error("args", "A JSON list of strings, e.g. [\"--root\", \"/srv/docs\"].")
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("clear_headers"):
            self.instance.set_headers(None)
        elif self.cleaned_data.get("headers"):
            self.instance.set_headers(self.cleaned_data["headers"])
        return super().save(commit)


@admin.register(McpServer)
class McpServerAdmin(admin.ModelAdmin):
    form = McpServerForm
    list_display = ["name", "slug", "transport", "enabled", "tool_count", "discovered", "discovery_error"]
    readonly_fields = ["header_hint", "tool_list", "discovered", "discovery_error"]
    actions = ["discover_tools"]
    filter_horizontal = ["always_allowed_by"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "transport", "url", "command", "args", "enabled"]}),
        ("Auth headers", {"fields": ["header_hint", "headers", "clear_headers"]}),
        ("Tools", {"fields": ["tool_list", "discovered", "discovery_error", "always_allowed_by"]}),
    ]

    def has_module_permission(self, request):
        return request.user.is_superuser  # a stdio server runs a command on this machine

    has_view_permission = has_add_permission = has_change_permission = has_delete_permission = \
        lambda self, request, obj=None: request.user.is_superuser

    @admin.display(description="Stored headers")
    def header_hint(self, obj):
        return obj.header_names if obj and obj.header_names else "none"

    @admin.display(description="Tools")
    def tool_count(self, obj):
        return len(obj.tools)

    @admin.display(description="Discovered tools")
    def tool_list(self, obj):
        return ", ".join(t["name"] for t in obj.tools) if obj and obj.tools else "none yet"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.instance.enabled:
            self._discover(request, form.instance)

    def _discover(self, request, server: McpServer) -> None:
        error = discover(server)
        if error:
            self.message_user(request, f"{server.name}: tool discovery failed: {error}", messages.ERROR)
        else:
            self.message_user(request, f"{server.name}: {len(server.tools)} tools discovered.", messages.SUCCESS)

    @admin.action(description="Discover tools")
    def discover_tools(self, request, queryset):
        for server in queryset:
            self._discover(request, server)
