"""The OpenAI chat-completions wire format, spoken by most providers.

Quirks come from the provider's options (set by its preset), not from
branches on its name: `tool_choice_required` (Mistral says "any"),
`tool_call_ids` ("alnum9": Mistral accepts only 9 alphanumerics),
`reasoning_format` ("openrouter": the controls go in one `reasoning` object).

Reasoning arrives as `reasoning_content` (DeepSeek, vLLM) or `reasoning`
(OpenRouter, LM Studio, newer vLLM) deltas, or inline as `<think>…</think>`
at the start of the content (Qwen, DeepSeek-R1 on plain servers). It is never
sent back: DeepSeek answers 400 to `reasoning_content` in the input.
"""
import base64
import binascii
import hashlib
import json
import string
from typing import AsyncIterator

from providers import http
from providers.adapters import completions, model_hints
from providers.adapters.base import Adapter
from providers.adapters.think_tags import split_stream, split_whole
from providers.samples import Sample, keyword_lines, literal, openai_javascript
from providers.shape import Fields
from providers.types import (
    PROVIDER_ERROR,
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    Finish,
    Image,
    ImageGenerationRequest,
    ImageGenerationResult,
    Message,
    ModelInfo,
    Params,
    ProviderError,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

FINISH_REASONS = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
                  "content_filter": "content_filter", "eos": "stop", "model_length": "length"}
_ALNUM = string.ascii_letters + string.digits
NOT_SDK_ARGUMENTS = ("reasoning",)  # body fields the OpenAI SDK takes only through extra_body
MAGIC = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp", b"GIF8": "image/gif"}


def _plain_text(data: dict) -> str | None:
    """The text of the commonest stream chunk, one choice whose delta holds only text (and perhaps its role),
    read without the general shape walk; None for any other chunk, which the general path then reads."""
    choices = data.get("choices")
    if type(choices) is not list or len(choices) != 1 or data.get("usage") is not None:
        return None
    choice = choices[0]
    if type(choice) is not dict or choice.get("finish_reason") is not None:
        return None
    delta = choice.get("delta")
    if type(delta) is not dict:
        return None
    text = delta.get("content")
    if type(text) is not str:
        return None
    # the other delta fields _events reads
    if delta.get("reasoning_content") is not None or delta.get("reasoning") is not None or delta.get("tool_calls") is not None:
        return None
    return text


def _alnum9(call_id: str) -> str:
    if len(call_id) == 9 and call_id.isalnum():
        return call_id
    digest = hashlib.sha256(call_id.encode()).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:9])


