"""The Google Gemini wire format: {base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse.

Gemini sends whole function calls (not deltas) and may leave out their ids, so
ids are synthesized from the call itself; tool results go back by function name.

Thinking models: for a model with the reasoning capability the request asks
for thought summaries (`includeThoughts`) and carries `thinkingBudget` /
`thinkingLevel`; thought parts stream as reasoning. Thought signatures go back
where they came: a call's with the call, the answer's (kept in the reasoning's
extra) with the answer's text.
"""
import json
from contextlib import contextmanager
from typing import AsyncIterable, AsyncIterator

from providers import http
from providers.adapters.base import Adapter, arguments_object, stream_of, synthesized_id
from providers.samples import Sample, keyword_lines
from providers.shape import Fields
from providers.streaming import collect
from providers.types import (
    PROVIDER_AUTH,
    PROVIDER_ERROR,
    Capabilities,
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    Finish,
    Message,
    ModelInfo,
    Params,
    ProviderError,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
)

FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
                  "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
                  "IMAGE_SAFETY": "content_filter", "MALFORMED_FUNCTION_CALL": "error", "OTHER": "stop"}
TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}
GENERATION_PARAMS = {"temperature": "temperature", "top_p": "topP", "max_tokens": "maxOutputTokens", "seed": "seed",
                     "presence_penalty": "presencePenalty", "frequency_penalty": "frequencyPenalty"}


# Google's documented stand-in for calls that no Gemini model signed (history from another model).
UNSIGNED = "skip_thought_signature_validator"


def _response_object(content: str) -> dict:
    """A tool result as the object functionResponse.response must be."""
    try:
        value = json.loads(content)
    except ValueError:
        value = content
    return value if isinstance(value, dict) else {"result": value}


