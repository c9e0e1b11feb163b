"""Ollama's native wire format: POST {base_url}/api/chat, newline-delimited JSON.

Tool calls arrive whole, with arguments as objects and usually without ids:
arguments are serialized to JSON text and ids synthesized. Tool results go back
by function name (`tool_name`).

Thinking models put their reasoning in `message.thinking` (or, on older
servers, in `<think>` tags at the start of the content); it goes back on the
assistant turns that had it. For a model with the reasoning capability the
request carries `think`: on/off, or a level ("low", "medium", "high") from the
reasoning effort. Discovery asks /api/show which models list "thinking".

Text completion is POST /api/generate with `raw: true` (the prompt as is, no
chat template). It has no logprobs; `echo` is kept by putting the prompt in
front of the reply, as the OpenAI-compatible servers send it.
"""
import asyncio
import json
from typing import AsyncIterable, AsyncIterator

from providers import http
from providers.adapters.base import Adapter, arguments_object, stream_of, synthesized_id
from providers.adapters.think_tags import split_stream
from providers.samples import Sample, key_headers, keyword_lines
from providers.shape import Fields
from providers.streaming import collect
from providers.types import (
    PROVIDER_ERROR,
    Capabilities,
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    Finish,
    Message,
    ModelInfo,
    ProviderError,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
)

OPTIONS = {"temperature": "temperature", "top_p": "top_p", "max_tokens": "num_predict", "seed": "seed",
           "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty"}
FINISH_REASONS = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop"}
THINK_LEVELS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}


def wire_messages(messages: list[Message]) -> list[dict]:
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    wired = []
    for message in messages:
        wire: dict = {"role": message.role, "content": message.content}
        if message.role == "assistant" and message.reasoning:
            wire["thinking"] = message.reasoning
        if message.tool_calls:
            wire["tool_calls"] = [{"function": {"name": c.name, "arguments": arguments_object(c.arguments)}}
                                  for c in message.tool_calls]
        if message.images:
            wire["images"] = [image.base64 for image in message.images]
        if message.role == "tool":
            wire["tool_name"] = message.name or names.get(message.tool_call_id or "", "")
        wired.append(wire)
    return wired


