"""Text completion in the OpenAI-compatible wire format: POST {base_url}/completions.

A raw prompt in, its continuation out (`choices[0].text`), streamed as SSE or
whole. Spoken by vLLM, llama.cpp, LM Studio, Ollama's /v1, Together, Fireworks,
OpenRouter and OpenAI's own instruct/base models (gpt-3.5-turbo-instruct,
davinci-002). Log probabilities come as parallel lists: `logprobs.tokens`,
`token_logprobs` and `top_logprobs` (one {token: logprob} object per token),
turned here into the neutral `Logprobs` event.
"""
import json
from typing import AsyncIterator

from providers import http
from providers.shape import Fields
from providers.types import PROVIDER_ERROR, ChatRequest, ChatResult, Finish, Logprobs, ProviderError, StreamEvent, \
    TextDelta, Usage

FINISH_REASONS = {"stop": "stop", "length": "length", "eos": "stop", "content_filter": "content_filter"}


def body(adapter, request: ChatRequest, stream: bool) -> dict:
    """The /completions body: the prompt as is, the sampling params, logprobs (top N) and echo where asked."""
    wire: dict = {"prompt": request.prompt, **adapter.sampled_body(request, stream)}
    p = request.params
    if p.logprobs is not None:
        wire["logprobs"] = p.logprobs
    if p.echo:
        wire["echo"] = True
    return wire


def logprob_tokens(raw: Fields) -> list[dict]:
    """The neutral per-token list from a choice's `logprobs` object (its lists may be absent or partly null)."""
    tokens = raw.value("tokens") or []
    chosen = raw.value("token_logprobs") or []
    tops = raw.value("top_logprobs") or []
    if not isinstance(tokens, list) or not isinstance(chosen, list) or not isinstance(tops, list):
        raise raw.wrong("tokens", tokens, "parallel lists of tokens and logprobs")
    out = []
    for n, token in enumerate(tokens):
        logprob = chosen[n] if n < len(chosen) else None
        top = tops[n] if n < len(tops) else None
        if not isinstance(token, str) or not (logprob is None or _number(logprob)) \
                or not (top is None or isinstance(top, dict) and all(map(_number, top.values()))):
            raise raw.wrong("tokens", token, "a token with its logprob and alternatives")
        alternatives = sorted(((t, lp) for t, lp in (top or {}).items()), key=lambda pair: -pair[1])
        out.append({"token": token, "logprob": logprob,
                    "top": [{"token": t, "logprob": lp} for t, lp in alternatives]})
    return out


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _raise_for_error(adapter, data: Fields) -> None:
    if data.has("error") and not data.has("choices"):
        detail = http.scrub(http.error_text(json.dumps(data.data).encode()), adapter.config)
        raise ProviderError(PROVIDER_ERROR, f"{adapter.config.name} reported an error: {detail}")


def _usage(raw: Fields) -> Usage:
    return Usage(raw.integer("prompt_tokens"), raw.integer("completion_tokens"), raw.integer("total_tokens"))


async def stream(adapter, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    reason = None
    usage = None
    async with http.open_response(adapter.config, "POST", adapter.completions_url(request.model),
                                  json_body=body(adapter, request, stream=True), headers=adapter.headers(),
                                  params=adapter.query_params()) as reply:
        async for data in reply.sse_data():
            chunk = Fields(data, "chunk", adapter.config.name)
            _raise_for_error(adapter, chunk)
            if chunk.has("usage"):
                usage = _usage(chunk.obj("usage"))
            for choice in chunk.objects("choices")[:1]:
                text = choice.text("text")
                if text:
                    yield TextDelta(text)
                if choice.has("logprobs"):
                    tokens = logprob_tokens(choice.obj("logprobs"))
                    if tokens:
                        yield Logprobs(tokens)
                reason = choice.text("finish_reason") or reason
    if reason is None:
        raise ProviderError(PROVIDER_ERROR, f"{adapter.config.name} ended the stream before the completion finished.")
    if usage:
        yield usage
    yield Finish(FINISH_REASONS.get(reason, reason))


async def whole(adapter, request: ChatRequest) -> ChatResult:
    data = Fields(await http.request_json(adapter.config, "POST", adapter.completions_url(request.model),
                                          json_body=body(adapter, request, stream=False), headers=adapter.headers(),
                                          params=adapter.query_params()), "reply", adapter.config.name)
    _raise_for_error(adapter, data)
    choices = data.objects("choices")
    if not choices:
        raise ProviderError(PROVIDER_ERROR, f"{adapter.config.name} answered without a choice.")
    choice = choices[0]
    reason = choice.text("finish_reason") or "stop"
    return ChatResult(content=choice.text("text") or "", tool_calls=[], finish_reason=FINISH_REASONS.get(reason, reason),
                      usage=_usage(data.obj("usage")) if data.has("usage") else None,
                      logprobs=logprob_tokens(choice.obj("logprobs")) if choice.has("logprobs") else None)