@contextmanager
def key_errors():
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT "API key not valid": report it as a key problem."""
    try:
        yield
    except ProviderError as error:
        if error.status == 400 and "API key" in error.message:
            raise ProviderError(PROVIDER_AUTH, error.message, status=400) from None
        raise


def wire_contents(messages: list[Message]) -> tuple[dict | None, list[dict]]:
    """(systemInstruction, contents): roles user/model, tool results as functionResponse parts, turns merged."""
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    system = [m.content for m in messages if m.role == "system" and m.content]
    contents: list[dict] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "model" if message.role == "assistant" else "user"
        parts = _parts(message, names)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    instruction = {"parts": [{"text": "\n\n".join(system)}]} if system else None
    return instruction, contents


def _parts(message: Message, names: dict) -> list[dict]:
    if message.role == "tool":
        name = message.name or names.get(message.tool_call_id or "", "")
        return [{"functionResponse": {"name": name, "response": _response_object(message.content)}}]
    parts = [{"inline_data": {"mime_type": image.media_type, "data": image.base64}} for image in message.images]
    parts += [{"text": message.content}] if message.content else []
    signature = (message.reasoning_extra or {}).get("thoughtSignature")
    if parts and message.role == "assistant" and isinstance(signature, str):  # assistant parts carry no images
        parts[0]["thoughtSignature"] = signature
    parts += [{"functionCall": {"name": c.name, "args": arguments_object(c.arguments)},
               "thoughtSignature": (c.extra or {}).get("thoughtSignature", UNSIGNED)} for c in message.tool_calls]
    return parts


class GeminiAdapter(Adapter):
    """x-goog-api-key header; SSE chunks that are each a whole GenerateContentResponse."""

    default_capabilities = Capabilities(streaming=True, tools=True, tool_streaming=False, parallel_tool_calls=True,
                                        json_object=True, json_schema=True, stream_usage=True)

    def model_url(self, model: str, method: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/v1beta/models/{model.removeprefix('models/')}:{method}"

    def headers(self) -> dict:
        key = self.config.key()
        return {**self.config.extra_headers, **({"x-goog-api-key": key} if key else {})}

    # Request body -----------------------------------------------------------

    def build_body(self, request: ChatRequest) -> dict:
        instruction, contents = wire_contents(request.messages)
        body: dict = {"contents": contents}
        if instruction:
            body["systemInstruction"] = instruction
        config = self.generation_config(request)
        if config:
            body["generationConfig"] = config
        if request.tools:
            body["tools"] = [{"functionDeclarations": [
                {"name": t.name, "description": t.description, "parameters": t.parameters} for t in request.tools]}]
            if request.tool_choice:
                body["toolConfig"] = {"functionCallingConfig": self.calling_config(request)}
        return body

    def generation_config(self, request: ChatRequest) -> dict:
        p = request.params
        config = {wire: getattr(p, name) for name, wire in GENERATION_PARAMS.items() if getattr(p, name) is not None}
        if p.stop:
            config["stopSequences"] = list(p.stop)
        fmt = request.response_format
        if fmt and fmt.type in ("json_object", "json_schema"):
            config["responseMimeType"] = "application/json"
        if fmt and fmt.type == "json_schema":
            config[self.config.options.get("schema_field", "responseJsonSchema")] = fmt.schema or {}
        if self.config.capabilities.reasoning:
            config["thinkingConfig"] = self.thinking_config(p)
        return config

    def reasoning_controls(self) -> tuple[str, ...]:
        return ("reasoning_effort", "thinking_budget", "think")

    @staticmethod
    def thinking_config(p: Params) -> dict:
        """Thought summaries asked for unless thinking is off; a budget (0: off), or else a level (the API
        refuses both)."""
        if p.think is False or p.thinking_budget == 0:
            return {"thinkingBudget": 0}
        config: dict = {"includeThoughts": True}
        if p.thinking_budget is not None:
            config["thinkingBudget"] = p.thinking_budget
        elif p.reasoning_effort:
            config["thinkingLevel"] = p.reasoning_effort
        return config

    @staticmethod
    def calling_config(request: ChatRequest) -> dict:
        choice = request.tool_choice
        config = {"mode": TOOL_MODES[choice.mode]}
        if choice.mode == "function":
            config["allowedFunctionNames"] = [choice.name]
        return config

    # Calls ----------------------------------------------------------------------

    async def stream_reply(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        url = self.model_url(request.model, "streamGenerateContent")
        with key_errors():
            async with http.open_response(self.config, "POST", url, json_body=self.build_body(request),
                                          headers=self.headers(), params={"alt": "sse"}) as reply:
                async for event in self.translate(reply.sse_data()):
                    yield event

    async def whole_reply(self, request: ChatRequest) -> ChatResult:
        with key_errors():
            data = await http.request_json(self.config, "POST", self.model_url(request.model, "generateContent"),
                                           json_body=self.build_body(request), headers=self.headers())
        return await collect(self.translate(stream_of([data])))

    async def translate(self, chunks: AsyncIterable[dict]) -> AsyncIterator[StreamEvent]:
        """Neutral events from GenerateContentResponse chunks (one for generateContent, many when streaming)."""
        calls, usage, reason = 0, None, None
        async for data in chunks:
            chunk = Fields(data, "chunk", self.config.name)
            self._raise_for_error(chunk)
            if chunk.has("usageMetadata"):
                usage = chunk.obj("usageMetadata")  # cumulative: the last one counts
            candidates = chunk.objects("candidates")
            if chunk.obj("promptFeedback").text("blockReason") and not candidates:
                reason = "SAFETY"
            for candidate in candidates[:1]:
                for part in candidate.obj("content").objects("parts"):
                    if part.has("functionCall"):
                        yield self._call_delta(part, calls, chunk.text("responseId") or "")
                        calls += 1
                        continue
                    text = part.text("text")
                    if text:
                        yield ReasoningDelta(text) if part.flag("thought") else TextDelta(text)
                    signature = part.text("thoughtSignature")
                    if signature:
                        yield ReasoningDelta("", {"thoughtSignature": signature})
                reason = candidate.text("finishReason") or reason
        if reason is None:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} ended the stream before the reply finished.")
        if usage:
            yield _usage(usage)
        neutral = FINISH_REASONS.get(reason, reason.lower())
        yield Finish("tool_calls" if neutral == "stop" and calls else neutral)

    @staticmethod
    def _call_delta(part: Fields, index: int, response_id: str) -> ToolCallDelta:
        call = part.obj("functionCall")
        args = call.obj("args")
        arguments = json.dumps(args.data)
        name = call.text("name") or ""
        call_id = call.text("id") or synthesized_id(response_id, index, name, arguments)
        # Thinking models sign their calls; the signature must come back with the call next turn.
        signature = part.text("thoughtSignature")
        extra = {"thoughtSignature": signature} if signature else None
        return ToolCallDelta(index=index, id=call_id, name=name, arguments_delta=arguments, extra=extra)

    def _raise_for_error(self, chunk: Fields) -> None:
        if chunk.has("error"):
            detail = http.scrub(http.error_text(json.dumps(chunk.data).encode()), self.config)
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} reported an error: {detail}")

    def request_sample(self, request: ChatRequest) -> Sample:
        return Sample(self.model_url(request.model, "streamGenerateContent"), self.headers(),
                      self.build_body(request), {"alt": "sse"}, model=request.model)

    def python_sample(self, sample: Sample, env_var: str) -> str:
        """Google's `google-genai` SDK: the request's fields as its config (it takes the REST names)."""
        body = sample.body
        config = {**body.get("generationConfig", {}),
                  **{key: body[key] for key in ("systemInstruction", "tools", "toolConfig") if key in body}}
        client = f"genai.Client(api_key=os.environ[{env_var!r}]"
        if self.config.base_url.rstrip("/") != "https://generativelanguage.googleapis.com":
            client += f", http_options={{'base_url': {self.config.base_url.rstrip('/')!r}}}"
        lines = ["import os", "", "from google import genai", "", f"client = {client})", "",
                 "for chunk in client.models.generate_content_stream("]
        lines += keyword_lines({"model": sample.model, "contents": body["contents"], **({"config": config} if config else {})})
        lines += ["):", '    print(chunk.text or "", end="", flush=True)', "print()", ""]
        return "\n".join(lines)

    async def embed_texts(self, request: EmbeddingRequest) -> EmbeddingResult:
        """embedContent for one text, batchEmbedContents for several (one request each, in order)."""
        name = f"models/{request.model.removeprefix('models/')}"
        contents = [{"parts": [{"text": text}]} for text in request.texts]
        single = len(contents) == 1
        body = {"content": contents[0]} if single else {"requests": [{"model": name, "content": c} for c in contents]}
        with key_errors():
            data = Fields(await http.request_json(
                self.config, "POST", self.model_url(request.model, "embedContent" if single else "batchEmbedContents"),
                json_body=body, headers=self.headers()), "embeddings", self.config.name)
        items = [data.needed("embedding")] if single else data.objects("embeddings")
        return EmbeddingResult([item.vector("values") for item in items],
                               prompt_tokens=data.obj("usageMetadata").integer("promptTokenCount"))

    async def list_models(self) -> list[ModelInfo]:
        """The models that chat or embed, each tagged with its purpose from supportedGenerationMethods."""
        with key_errors():
            data = await http.request_json(self.config, "GET", f"{self.config.base_url.rstrip('/')}/v1beta/models",
                                           headers=self.headers(), params={"pageSize": 1000})
        models = []
        for item in Fields(data, "model list", self.config.name).objects("models"):
            name = item.text("name")
            purpose = _purpose(item.value("supportedGenerationMethods"))
            if name and purpose != "other":
                models.append(ModelInfo(id=name.removeprefix("models/"), display_name=item.text("displayName") or name,
                                        context_window=item.integer("inputTokenLimit"), reasoning=item.flag("thinking"),
                                        purpose=purpose))
        return models


def _usage(usage: Fields) -> Usage:
    """Thinking tokens are billed as output but counted apart from the candidates: added back here."""
    candidates, thoughts = usage.integer("candidatesTokenCount"), usage.integer("thoughtsTokenCount")
    completion = candidates if thoughts is None else (candidates or 0) + thoughts
    return Usage(usage.integer("promptTokenCount"), completion, usage.integer("totalTokenCount"), reasoning_tokens=thoughts)


def _purpose(methods) -> str | None:
    """What a model is for: chat, embedding, other (not listed), or None where its methods are not listed."""
    if not isinstance(methods, list):
        return None
    if "generateContent" in methods:
        return "chat"
    return "embedding" if {"embedContent", "batchEmbedContents"} & set(methods) else "other"
