"""Synchronous provider operations shared by the admin and the command."""
from decimal import Decimal

from asgiref.sync import async_to_sync
from django.db import transaction

from providers.models import Provider, ProviderModel
from providers.presets import list_prices, reasoning_models
from providers.types import HealthResult


def refresh_models(provider: Provider) -> list[ProviderModel]:
    """Ask the provider for its models and upsert them (discovered=True).

    Raises ProviderError when the provider cannot be asked. Prices and
    overrides an admin set on existing rows are kept; a model without a price
    gets its preset's list price, where the preset knows one, and a model
    whose reasoning capability is unset gets what the provider or the preset says.
    """
    infos = async_to_sync(provider.adapter().list_models)()
    prices = list_prices(provider.preset) if provider.preset else {}
    reasoners = reasoning_models(provider.preset) if provider.preset else frozenset()
    rows = []
    with transaction.atomic():
        for info in infos:
            row, created = ProviderModel.objects.get_or_create(
                provider=provider, model_id=info.id,
                defaults={"display_name": info.display_name if info.display_name != info.id else "",
                          "context_window": info.context_window, "discovered": True},
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
            if changed:
                row.save(update_fields=changed)
            rows.append(row)
    return rows


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
