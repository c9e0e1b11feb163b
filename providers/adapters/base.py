"""What every adapter offers; shared behaviour that is not wire-specific."""
import hashlib
import json
import time
from typing import AsyncIterator

from providers.config import ProviderConfig
from providers.streaming import collect
from providers.types import Capabilities, ChatRequest, ChatResult, HealthResult, ModelInfo, ProviderError, StreamEvent


def arguments_object(arguments: str) -> dict:
    """A tool call's JSON text as the object that APIs taking parsed arguments want."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {"_raw": arguments}
    return value if isinstance(value, dict) else {"value": value}


def synthesized_id(*parts) -> str:
    """A stable id for a tool call sent without one: the same call always gets the same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"call_{digest[:24]}"


class Adapter:
    """Turns neutral ChatRequests into HTTP and the provider's replies into neutral events."""

    default_capabilities = Capabilities()

    def __init__(self, config: ProviderConfig):
        self.config = config

    def url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}{path}"

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        raise NotImplementedError

    async def chat(self, request: ChatRequest) -> ChatResult:
        """A whole reply; adapters with a non-streaming endpoint override this."""
        return await collect(self.stream_chat(request))

    def structured_fallback(self, request: ChatRequest) -> str | None:
        """How this adapter emulates a structured reply it cannot ask for natively, or None.

        The chat layer can show it ("forced tool 'respond' for json_schema"); the reply
        still arrives as JSON text.
        """
        return None

    async def list_models(self) -> list[ModelInfo]:
        raise NotImplementedError

    async def health_check(self) -> HealthResult:
        """Lists models as the cheapest authenticated request."""
        started = time.perf_counter()
        try:
            models = await self.list_models()
        except ProviderError as error:
            elapsed = (time.perf_counter() - started) * 1000
            return HealthResult(ok=False, latency_ms=elapsed, status=error.status, error=error.message)
        elapsed = (time.perf_counter() - started) * 1000
        return HealthResult(ok=True, latency_ms=elapsed, status=200, models=len(models))
