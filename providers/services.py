"""Synchronous provider operations shared by the admin and the command."""
from dataclasses import replace
from decimal import Decimal

from asgiref.sync import async_to_sync
from django.db import transaction

from providers import registry
from providers.models import Provider, ProviderModel, guessed_purpose
from providers.presets import completion_models, list_prices, reasoning_models
from providers.streaming import collect
from providers.types import BAD_REQUEST, ChatRequest, HealthResult, Message, Params, ProviderError


def refresh_models(provider: Provider) -> list[ProviderModel]:
    """Ask the provider for its models and upsert them (discovered=True).

    Raises ProviderError when the provider cannot be asked. Prices and
    overrides an admin set on existing rows are kept; a model without a price
    gets its preset's list price, where the preset knows one, and a model
    whose reasoning capability is unset gets what the provider or the preset says (vision and image generation:
    what the provider says; text completion: what the provider or the preset says, where the provider as a
    whole does not serve it). A new model's purpose (chat or embedding) is what the provider says, else guessed
    from its name.
    """
    infos = async_to_sync(provider.adapter().list_models)()
    prices = list_prices(provider.preset) if provider.preset else {}
    reasoners = reasoning_models(provider.preset) if provider.preset else frozenset()
    completers = completion_models(provider.preset) if provider.preset else frozenset()
    rows = []
    with transaction.atomic():
        for info in infos:
            row, created = ProviderModel.objects.get_or_create(
                provider=provider, model_id=info.id,
                defaults={"display_name": info.display_name if info.display_name != info.id else "",
                          "context_window": info.context_window, "discovered": True,
                          "purpose": info.purpose or guessed_purpose(info.id)},
            )
            changed = []
            if not created and info.context_window and not row.context_window:
                row.context_window = info.context_window
                changed.append("context_window")
            price = prices.get(info.id.removeprefix("models/"))
            if price and row.input_price_per_mtok is None and row.output_price_per_mtok is None:
                row.input_price_per_mtok, row.output_price_per_mtok = (Decimal(str(p)) for p in price)
                changed += ["input_price_per_mtok", "output_price_per_mtok"]
            reasoning = info.reasoning if info.reasoning is not None else (info.id in reasoners or None)
            if reasoning is not None and row.supports_reasoning is None:
                row.supports_reasoning = reasoning
                changed.append("supports_reasoning")
            if info.vision is not None and row.supports_vision is None:
                row.supports_vision = info.vision
                changed.append("supports_vision")
            completes = info.completions if info.completions is not None else (info.id in completers or None)
            if completes is not None and row.supports_completions is None and completes != provider.supports_completions:
                row.supports_completions = completes
                changed.append("supports_completions")
            if info.image_generation is not None and row.supports_image_generation is None:
                row.supports_image_generation = info.image_generation
                changed.append("supports_image_generation")
            if changed:
                row.save(update_fields=changed)
            rows.append(row)
    detect_stream_usage(provider)
    return rows


PROBE_TIMEOUT = 15.0  # seconds: a local server still loading its model is not waited for


def probe_stream_usage(provider: Provider) -> bool | None:
    """Whether the provider's streamed replies report token usage when asked, found with a one-token request.

    None where the API always reports it, there is no model to ask, or the provider could not answer; False
    where it answers a streamed request without usage, or refuses `stream_options` altogether.
    """
    model = provider.default_model or provider.provider_models.values_list("model_id", flat=True).first()
    if not model or not registry.adapter_class(provider.kind).stream_usage_optional:
        return None
    asked = replace(provider.capabilities(), stream_usage=True)
    config = replace(provider.config(asked), timeout=PROBE_TIMEOUT, max_retries=0)
    request = ChatRequest(model=model, messages=[Message("user", "Reply with OK.")], params=Params(max_tokens=1))

    async def ask():
        return await collect(registry.get_adapter(config).stream_chat(request))

    try:
        result = async_to_sync(ask)()
    except ProviderError as error:
        return False if error.code == BAD_REQUEST else None
    return result.usage is not None


def detect_stream_usage(provider: Provider) -> None:
    """Discovery's last step: `supports_stream_usage` set to what the provider does (kept when unknown)."""
    found = probe_stream_usage(provider)
    if found is not None and found != provider.supports_stream_usage:
        provider.supports_stream_usage = found
        provider.save(update_fields=["supports_stream_usage"])


def check_health(provider: Provider) -> HealthResult:
    """One cheap authenticated request: status, latency and error, never raising."""
    return async_to_sync(provider.adapter().health_check)()


def describe_health(provider: Provider, result: HealthResult) -> str:
    """One line for a person."""
    status = result.status if result.status is not None else "no answer"
    if result.ok:
        models = f", {result.models} models" if result.models is not None else ""
        return f"{provider.name}: healthy (status {status}, {result.latency_ms:.0f} ms{models})."
    return f"{provider.name}: unhealthy (status {status}, {result.latency_ms:.0f} ms): {result.error}"
