"""One embedding run: the texts checked, the model resolved and authorised as a chat model is, the adapter called.

Used by the Embeddings page and by the gateway's POST /v1/embeddings alike.
Resolving goes through `chat.requests.resolve_model` (enabled provider and
model, cached) and quotas through `chat.gateway.quotas.admit`, the two steps of
`plan()` an embedding request needs; the model must be tagged as an embedding
model. Each run is recorded as an ApiRequest (`chat.gateway.usage.Recorder`,
kind "embeddings") with the provider's token count and the input price, so
quotas and the usage page count it. A provider's failure becomes the caller's
error (an ApiError with the adapter's message on the page).
"""
import time
from collections.abc import Callable
from dataclasses import dataclass

from chat.errors import ApiError, Refused
from chat.gateway import quotas, usage
from chat.gateway.models import ApiRequest
from chat.requests import resolve_model
from providers import types
from providers.models import Provider, ProviderModel

MIN_TEXTS, MAX_TEXTS = 2, 50
MAX_TEXT_CHARS = 8000
PROVIDER_STATUS = {types.RATE_LIMITED: 429, types.TIMEOUT: 504}  # anything else a provider fails with: 502


def texts_of(raw, least: int = MIN_TEXTS, most: int = MAX_TEXTS, longest: int = MAX_TEXT_CHARS) -> list[str]:
    """The texts of a request: `least` to `most` non-empty strings of at most `longest` characters (the page's
    limits by default); a 400 saying what is wrong."""
    if not isinstance(raw, list) or not all(isinstance(text, str) for text in raw):
        raise ApiError(400, "texts must be a list of strings.")
    if not least <= len(raw) <= most:
        raise ApiError(400, f"Enter {least} to {most} texts (got {len(raw)}).")
    for number, text in enumerate(raw, 1):
        if not text.strip():
            raise ApiError(400, f"Text {number} is empty.")
        if len(text) > longest:
            raise ApiError(400, f"Text {number} is {len(text)} characters long; the limit is {longest}.")
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


def admitted(user, named: list[tuple], token=None) -> list[Target]:
    """The embedding models `named` ([(provider slug, model id)], two to compare), each allowed for `token` when
    one is given, resolved, and counted as one request each against the user's quotas; Refused otherwise
    (QuotaExceeded for a quota)."""
    for provider, model in named:
        if token is not None and not token.allows(provider, model):
            raise Refused("model_not_allowed", f"This token may not use {provider}/{model}.")
    targets = [target(provider, model) for provider, model in named]
    if len(targets) == 2 and targets[0].row.pk == targets[1].row.pk:
        raise Refused("bad_request", "Pick two different models to compare.")
    quotas.admit(user, len(targets))
    return targets


def recorder(user, token=None) -> usage.Recorder:
    """The usage record of one run, started now (`token`: a gateway request; None: the page's)."""
    return usage.Recorder(token, time.perf_counter(), user=user, kind=ApiRequest.EMBEDDINGS)


def page_failure(error: types.ProviderError) -> Exception:
    return ApiError(PROVIDER_STATUS.get(error.code, 502), error.message)


async def run(target: Target, texts: list[str], record: usage.Recorder, dimensions: int | None = None,
              failure: Callable[[types.ProviderError], Exception] = page_failure) -> dict:
    """The model's vectors for `texts` and the facts of the call: dimensions, tokens, latency and cost; recorded
    once either way. A provider's error is raised as `failure(error)` (which has the `status` the caller gets)."""
    record.aimed(target.provider.slug, target.model)
    adapter = target.provider.adapter(target.row)
    started = time.perf_counter()
    try:
        result = await adapter.embed(types.EmbeddingRequest(model=target.model, texts=tuple(texts), dimensions=dimensions))
    except types.ProviderError as error:
        problem = failure(error)
        await record.afinished(problem.status, {"usage": None, "cost": None}, error.code)
        raise problem from None
    latency = (time.perf_counter() - started) * 1000
    tokens = result.prompt_tokens
    await record.afinished(200, {"usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                                 "cost": target.cost(tokens)})
    return {"provider": target.provider.slug, "provider_name": target.provider.name, "model": target.model,
            "label": f"{target.provider.name} · {target.row}", "dimensions": len(result.vectors[0]),
            "tokens": result.prompt_tokens, "latency_ms": round(latency, 1), "cost": target.cost(result.prompt_tokens),
            "vectors": result.vectors}
