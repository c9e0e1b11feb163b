"""Providers an admin registers once, and the models each one offers."""
from dataclasses import replace

from django.conf import settings
from django.db import models

from providers import crypto, registry
from providers.config import ProviderConfig
from providers.secrets import Secret
from providers.types import Capabilities

CAPABILITY_FIELDS = {
    "streaming": "supports_streaming",
    "tools": "supports_tools",
    "tool_streaming": "supports_tool_streaming",
    "parallel_tool_calls": "supports_parallel_tool_calls",
    "tool_choice": "supports_tool_choice",
    "json_object": "supports_json_object",
    "json_schema": "supports_json_schema",
    "stream_usage": "supports_stream_usage",
    "reasoning": "supports_reasoning",
    "vision": "supports_vision",
    "completions": "supports_completions",
    "image_generation": "supports_image_generation",
}


def default_idle_timeout() -> float:
    """A new provider's idle timeout: PLAYGROUND_PROVIDER_IDLE_TIMEOUT, 60 s unless set."""
    return float(getattr(settings, "PLAYGROUND_PROVIDER_IDLE_TIMEOUT", 60.0))


class Provider(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=registry.kind_choices, default="openai")
    preset = models.CharField(max_length=40, blank=True, help_text="The preset it was made from, if any.")
    base_url = models.URLField(max_length=500)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    api_key_last4 = models.CharField(max_length=4, blank=True, editable=False)
    api_key_env = models.CharField(
        max_length=100, blank=True, help_text="Read the key from this environment variable instead of storing it."
    )
    extra_headers = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="Kind-specific settings and quirks.")
    default_model = models.CharField(max_length=200, blank=True)
    timeout_seconds = models.FloatField(
        default=180.0, help_text="The longest wait for a reply to start, retries included.")
    idle_timeout_seconds = models.FloatField(
        default=default_idle_timeout, help_text="The longest silence between two pieces of a reply.")
    max_retries = models.PositiveSmallIntegerField(default=3)
    enabled = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    supports_streaming = models.BooleanField(default=True)
    supports_tools = models.BooleanField(default=True)
    supports_tool_streaming = models.BooleanField(default=True)
    supports_parallel_tool_calls = models.BooleanField(default=True)
    supports_tool_choice = models.BooleanField(default=True, help_text="Honours tool_choice required or a named function.")
    supports_json_object = models.BooleanField(default=True)
    supports_json_schema = models.BooleanField(default=True)
    supports_stream_usage = models.BooleanField(
        default=True, help_text="Accepts stream_options.include_usage: streamed replies report their tokens.")
    supports_reasoning = models.BooleanField(
        default=False, help_text="Takes reasoning controls (effort, thinking budget, thinking on/off). "
                                 "Reasoning a model sends is shown either way.")
    supports_vision = models.BooleanField(default=True, help_text="Takes images in messages.")
    supports_completions = models.BooleanField(
        default=False, help_text="Serves text completion (/v1/completions: a raw prompt continued).")
    supports_image_generation = models.BooleanField(
        default=False, help_text="Makes images from a prompt (POST /images/generations).")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Provider {self.slug} ({self.kind})>"

    # Keys ---------------------------------------------------------------------

    def set_api_key(self, plaintext: str | None) -> None:
        """Store a key encrypted (empty or None removes it)."""
        plaintext = (plaintext or "").strip()
        self.api_key_encrypted = crypto.encrypt(plaintext) if plaintext else ""
        self.api_key_last4 = plaintext[-4:] if len(plaintext) >= 12 else ""

    def key_hint(self) -> str:
        if self.api_key_encrypted:
            return f"••••{self.api_key_last4}"
        if self.api_key_env:
            return f"from ${self.api_key_env}"
        return "none"

    def secret(self) -> Secret | None:
        if self.api_key_encrypted:
            return Secret.encrypted(self.api_key_encrypted)
        if self.api_key_env:
            return Secret.from_env(self.api_key_env)
        return None

    # For adapters -------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        return Capabilities(**{cap: getattr(self, f) for cap, f in CAPABILITY_FIELDS.items()})

    def config(self, capabilities: Capabilities | None = None) -> ProviderConfig:
        return ProviderConfig(
            kind=self.kind, name=self.name, slug=self.slug, base_url=self.base_url, api_key=self.secret(),
            extra_headers=dict(self.extra_headers or {}), timeout=self.timeout_seconds,
            idle_timeout=self.idle_timeout_seconds, max_retries=self.max_retries,
            capabilities=capabilities or self.capabilities(),
            options=dict(self.options or {}), preset=self.preset,
        )

    def adapter(self, model: "ProviderModel | None" = None):
        caps = model.capabilities() if model else self.capabilities()
        return registry.get_adapter(self.config(caps))


