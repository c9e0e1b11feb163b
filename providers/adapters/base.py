"""What every adapter offers; shared behaviour that is not wire-specific.

The chat layer calls `stream_chat` and `chat`. Both are defined here, once:
they run the adapter's own `stream_reply` / `whole_reply` and scrub the
provider's key from what comes back, so no caller can forget to.
"""
import hashlib
import json
import time
from typing import AsyncIterator

from providers import samples
from providers.config import ProviderConfig
from providers.scrubbing import scrub, scrub_events, scrub_result
from providers.streaming import collect
from providers.types import (
    BAD_REQUEST,
    PROVIDER_ERROR,
    Capabilities,
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    HealthResult,
    ImageGenerationRequest,
    ImageGenerationResult,
    ModelInfo,
    ProviderError,
    StreamEvent,
)


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


async def stream_of(values):
    """Values as an async stream: a whole reply read by the same code as a streamed one."""
    for value in values:
        yield value


class Adapter:
    """Turns neutral ChatRequests into HTTP and the provider's replies into neutral events."""

    default_capabilities = Capabilities()
    # The API reports a streamed reply's usage only when asked (stream_options); discovery probes whether it does.
    stream_usage_optional = False
    shortens_embeddings = False  # the embeddings API takes `dimensions` (EmbeddingRequest.dimensions)
    # The API has a text completion endpoint (a raw prompt continued); the model's `completions` capability gates it.
    serves_completions = False
    completion_logprobs = False  # and returns the tokens' logprobs with it, where asked

    def __init__(self, config: ProviderConfig):
        self.config = config

    def url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}{path}"

    # The public calls ---------------------------------------------------------------

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """The reply as neutral events; raises ProviderError, after the events that arrived."""
        events = self.stream_completion(request) if request.completion else self.stream_reply(request)
        return scrub_events(events, self.config.key())

    async def chat(self, request: ChatRequest) -> ChatResult:
        """The whole reply, sent without streaming; raises ProviderError."""
        result = await (self.whole_completion(request) if request.completion else self.whole_reply(request))
        return scrub_result(result, self.config.key())

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        """One vector per text, all of one length; raises ProviderError (errors come scrubbed from providers/http.py)."""
        if request.dimensions is not None and not self.shortens_embeddings:
            raise ProviderError(BAD_REQUEST, f"{self.config.name} ({self.config.kind}) cannot shorten embeddings: "
                                             "leave out dimensions.")
        result = await self.embed_texts(request)
        if len(result.vectors) != len(request.texts):
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} sent {len(result.vectors)} embeddings "
                                                f"for {len(request.texts)} texts.")
        if len({len(vector) for vector in result.vectors}) > 1:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} sent embeddings of different lengths.")
        if request.dimensions is not None and result.vectors and len(result.vectors[0]) != request.dimensions:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} sent {len(result.vectors[0])} dimensions "
                                                f"for the {request.dimensions} asked.")
        return result

    async def generate_images(self, request: ImageGenerationRequest, max_image_bytes: int) -> ImageGenerationResult:
        """Images made from a prompt (each at most `max_image_bytes`); raises ProviderError."""
        result = await self.draw(request, max_image_bytes)
        return ImageGenerationResult(result.images, scrub(result.revised_prompt, self.config))

    # What each wire format implements -------------------------------------------------

    async def embed_texts(self, request: EmbeddingRequest) -> EmbeddingResult:
        """Adapters whose API has an embeddings endpoint override this."""
        raise ProviderError(BAD_REQUEST, f"{self.config.name} ({self.config.kind}) has no embeddings API "
                                         "the playground speaks.")

    async def draw(self, request: ImageGenerationRequest, max_image_bytes: int) -> ImageGenerationResult:
        """Adapters whose API makes images override this."""
        raise ProviderError(BAD_REQUEST, f"The {self.config.name} API does not make images here; pick a model of an "
                                         "OpenAI-compatible provider that does.")

    def stream_reply(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        raise NotImplementedError

    async def whole_reply(self, request: ChatRequest) -> ChatResult:
        """Adapters with a non-streaming endpoint override this."""
        return await collect(self.stream_reply(request))

    async def stream_completion(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """A text completion (`request.prompt` continued) as events; adapters with `serves_completions` override."""
        raise self.no_completions()
        yield  # an async generator all the same

    async def whole_completion(self, request: ChatRequest) -> ChatResult:
        raise self.no_completions()

    def no_completions(self) -> ProviderError:
        return ProviderError(BAD_REQUEST, f"The {self.config.name} API has no text completion endpoint.")

    def completion_sample(self, request: ChatRequest) -> samples.Sample:
        raise self.no_completions()

    def reasoning_controls(self) -> tuple[str, ...]:
        """The reasoning Params this API can express (sent only for a model with the reasoning capability)."""
        return ()

    def structured_fallback(self, request: ChatRequest) -> str | None:
        """How this adapter emulates a structured reply it cannot ask for natively, or None.

        The chat layer can show it ("forced tool 'respond' for json_schema"); the reply
        still arrives as JSON text.
        """
        return None

    def request_sample(self, request: ChatRequest) -> samples.Sample:
        """The streamed request as sent on the wire (build it with a placeholder key)."""
        raise NotImplementedError

    def python_sample(self, sample: samples.Sample, env_var: str) -> str:
        """The request in Python: the official SDK of the API where one exists (httpx here)."""
        return samples.httpx_python(sample, env_var)

    def javascript_sample(self, sample: samples.Sample, env_var: str) -> str:
        """The request in JavaScript/TypeScript: the official SDK where one exists (fetch here)."""
        return samples.fetch_javascript(sample, env_var)

    def code_samples(self, request: ChatRequest, env_var: str) -> dict:
        """The request as curl, Python (SDK and raw httpx) and JavaScript, the key read from `env_var`
        (the adapter's key must be `$env_var`)."""
        sample = self.completion_sample(request) if request.completion else self.request_sample(request)
        return {"url": sample.url, "body": sample.body, "curl": samples.curl(sample),
                "python": self.python_sample(sample, env_var), "httpx": samples.httpx_python(sample, env_var),
                "javascript": self.javascript_sample(sample, env_var)}

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