class OllamaAdapter(Adapter):
    """No key needed (a bearer key is sent if one is set, for Ollama behind a proxy)."""

    serves_completions = True

    default_capabilities = Capabilities(streaming=True, tools=True, tool_streaming=False, parallel_tool_calls=False,
                                        json_object=True, json_schema=True, stream_usage=True)

    def headers(self) -> dict:
        key = self.config.key()
        return {**self.config.extra_headers, **({"Authorization": f"Bearer {key}"} if key else {})}

    def reasoning_controls(self) -> tuple[str, ...]:
        return ("reasoning_effort", "think")

    def build_body(self, request: ChatRequest, stream: bool = True) -> dict:
        body: dict = {"model": request.model, "messages": wire_messages(request.messages), "stream": stream}
        p = request.params
        options = self.options(p)
        if options:
            body["options"] = options
        think = THINK_LEVELS.get(p.reasoning_effort or "", p.think)
        if self.config.capabilities.reasoning and think is not None:
            body["think"] = think
        fmt = request.response_format
        if fmt and fmt.type == "json_object":
            body["format"] = "json"
        elif fmt and fmt.type == "json_schema":
            body["format"] = fmt.schema or {"type": "object"}
        if request.tools and not (request.tool_choice and request.tool_choice.mode == "none"):
            body["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in request.tools
            ]
        return body

    @staticmethod
    def options(p) -> dict:
        options = {wire: getattr(p, name) for name, wire in OPTIONS.items() if getattr(p, name) is not None}
        if p.stop:
            options["stop"] = list(p.stop)
        return options

    def completion_body(self, request: ChatRequest, stream: bool = True) -> dict:
        body: dict = {"model": request.model, "prompt": request.prompt, "raw": True, "stream": stream}
        options = self.options(request.params)
        if options:
            body["options"] = options
        return body

    async def stream_completion(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        async with http.open_response(self.config, "POST", self.url("/api/generate"),
                                      json_body=self.completion_body(request), headers=self.headers()) as reply:
            async for event in self.translate(reply.ndjson(), echo=request.prompt if request.params.echo else ""):
                yield event

    async def whole_completion(self, request: ChatRequest) -> ChatResult:
        data = await http.request_json(self.config, "POST", self.url("/api/generate"),
                                       json_body=self.completion_body(request, stream=False), headers=self.headers())
        return await collect(self.translate(stream_of([data]), echo=request.prompt if request.params.echo else ""))

    async def stream_reply(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        async with http.open_response(self.config, "POST", self.url("/api/chat"), json_body=self.build_body(request),
                                      headers=self.headers()) as reply:
            async for event in split_stream(self.translate(reply.ndjson())):
                yield event

    async def whole_reply(self, request: ChatRequest) -> ChatResult:
        data = await http.request_json(self.config, "POST", self.url("/api/chat"),
                                       json_body=self.build_body(request, stream=False), headers=self.headers())
        return await collect(split_stream(self.translate(stream_of([data]))))

    async def translate(self, lines: AsyncIterable[dict], echo: str = "") -> AsyncIterator[StreamEvent]:
        """Neutral events from /api/chat objects (many when streaming, one final one otherwise), or from
        /api/generate ones (their text is `response`; `echo`, the prompt, goes first)."""
        calls, final = 0, None
        if echo:
            yield TextDelta(echo)
        async for data in lines:
            line = Fields(data, "line", self.config.name)
            self._raise_for_error(line)
            message = line.obj("message")
            thinking = message.text("thinking")
            if thinking:
                yield ReasoningDelta(thinking)
            content = message.text("content") or line.text("response")
            if content:
                yield TextDelta(content)
            for call in message.objects("tool_calls"):
                yield self._call_delta(call, calls, line.text("created_at") or "")
                calls += 1
            if line.flag("done"):
                final = line
                break
        if final is None:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} ended the stream before the reply finished.")
        prompt, completion = final.integer("prompt_eval_count"), final.integer("eval_count")
        if prompt is not None or completion is not None:
            yield Usage(prompt, completion)
        raw = final.text("done_reason") or "stop"
        reason = FINISH_REASONS.get(raw, raw)
        yield Finish("tool_calls" if reason == "stop" and calls else reason)

    @staticmethod
    def _call_delta(call: Fields, index: int, created_at: str) -> ToolCallDelta:
        function = call.obj("function")
        arguments = function.value("arguments")
        if arguments is not None and not isinstance(arguments, (dict, str)):
            raise function.wrong("arguments", arguments, "an object")
        text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
        name = function.text("name") or ""
        call_id = call.text("id") or synthesized_id(created_at, index, name, text)
        return ToolCallDelta(index=index, id=call_id, name=name, arguments_delta=text)

    def _raise_for_error(self, line: Fields) -> None:
        if line.has("error"):
            detail = http.scrub(str(line.value("error")), self.config)
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} reported an error: {detail}")

    def request_sample(self, request: ChatRequest) -> Sample:
        return Sample(self.url("/api/chat"), self.headers(), self.build_body(request), model=request.model)

    def completion_sample(self, request: ChatRequest) -> Sample:
        return Sample(self.url("/api/generate"), self.headers(), self.completion_body(request), model=request.model)

    def python_sample(self, sample: Sample, env_var: str) -> str:
        """The official `ollama` package."""
        client = f"Client(host={self.config.base_url.rstrip('/')!r}"
        if sample.headers:
            client += f", headers={key_headers(sample.headers, env_var)}"
        generate = "prompt" in sample.body  # a text completion
        lines = ["import os", "", "from ollama import Client", "", f"client = {client})", "",
                 f"for chunk in client.{'generate' if generate else 'chat'}("]
        lines += keyword_lines(sample.body)
        piece = 'chunk["response"]' if generate else 'chunk["message"]["content"]'
        lines += ["):", f"    print({piece}, end=\"\", flush=True)", "print()", ""]
        return "\n".join(lines)

    async def list_models(self) -> list[ModelInfo]:
        data = Fields(await http.request_json(self.config, "GET", self.url("/api/tags"), headers=self.headers()),
                      "model list", self.config.name)
        names = [name for name in (item.text("name") for item in data.objects("models")) if name]
        abilities = await asyncio.gather(*(self.abilities(name) for name in names))
        return [ModelInfo(id=name, display_name=name, reasoning=None if listed is None else "thinking" in listed,
                          vision=None if listed is None else "vision" in listed, purpose=_purpose(listed),
                          completions=None if listed is None else "completion" in listed)
                for name, listed in zip(names, abilities)]

    async def embed_texts(self, request: EmbeddingRequest) -> EmbeddingResult:
        """POST /api/embed with every text as `input`."""
        body = {"model": request.model, "input": list(request.texts)}
        data = Fields(await http.request_json(self.config, "POST", self.url("/api/embed"), json_body=body,
                                              headers=self.headers()), "embeddings", self.config.name)
        self._raise_for_error(data)
        return EmbeddingResult(data.vectors("embeddings"), prompt_tokens=data.integer("prompt_eval_count"))

    async def abilities(self, model: str) -> list | None:
        """The capabilities /api/show lists for a model ("thinking", "vision"…; None where it cannot say)."""
        try:
            data = await http.request_json(self.config, "POST", self.url("/api/show"), json_body={"model": model},
                                           headers=self.headers())
        except ProviderError:
            return None
        capabilities = Fields(data, "model details", self.config.name).value("capabilities")
        return capabilities if isinstance(capabilities, list) else None


def _purpose(capabilities: list | None) -> str | None:
    """An embedding model lists "embedding" (and not "completion") in /api/show."""
    if capabilities is None:
        return None
    return "embedding" if "embedding" in capabilities and "completion" not in capabilities else "chat"