class ProviderModel(models.Model):
    CHAT, EMBEDDING = "chat", "embedding"
    PURPOSES = [(CHAT, "Chat"), (EMBEDDING, "Embedding")]

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="provider_models")
    model_id = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(
        max_length=10, choices=PURPOSES, default=CHAT,
        help_text="Chat models are offered in the playground, embedding models on the Embeddings page. "
                  "Set by “Fetch models” where the provider says; correct it here.")
    enabled = models.BooleanField(default=True)
    context_window = models.PositiveIntegerField(null=True, blank=True)
    max_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    input_price_per_mtok = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True, help_text="USD per million input tokens."
    )
    output_price_per_mtok = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True, help_text="USD per million output tokens."
    )
    supports_tools = models.BooleanField(null=True, blank=True, help_text="Empty: as the provider.")
    supports_parallel_tool_calls = models.BooleanField(null=True, blank=True)
    supports_json_object = models.BooleanField(null=True, blank=True)
    supports_json_schema = models.BooleanField(null=True, blank=True)
    supports_reasoning = models.BooleanField(null=True, blank=True, help_text="Empty: as the provider.")
    supports_vision = models.BooleanField(null=True, blank=True, help_text="Takes images. Empty: as the provider.")
    supports_completions = models.BooleanField(null=True, blank=True,
                                               help_text="Serves text completion. Empty: as the provider.")
    supports_image_generation = models.BooleanField(null=True, blank=True,
                                                    help_text="Makes images. Empty: as the provider.")
    price_per_image = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True,
                                          help_text="USD per generated image.")
    discovered = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider__name", "model_id"]
        constraints = [models.UniqueConstraint(fields=["provider", "model_id"], name="unique_model_per_provider")]

    def __str__(self) -> str:
        return self.display_name or self.model_id

    def capabilities(self) -> Capabilities:
        base = self.provider.capabilities()
        overrides = {
            cap: getattr(self, field)
            for cap, field in CAPABILITY_FIELDS.items()
            if hasattr(self, field) and getattr(self, field) is not None
        }
        return replace(base, **overrides)

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        """USD for a reply, or None where no price is known."""
        if self.input_price_per_mtok is None or self.output_price_per_mtok is None:
            return None
        if prompt_tokens is None and completion_tokens is None:
            return None
        cost = (prompt_tokens or 0) * float(self.input_price_per_mtok) + (completion_tokens or 0) * float(
            self.output_price_per_mtok
        )
        return round(cost / 1_000_000, 8)

    def input_cost(self, tokens: int | None) -> float | None:
        """USD for `tokens` of input alone (an embedding request), or None where the price or count is unknown."""
        if self.input_price_per_mtok is None or tokens is None:
            return None
        return round(tokens * float(self.input_price_per_mtok) / 1_000_000, 8)

    def image_cost(self, images: int) -> float | None:
        """USD for `images` generated images, or None where no price is known."""
        return None if self.price_per_image is None else round(images * float(self.price_per_image), 8)


def guessed_purpose(model_id: str) -> str:
    """A model's purpose where its provider does not say: embedding models are named so ("text-embedding-3-small")."""
    return ProviderModel.EMBEDDING if "embed" in model_id.lower() else ProviderModel.CHAT