class OpenAIAdapter(Adapter):
    """POST {base_url}/chat/completions with a bearer key; SSE streaming."""

    stream_usage_optional = True
    shortens_embeddings = True
    serves_completions = True
    completion_logprobs = True

    # URLs and headers: overridden by Azure, which shares everything else.
    def chat_url(self, model: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/chat/completions"

    def completions_url(self, model: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/completions"

    def models_url(self) -> str:
        return f"{self.config.base_url.rstrip('/')}/models"

    def embeddings_url(self, model: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/embeddings"
    def images_url(self, model: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/images/generations"

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
        if message.images:
            text = [{"type": "text", "text": message.content}] if message.content else []
            wire["content"] = text + [{"type": "image_url", "image_url": {"url": image.data_url}}
                                      for image in message.images]
        return wire

    def wire_tool_choice(self, request: ChatRequest):
        choice = request.tool_choice
        if choice.mode == "function":
            return {"type": "function", "function": {"name": choice.name}}
        if choice.mode == "required":
            return self.config.options.get("tool_choice_required", "required")
        return choice.mode

    def sampled_body(self, request: ChatRequest, stream: bool) -> dict:
        """What /chat/completions and /completions bodies share: model, streaming and usage, sampling, stop."""
        body: dict = {}
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
        return body

    def build_body(self, request: ChatRequest, stream: bool) -> dict:
        body: dict = {"messages": [self.wire_message(m) for m in request.messages], **self.sampled_body(request, stream)}
        p = request.params
        if self.config.capabilities.reasoning:
            body.update(self.reasoning_fields(p))
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

    def openrouter(self) -> bool:
        return self.config.options.get("reasoning_format") == "openrouter"

    def reasoning_controls(self) -> tuple[str, ...]:
        return ("reasoning_effort", "thinking_budget", "think") if self.openrouter() else ("reasoning_effort",)

    def reasoning_fields(self, p: Params) -> dict:
        """OpenAI's `reasoning_effort`; OpenRouter's `reasoning: {effort | max_tokens, enabled}`."""
        if not self.openrouter():
            return {"reasoning_effort": p.reasoning_effort} if p.reasoning_effort else {}
        reasoning: dict = {}
        if p.reasoning_effort:
            reasoning["effort"] = p.reasoning_effort
        elif p.thinking_budget is not None:
            reasoning["max_tokens"] = p.thinking_budget
        if p.think is not None:
            reasoning["enabled"] = p.think
        return {"reasoning": reasoning} if reasoning else {}

    # Calls ----------------------------------------------------------------------

    def stream_reply(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return split_stream(self._events(request))

    async def _events(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        body = self.build_body(request, stream=True)
        reason = None
        usage = None
        async with http.open_response(self.config, "POST", self.chat_url(request.model), json_body=body,
                                      headers=self.headers(), params=self.query_params()) as reply:
            async for data in reply.sse_data():
                text = _plain_text(data)
                if text is not None:
                    if text:
                        yield TextDelta(text)
                    continue
                chunk = Fields(data, "chunk", self.config.name)
                self._raise_for_error(chunk)
                if chunk.has("usage"):
                    usage = _usage(chunk.obj("usage"))
                for choice in chunk.objects("choices"):
                    delta = choice.obj("delta")
                    reasoning = delta.text("reasoning_content") or delta.text("reasoning")
                    if reasoning:
                        yield ReasoningDelta(reasoning)
                    content = delta.text("content")
                    if content:
                        yield TextDelta(content)
                    for position, call in enumerate(delta.objects("tool_calls")):
                        function = call.obj("function")
                        index = call.integer("index")
                        yield ToolCallDelta(index=position if index is None else index, id=call.text("id"),
                                            name=function.text("name"), arguments_delta=function.text("arguments") or "")
                    reason = choice.text("finish_reason") or reason
        if reason is None:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} ended the stream before the reply finished.")
        if usage:
            yield usage
        yield Finish(FINISH_REASONS.get(reason, reason))

    def _raise_for_error(self, data: Fields) -> None:
        if data.has("error") and not data.has("choices"):
            detail = http.scrub(http.error_text(json.dumps(data.data).encode()), self.config)
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} reported an error: {detail}")

    async def whole_reply(self, request: ChatRequest) -> ChatResult:
        body = self.build_body(request, stream=False)
        data = Fields(await http.request_json(self.config, "POST", self.chat_url(request.model), json_body=body,
                                              headers=self.headers(), params=self.query_params()),
                      "reply", self.config.name)
        self._raise_for_error(data)
        choices = data.objects("choices")
        if not choices:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} answered without a choice.")
        message = choices[0].needed("message")
        calls = []
        for i, call in enumerate(message.objects("tool_calls")):
            function = call.obj("function")
            calls.append(ToolCall(id=call.text("id") or f"call_{i}", name=function.text("name") or "",
                                  arguments=function.text("arguments") or ""))
        reason = choices[0].text("finish_reason") or "stop"
        inline, content = split_whole(message.text("content") or "")
        reasoning = (message.text("reasoning_content") or message.text("reasoning") or "") + inline
        return ChatResult(content=content, tool_calls=calls, finish_reason=FINISH_REASONS.get(reason, reason),
                          usage=_usage(data.obj("usage")) if data.has("usage") else None, reasoning=reasoning)

    async def embed_texts(self, request: EmbeddingRequest) -> EmbeddingResult:
        """POST /embeddings with every text as `input`; vectors come back by `index`."""
        body: dict = {"input": list(request.texts), "encoding_format": "float"}
        if request.dimensions is not None:
            body["dimensions"] = request.dimensions
        if self.include_model_in_body():
            body["model"] = request.model
        data = Fields(await http.request_json(self.config, "POST", self.embeddings_url(request.model), json_body=body,
                                              headers=self.headers(), params=self.query_params()),
                      "embeddings", self.config.name)
        self._raise_for_error(data)
        items = data.objects("data")
        order = [item.integer("index") for item in items]
        if all(position is not None for position in order):
            items = [item for _, item in sorted(zip(order, items), key=lambda pair: pair[0])]
        return EmbeddingResult([item.vector("embedding") for item in items],
                               prompt_tokens=data.obj("usage").integer("prompt_tokens"))

    def stream_completion(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return completions.stream(self, request)

    async def whole_completion(self, request: ChatRequest) -> ChatResult:
        return await completions.whole(self, request)
    async def draw(self, request: ImageGenerationRequest, max_image_bytes: int) -> ImageGenerationResult:
        """POST /images/generations asking for base64 data (a reply of image URLs is refused, never fetched)."""
        body = {"prompt": request.prompt, "n": request.n, "size": request.size, "response_format": "b64_json"}
        if self.include_model_in_body():
            body["model"] = request.model
        limit = request.n * (max_image_bytes * 4 // 3 + 4) + 65536
        data = Fields(await http.request_json(self.config, "POST", self.images_url(request.model), limit=limit,
                                              json_body=body, headers=self.headers(), params=self.query_params()),
                      "image reply", self.config.name)
        self._raise_for_error(data)
        items = data.objects("data")
        if not items:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} answered without any image.")
        if len(items) > request.n:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} sent {len(items)} images, {request.n} were asked for.")
        return ImageGenerationResult(tuple(self._image(item, max_image_bytes) for item in items),
                                     items[0].text("revised_prompt") or "")

    def _image(self, item: Fields, max_image_bytes: int) -> Image:
        encoded = item.text("b64_json")
        if encoded is None:
            what = "image URLs" if item.has("url") else "no image data"
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} answered with {what} instead of base64 image data "
                                                "(response_format b64_json); this playground does not fetch URLs.")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} sent image data that is not valid base64.") from None
        if len(raw) > max_image_bytes:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} sent an image of {len(raw):,} bytes; this "
                                                f"playground takes at most {max_image_bytes:,}.")
        media_type = next((kind for magic, kind in MAGIC.items() if raw.startswith(magic)), "application/octet-stream")
        return Image(media_type, raw)

    def request_sample(self, request: ChatRequest) -> Sample:
        return Sample(self.chat_url(request.model), self.headers(), self.build_body(request, stream=True),
                      self.query_params() or {}, model=request.model)

    def completion_sample(self, request: ChatRequest) -> Sample:
        return Sample(self.completions_url(request.model), self.headers(), completions.body(self, request, stream=True),
                      self.query_params() or {}, model=request.model)

    def python_sample(self, sample: Sample, env_var: str) -> str:
        client = f"OpenAI(base_url={self.config.base_url.rstrip('/')!r}, api_key=os.environ[{env_var!r}]"
        return openai_sdk_sample("OpenAI", client, sample.body, self.config.extra_headers)

    def javascript_sample(self, sample: Sample, env_var: str) -> str:
        if self.config.extra_headers or sample.params:  # what the SDK sample does not carry: plain fetch
            return super().javascript_sample(sample, env_var)
        return openai_javascript(self.config.base_url.rstrip("/"), sample.body, env_var)

    async def list_models(self) -> list[ModelInfo]:
        data = Fields(await http.request_json(self.config, "GET", self.models_url(), headers=self.headers(),
                                              params=self.query_params()), "model list", self.config.name)
        models = []
        for item in data.objects("data"):
            model_id = item.text("id")
            if model_id:
                context = item.integer("context_window") or item.integer("context_length")
                models.append(ModelInfo(id=model_id, display_name=item.text("name") or model_id, context_window=context,
                                        reasoning=model_hints.reasons(item.value("supported_parameters")),
                                        vision=model_hints.sees(item.value("architecture")),
                                        completions=model_hints.completes(item.value("capabilities")),
                                        image_generation=model_hints.draws(model_id, item.value("architecture"))))
        return models


