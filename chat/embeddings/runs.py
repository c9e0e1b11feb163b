"""One embedding run: the texts checked, the model resolved and authorised as a chat model is, the adapter called.

Resolving goes through `chat.requests.resolve_model` (enabled provider and
model, cached) and quotas through `chat.gateway.quotas.admit`, the two steps of
`plan()` an embedding request needs; the model must be tagged as an embedding
model. A provider's failure becomes an ApiError with the adapter's message.
"""
import time
from dataclasses import dataclass

from chat.errors import ApiError, Refused
from chat.gateway import quotas
from chat.requests import resolve_model
from providers import types
from providers.models import Provider, ProviderModel

MIN_TEXTS, MAX_TEXTS = 2, 50
MAX_TEXT_CHARS = 8000
PROVIDER_STATUS = {types.RATE_LIMITED: 429, types.TIMEOUT: 504}  # anything else a provider fails with: 502


def texts_of(raw) -> list[str]:
    """The texts of a request: 2 to 50 non-empty strings of at most MAX_TEXT_CHARS; a 400 saying what is wrong."""
    if not isinstance(raw, list) or not all(isinstance(text, str) for text in raw):
        raise ApiError(400, "texts must be a list of strings.")
    if not MIN_TEXTS <= len(raw) <= MAX_TEXTS:
        raise ApiError(400, f"Enter {MIN_TEXTS} to {MAX_TEXTS} texts (got {len(raw)}).")
    for number, text in enumerate(raw, 1):
        if not text.strip():
            raise ApiError(400, f"Text {number} is empty.")
        if len(text) > MAX_TEXT_CHARS:
            raise ApiError(400, f"Text {number} is {len(text)} characters long; the limit is {MAX_TEXT_CHARS}.")
    return raw


@dataclass
class Target:
    """An embedding model a user may call now."""

    provider: Provider
    row: ProviderModel

    @property
    def model(self) -> str:
        return self.row.model_id

    def cost(self, tokens: int | None) -> float | None:
        return self.row.input_cost(tokens)


def target(provider_slug, model_id) -> Target:
    """The enabled embedding model named; Refused (404, 403, 400) otherwise."""
    if not isinstance(provider_slug, str) or not isinstance(model_id, str) or not model_id:
        raise Refused("bad_request", "Pick a provider and an embedding model.")
    provider, row, model_id = resolve_model(provider_slug, model_id)
    if row is None or row.purpose != ProviderModel.EMBEDDING:
        raise Refused("bad_request", f"{model_id} of {provider.name} is not an embedding model "
                                     "(an admin tags models on the provider's page).")
    return Target(provider, row)


def admitted(user, targets: list[Target]) -> list[Target]:
    """The targets, once one request each is counted against the user's quotas (QuotaExceeded otherwise)."""
    quotas.admit(user, len(targets))
    return targets


async def run(target: Target, texts: list[str]) -> dict:
    """The model's vectors for `texts` and the facts of the call: dimensions, tokens, latency and cost."""
    adapter = target.provider.adapter(target.row)
    started = time.perf_counter()
    try:
        result = await adapter.embed(types.EmbeddingRequest(model=target.model, texts=tuple(texts)))
    except types.ProviderError as error:
        raise ApiError(PROVIDER_STATUS.get(error.code, 502), error.message) from None
    latency = (time.perf_counter() - started) * 1000
    return {"provider": target.provider.slug, "provider_name": target.provider.name, "model": target.model,
            "label": f"{target.provider.name} · {target.row}", "dimensions": len(result.vectors[0]),
            "tokens": result.prompt_tokens, "latency_ms": round(latency, 1), "cost": target.cost(result.prompt_tokens),
            "vectors": result.vectors}
