"""Neutral types shared by every adapter.

They describe a chat the way the playground thinks of it, not the way any one
wire format spells it: adapters translate to and from these.
"""
from __future__ import annotations

import base64

from dataclasses import dataclass, field
from typing import Literal, Union

Role = Literal["system", "user", "assistant", "tool"]
# Finish reasons, normalised: "stop", "length", "tool_calls", "content_filter", "error", "cancelled".


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text exactly as the model produced it
    extra: dict | None = None  # opaque provider data that must be sent back (Gemini's thoughtSignature)


@dataclass(frozen=True, slots=True)
class Image:
    """An image sent with a message: its content type and bytes (each adapter encodes it its own way)."""

    media_type: str  # image/png, image/jpeg, image/webp or image/gif
    data: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64}"


@dataclass(slots=True)
class Message:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None  # on tool messages: the function answered (Gemini needs it)
    reasoning: str = ""  # on assistant messages: the model's reasoning, apart from its answer
    reasoning_extra: dict | None = None  # opaque data some APIs need back with it (Anthropic's signature)
    images: tuple[Image, ...] = ()  # on user messages


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str = ""
    parameters: dict = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True, slots=True)
class ToolChoice:
    mode: Literal["auto", "none", "required", "function"]
    name: str | None = None  # with mode "function"


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    type: Literal["text", "json_object", "json_schema"]
    name: str = "response"
    schema: dict | None = None
    strict: bool = False


@dataclass(frozen=True, slots=True)
class Params:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    # Reasoning controls: each adapter sends those its API has, and only to a model with the reasoning capability.
    reasoning_effort: str | None = None  # one of REASONING_EFFORTS
    thinking_budget: int | None = None  # tokens the model may spend thinking
    think: bool | None = None  # thinking on or off
    # Text completion only (a request with a `prompt`): top alternatives per token, and the prompt sent back.
    logprobs: int | None = None  # 0: each token's own logprob; N: and its N likeliest alternatives
    echo: bool | None = None


REASONING_EFFORTS = ("minimal", "low", "medium", "high")


@dataclass(slots=True)
class ChatRequest:
    model: str
    messages: list[Message]
    params: Params = field(default_factory=Params)
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    prompt: str | None = None  # a text completion: the raw prompt, continued as is (`messages` unused)

    @property
    def completion(self) -> bool:
        return self.prompt is not None


@dataclass(frozen=True, slots=True)
class Capabilities:
    streaming: bool = True
    tools: bool = True
    tool_streaming: bool = True
    parallel_tool_calls: bool = True
    tool_choice: bool = True  # honours "required" and a named function
    json_object: bool = True
    json_schema: bool = True
    stream_usage: bool = True  # the stream can report usage at its end
    reasoning: bool = False  # takes reasoning controls (effort, thinking budget, thinking on/off)
    vision: bool = True  # takes images in user messages
    completions: bool = False  # serves text completion (a raw prompt continued: /v1/completions)
    image_generation: bool = False  # makes images from a prompt (POST /images/generations)


# Stream events ---------------------------------------------------------------


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ReasoningDelta:
    """More of the model's reasoning (thinking), kept apart from its answer."""

    text: str
    extra: dict | None = None  # opaque provider data to send back with the reasoning (merged across deltas)


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    id: str | None = None
    name: str | None = None
    arguments_delta: str = ""
    extra: dict | None = None


@dataclass(slots=True)
class Logprobs:
    """Log probabilities of the tokens just streamed (text completion), neutral:
    `[{"token", "logprob", "top": [{"token", "logprob"}, ...]}, ...]`, `logprob` None where there is none
    (the first echoed token)."""

    tokens: list[dict]


@dataclass(slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    reasoning_tokens: int | None = None  # of completion_tokens, where the provider says

    def as_dict(self) -> dict:
        total = self.total_tokens
        if total is None and self.prompt_tokens is not None and self.completion_tokens is not None:
            total = self.prompt_tokens + self.completion_tokens
        data = {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens, "total_tokens": total}
        if self.reasoning_tokens is not None:
            data["reasoning_tokens"] = self.reasoning_tokens
        return data


@dataclass(slots=True)
class Finish:
    reason: str


StreamEvent = Union[TextDelta, ReasoningDelta, ToolCallDelta, Logprobs, Usage, Finish]


@dataclass(slots=True)
class ChatResult:
    content: str
    tool_calls: list[ToolCall]
    finish_reason: str
    usage: Usage | None = None
    reasoning: str = ""
    reasoning_extra: dict | None = None
    logprobs: list[dict] | None = None  # text completion, where asked for and the server returns them


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    display_name: str = ""
    context_window: int | None = None
    reasoning: bool | None = None  # whether the model thinks, where the provider says
    vision: bool | None = None  # whether the model takes images, where the provider says
    purpose: str | None = None  # "chat" or "embedding", where the provider says
    completions: bool | None = None  # whether the model serves text completion, where the provider says
    image_generation: bool | None = None  # whether the model makes images, where the provider (or its id) says


# Embeddings --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    model: str
    texts: tuple[str, ...]
    dimensions: int | None = None  # shorter vectors, where the model can make them (OpenAI's `dimensions`)


@dataclass(slots=True)
class EmbeddingResult:
    vectors: list[list[float]]  # one per text, in the order sent
    prompt_tokens: int | None = None  # where the provider reports it


@dataclass(frozen=True, slots=True)
class ImageGenerationRequest:
    """Images asked for from a prompt."""

    model: str
    prompt: str
    n: int = 1
    size: str = "1024x1024"  # WIDTHxHEIGHT


@dataclass(frozen=True, slots=True)
class ImageGenerationResult:
    """The images made, as bytes (the chat layer validates and stores them like uploads)."""

    images: tuple[Image, ...]
    revised_prompt: str = ""  # the prompt as the provider rewrote it, where it says


@dataclass(frozen=True, slots=True)
class HealthResult:
    ok: bool
    latency_ms: float
    status: int | None = None
    error: str | None = None
    models: int | None = None


# Errors ------------------------------------------------------------------------

PROVIDER_AUTH = "provider_auth"
NOT_FOUND = "not_found"
RATE_LIMITED = "rate_limited"
TIMEOUT = "timeout"
UNAVAILABLE = "unavailable"
BAD_REQUEST = "bad_request"
PROVIDER_ERROR = "provider_error"


class ProviderError(Exception):
    """The one error that crosses the adapter boundary. Its message is for a person."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool = False,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"ProviderError({self.code!r}, {self.message!r}, status={self.status})"

    def as_frame(self) -> dict:
        frame = {"code": self.code, "message": self.message}
        if self.status is not None:
            frame["status"] = self.status
        if self.retry_after is not None:
            frame["retry_after"] = self.retry_after
        return frame
