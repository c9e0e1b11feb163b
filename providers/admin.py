"""The admin for providers: write-only keys, presets, model discovery, health checks."""
from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from providers.models import CAPABILITY_FIELDS, Provider, ProviderModel
from providers.presets import all_presets, get_preset, provider_values
from providers.services import check_health, describe_health, refresh_models
from providers.types import ProviderError


class ProviderForm(forms.ModelForm):
    """A provider form whose key can be replaced or cleared but never read back."""

    api_key = forms.CharField(
        required=False, strip=True, widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted. Leave blank to keep the current key.",
    )
    clear_api_key = forms.BooleanField(required=False, label="Clear the stored key")
    base_url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = Provider
        exclude = ["api_key_encrypted", "api_key_last4"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("api_key") and cleaned.get("clear_api_key"):
            raise forms.ValidationError("Either enter a new key or clear the stored one, not both.")
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("clear_api_key"):
            self.instance.set_api_key(None)
        elif self.cleaned_data.get("api_key"):
            self.instance.set_api_key(self.cleaned_data["api_key"])
        return super().save(commit)


class ProviderModelInline(admin.TabularInline):
    model = ProviderModel
    extra = 0
    fields = ["model_id", "display_name", "purpose", "enabled", "context_window", "max_output_tokens",
              "input_price_per_mtok", "output_price_per_mtok", "supports_tools", "supports_parallel_tool_calls",
              "supports_json_object", "supports_json_schema", "supports_reasoning", "supports_vision",
              "supports_completions",
              "supports_image_generation", "price_per_image", "discovered"]
    readonly_fields = ["discovered"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = ["name", "slug", "kind", "base_url", "key_hint", "enabled", "model_count"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "slug", "base_url"]
    readonly_fields = ["key_hint"]
    inlines = [ProviderModelInline]
    actions = ["fetch_models", "health_check"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "base_url", "default_model", "enabled", "preset"]}),
        ("Key", {"fields": ["key_hint", "api_key", "clear_api_key", "api_key_env"]}),
        ("Capabilities", {"fields": list(CAPABILITY_FIELDS.values())}),
        ("Connection", {"fields": ["timeout_seconds", "idle_timeout_seconds", "max_retries", "extra_headers",
                                   "options", "notes"]}),
    ]

    @admin.display(description="Key")
    def key_hint(self, obj):
        return obj.key_hint() if obj and obj.pk else "none"

    @admin.display(description="Models")
    def model_count(self, obj):
        return obj.provider_models.count()

    def get_changeform_initial_data(self, request):
        """`?preset=groq` on the add page fills the form from that preset."""
        initial = super().get_changeform_initial_data(request)
        slug = request.GET.get("preset")
        if slug:
            try:
                preset = get_preset(slug)
            except ValueError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                initial.update(provider_values(preset), slug=preset["slug"])
        return initial

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "presets": all_presets()}
        return super().add_view(request, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "presets": all_presets()}
        return super().changelist_view(request, extra_context)

    def save_related(self, request, form, formsets, change):
        """After a save, the provider's models are discovered; the admin is told how that went."""
        super().save_related(request, form, formsets, change)
        provider = form.instance
        if provider.enabled:
            self._discover(request, provider, failed="saved, but model discovery failed")

    def _discover(self, request, provider: Provider, failed: str = "model discovery failed") -> None:
        try:
            rows = refresh_models(provider)
        except ProviderError as error:
            self.message_user(request, f"{provider.name}: {failed}: {error.message}", messages.ERROR)
        else:
            self.message_user(request, f"{provider.name}: {len(rows)} models fetched.", messages.SUCCESS)

    def _check(self, request, provider: Provider) -> None:
        result = check_health(provider)
        self.message_user(request, describe_health(provider, result), messages.SUCCESS if result.ok else messages.ERROR)

    # The change page's buttons -------------------------------------------------------------

    def get_urls(self):
        own = [path("<int:object_id>/check/", self._button(self._check), name="providers_provider_check"),
               path("<int:object_id>/fetch-models/", self._button(self._discover),
                    name="providers_provider_fetch_models")]
        return own + super().get_urls()

    def _button(self, run):
        @require_POST
        def view(request, object_id: int):
            provider = get_object_or_404(Provider, pk=object_id)
            if not self.has_change_permission(request, provider):
                return HttpResponseRedirect(reverse("admin:login"))
            run(request, provider)
            return HttpResponseRedirect(reverse("admin:providers_provider_change", args=[provider.pk]))

        return self.admin_site.admin_view(view)

    # Bulk actions ---------------------------------------------------------------------------

    @admin.action(description="Fetch models")
    def fetch_models(self, request, queryset):
        for provider in queryset:
            self._discover(request, provider)

    @admin.action(description="Health check")
    def health_check(self, request, queryset):
        for provider in queryset:
            self._check(request, provider)


@admin.register(ProviderModel)
class ProviderModelAdmin(admin.ModelAdmin):
    list_display = ["model_id", "provider", "purpose", "enabled", "context_window", "input_price_per_mtok",
                    "output_price_per_mtok", "discovered"]
    list_filter = ["provider", "purpose", "enabled", "discovered"]
    search_fields = ["model_id", "display_name"]
    list_select_related = ["provider"]
