"""The OpenAI chat-completions wire format, spoken by most providers.

Quirks come from the provider's options (set by its preset), not from
branches on its name: `tool_choice_required` (Mistral says "any"),
`tool_call_ids` ("alnum9": Mistral accepts only 9 alphanumerics).
"""
import hashlib
import string
from typing import AsyncIterator

from providers import http
from providers.adapters.base import Adapter
from providers.types import (
    PROVIDER_ERROR,
    ChatRequest,
    ChatResult,
    Finish,
    Message,
    ModelInfo,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

FINISH_REASONS = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
                  "content_filter": "content_filter", "eos": "stop", "model_length": "length"}
_ALNUM = string.ascii_letters + string.digits


def _alnum9(call_id: str) -> str:
    if len(call_id) == 9 and call_id.isalnum():
        return call_id
    digest = hashlib.sha256(call_id.encode()).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:9])


class OpenAIAdapter(Adapter):
    """POST {base_url}/chat/completions with a bearer key; SSE streaming."""

    # URLs and headers: overridden by Azure, which shares everything else.
    def chat_url(self, model: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/chat/completions"

    def completions_url(self, model: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/completions"

    def models_url(self) -> str:
        return f"{self.config.base_url.rstrip('/')}/models"

    def query_params(self) -> dict | None:
        return None

    def auth_headers(self) -> dict:
        key = self.config.key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def headers(self) -> dict:
        return {**self.config.extra_headers, **self.auth_headers()}

    def include_model_in_body(self) -> bool:
        return True

    # Request body -----------------------------------------------------------

    def _call_id(self, call_id: str) -> str:
        return _alnum9(call_id) if self.config.options.get("tool_call_ids") == "alnum9" else call_id

    def wire_message(self, message: Message) -> dict:
        wire: dict = {"role": message.role, "content": message.content}
        if message.role == "assistant" and message.tool_calls:
            wire["content"] = message.content or None
            wire["tool_calls"] = [
                {"id": self._call_id(c.id), "type": "function", "function": {"name": c.name, "arguments": c.arguments or "{}"}}
                for c in message.tool_calls
            ]
        if message.role == "tool":
            wire["tool_call_id"] = self._call_id(message.tool_call_id or "")
        return wire

    def wire_tool_choice(self, request: ChatRequest):
        choice = request.tool_choice
        if choice.mode == "function":
            return {"type": "function", "function": {"name": choice.name}}
        if choice.mode == "required":
            return self.config.options.get("tool_choice_required", "required")
        return choice.mode

    def build_body(self, request: ChatRequest, stream: bool) -> dict:
        body: dict = {"messages": [self.wire_message(m) for m in request.messages]}
        if self.include_model_in_body():
            body["model"] = request.model
        if stream:
            body["stream"] = True
            if self.config.capabilities.stream_usage:
                body["stream_options"] = {"include_usage": True}
        p = request.params
        for name in ("temperature", "top_p", "max_tokens", "seed", "presence_penalty", "frequency_penalty"):
            value = getattr(p, name)
            if value is not None:
                body[name] = value
        if p.stop:
            body["stop"] = list(p.stop)
        if request.tools:
            body["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in request.tools
            ]
            if request.tool_choice:
                body["tool_choice"] = self.wire_tool_choice(request)
            if request.parallel_tool_calls is not None and self.config.capabilities.parallel_tool_calls:
                body["parallel_tool_calls"] = request.parallel_tool_calls
        fmt = request.response_format
        if fmt and fmt.type == "json_object":
            body["response_format"] = {"type": "json_object"}
        elif fmt and fmt.type == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": fmt.name, "schema": fmt.schema or {}, "strict": fmt.strict},
            }
        return body

    # Calls ----------------------------------------------------------------------

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        body = self.build_body(request, stream=True)
        reason = None
        usage = None
        async with http.open_response(self.config, "POST", self.chat_url(request.model), json_body=body,
                                      headers=self.headers(), params=self.query_params()) as response:
            async for chunk in http.sse_data(response, self.config):
                self._raise_for_chunk_error(chunk)
                if chunk.get("usage"):
                    usage = _usage(chunk["usage"])
                for choice in chunk.get("choices") or ():
                    delta = choice.get("delta") or {}
                    if delta.get("content"):
                        yield TextDelta(delta["content"])
                    for position, call in enumerate(delta.get("tool_calls") or ()):
                        function = call.get("function") or {}
                        yield ToolCallDelta(
                            index=call.get("index", position), id=call.get("id"), name=function.get("name"),
                            arguments_delta=function.get("arguments") or "",
                        )
                    if choice.get("finish_reason"):
                        reason = choice["finish_reason"]
        if reason is None:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} ended the stream before the reply finished.")
        if usage:
            yield usage
        yield Finish(FINISH_REASONS.get(reason, reason), raw_reason=reason)

    def _raise_for_chunk_error(self, chunk: dict) -> None:
        if "error" in chunk and not chunk.get("choices"):
            detail = http.scrub(http.error_text(_json_bytes(chunk)), self.config)
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} reported an error mid-stream: {detail}")

    async def chat(self, request: ChatRequest) -> ChatResult:
        body = self.build_body(request, stream=False)
        data = await http.request_json(self.config, "POST", self.chat_url(request.model), json_body=body,
                                       headers=self.headers(), params=self.query_params())
        try:
            choice = data["choices"][0]
            message = choice.get("message") or {}
        except (KeyError, IndexError, TypeError):
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} answered without a choice.") from None
        calls = [
            ToolCall(id=c.get("id") or f"call_{i}", name=(c.get("function") or {}).get("name", ""),
                     arguments=(c.get("function") or {}).get("arguments") or "")
            for i, c in enumerate(message.get("tool_calls") or ())
        ]
        reason = choice.get("finish_reason") or "stop"
        return ChatResult(content=message.get("content") or "", tool_calls=calls,
                          finish_reason=FINISH_REASONS.get(reason, reason),
                          usage=_usage(data["usage"]) if data.get("usage") else None)

    async def complete(self, prompt: str, model: str, max_tokens: int | None = None) -> str:
        """The legacy /completions endpoint: text in, text out."""
        body: dict = {"model": model, "prompt": prompt}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        data = await http.request_json(self.config, "POST", self.completions_url(model), json_body=body,
                                       headers=self.headers(), params=self.query_params())
        try:
            return data["choices"][0].get("text") or ""
        except (KeyError, IndexError, TypeError):
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} answered without a completion.") from None

    async def list_models(self) -> list[ModelInfo]:
        data = await http.request_json(self.config, "GET", self.models_url(), headers=self.headers(),
                                       params=self.query_params())
        items = data.get("data", []) if isinstance(data, dict) else []
        return [ModelInfo(id=m["id"], display_name=m.get("name") or m["id"],
                          context_window=m.get("context_window") or m.get("context_length"))
                for m in items if isinstance(m, dict) and m.get("id")]


def _usage(raw: dict) -> Usage:
    return Usage(raw.get("prompt_tokens"), raw.get("completion_tokens"), raw.get("total_tokens"))


def _json_bytes(chunk: dict) -> bytes:
    import json

    return json.dumps(chunk).encode()