def openai_sdk_sample(client_class: str, client: str, body: dict, extra_headers: dict) -> str:
    """The OpenAI Python SDK (or its Azure client) streaming a chat completion with `body` (a text completion
    where the body has a `prompt`)."""
    extra = {key: value for key, value in body.items() if key in NOT_SDK_ARGUMENTS}
    body = {key: value for key, value in body.items() if key not in NOT_SDK_ARGUMENTS}
    if extra:
        body["extra_body"] = extra
    if extra_headers:
        client += f", default_headers={literal(extra_headers, 4)}"
    text = "prompt" in body
    lines = ["import os", "", f"from openai import {client_class}", "", f"client = {client})", "",
             f"stream = client.{'completions' if text else 'chat.completions'}.create("]
    lines += keyword_lines(body)
    piece = "chunk.choices[0].text" if text else "chunk.choices[0].delta.content"
    lines += [")", "for chunk in stream:", f"    if chunk.choices and {piece}:",
              f'        print({piece}, end="", flush=True)', "print()", ""]
    return "\n".join(lines)


def _usage(raw: Fields) -> Usage:
    """Reasoning tokens are part of completion_tokens here, and reported apart in its details."""
    reasoning = raw.obj("completion_tokens_details").integer("reasoning_tokens")
    return Usage(raw.integer("prompt_tokens"), raw.integer("completion_tokens"), raw.integer("total_tokens"),
                 reasoning_tokens=reasoning)
