"""The Anthropic Messages wire format: POST {base_url}/v1/messages, SSE streaming.

Structured output has no native switch here, so it is emulated (a declared
fallback): the adapter forces a tool whose input_schema is the schema and turns
that tool's input back into text deltas, so callers see a JSON reply.

Extended thinking (for a model with the reasoning capability, asked with
`thinking_budget` or `think`): `thinking` blocks stream as reasoning; their
signatures and any `redacted_thinking` data are kept in the reasoning's extra
(`thinking_blocks`: each block's signature and length, in order) and sent back
verbatim before the turn's tool_use blocks, as the API requires in a tool loop.
With thinking on, the API takes no temperature (nor top_p under 0.95) and no
forced tool choice: those are left out, and a forced choice becomes auto.
"""
import json
from typing import AsyncIterator

from providers import http
from providers.adapters.base import Adapter, arguments_object, stream_of
from providers.samples import Sample, keyword_lines, literal
from providers.shape import Fields
from providers.streaming import collect
from providers.types import (
    PROVIDER_ERROR,
    UNAVAILABLE,
    Capabilities,
    ChatRequest,
    ChatResult,
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

API_VERSION = "2023-06-01"
MIN_THINKING_BUDGET = 1024  # the API's smallest budget_tokens
RESPOND_TOOL = "respond"
FINISH_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
                  "pause_turn": "stop", "refusal": "content_filter"}


def wire_messages(messages: list[Message]) -> tuple[str, list[dict]]:
    """(system text, messages) with tool calls and results as content blocks and same-role turns merged."""
    system = [m.content for m in messages if m.role == "system" and m.content]
    turns: list[dict] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return "\n\n".join(system), turns


def _blocks(message: Message) -> list[dict]:
    if message.role == "tool":
        return [{"type": "tool_result", "tool_use_id": message.tool_call_id or "", "content": message.content}]
    blocks = thinking_blocks(message) if message.role == "assistant" else []
    blocks += [{"type": "image", "source": {"type": "base64", "media_type": image.media_type, "data": image.base64}}
               for image in message.images]
    blocks += [{"type": "text", "text": message.content}] if message.content else []
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": arguments_object(call.arguments)})
    return blocks


def thinking_blocks(message: Message) -> list[dict]:
    """The thinking blocks of a stored reply, rebuilt verbatim; none unless every one can be (another model's
    reasoning, or one without signatures, is not sent)."""
    kept = (message.reasoning_extra or {}).get("thinking_blocks")
    if not isinstance(kept, list):
        return []
    blocks, at = [], 0
    for block in kept:
        if not isinstance(block, dict):
            return []
        if block.get("type") == "redacted_thinking" and isinstance(block.get("data"), str):
            blocks.append({"type": "redacted_thinking", "data": block["data"]})
        elif isinstance(block.get("signature"), str) and isinstance(block.get("chars"), int):
            text = message.reasoning[at:at + block["chars"]]
            blocks.append({"type": "thinking", "thinking": text, "signature": block["signature"]})
            at += block["chars"]
        else:
            return []
    return blocks if at == len(message.reasoning) else []


class AnthropicAdapter(Adapter):
    """x-api-key and anthropic-version headers; system at the top level; max_tokens always sent."""

    default_capabilities = Capabilities(streaming=True, tools=True, tool_streaming=True, parallel_tool_calls=True,
                                        json_object=True, json_schema=True, stream_usage=True)

    def headers(self) -> dict:
        headers = {**self.config.extra_headers, "anthropic-version": API_VERSION}
        key = self.config.key()
        if key:
            headers["x-api-key"] = key
        return headers

    def structured_fallback(self, request: ChatRequest) -> str | None:
        fmt = request.response_format
        if not fmt or fmt.type not in ("json_object", "json_schema"):
            return None
        if self.thinking_budget(request.params) is not None:
            return f"tool '{RESPOND_TOOL}' offered, not forced (thinking forbids it), for {fmt.type}"
        return f"forced tool '{RESPOND_TOOL}' for {fmt.type}"

    # Request body -----------------------------------------------------------

    def build_body(self, request: ChatRequest, stream: bool) -> dict:
        system, messages = wire_messages(request.messages)
        p = request.params
        budget = self.thinking_budget(p)
        default_max = self.config.options.get("default_max_tokens", 4096)
        body: dict = {"model": request.model, "messages": messages,
                      "max_tokens": p.max_tokens or (default_max if budget is None else budget + default_max)}
        if system:
            body["system"] = system
        if stream:
            body["stream"] = True
        if budget is not None:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        for name, allowed in (("temperature", lambda t: t == 1), ("top_p", lambda t: t >= 0.95)):
            value = getattr(p, name)
            if value is not None and (budget is None or allowed(value)):
                body[name] = value
        if p.stop:
            body["stop_sequences"] = list(p.stop)
        tools = [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools]
        choice = self.tool_choice(request)
        if self.structured_fallback(request):
            tools.append(self.respond_tool(request))
            choice = {"type": "tool", "name": RESPOND_TOOL} if not request.tools else {"type": "any"}
        if tools:
            body["tools"] = tools
        if choice and budget is not None and choice["type"] in ("any", "tool"):
            choice = {"type": "auto"}
        if choice and tools:
            if request.parallel_tool_calls is False and choice["type"] != "none":
                choice["disable_parallel_tool_use"] = True
            body["tool_choice"] = choice
        return body

    def reasoning_controls(self) -> tuple[str, ...]:
        return ("thinking_budget", "think")

    def thinking_budget(self, p: Params) -> int | None:
        """The thinking budget to ask for, or None for no thinking (a model without the capability never thinks)."""
        if not self.config.capabilities.reasoning or p.think is False or p.thinking_budget == 0:
            return None
        if p.thinking_budget is not None:
            return p.thinking_budget
        if p.think:
            return self.config.options.get("default_thinking_budget", MIN_THINKING_BUDGET * 2)
        return None

    def tool_choice(self, request: ChatRequest) -> dict | None:
        choice = request.tool_choice
        if choice is None:
            return {"type": "auto"} if request.parallel_tool_calls is False else None
        if choice.mode == "function":
            return {"type": "tool", "name": choice.name}
        return {"type": {"required": "any"}.get(choice.mode, choice.mode)}

    @staticmethod
    def respond_tool(request: ChatRequest) -> dict:
        fmt = request.response_format
        schema = fmt.schema if fmt.type == "json_schema" and fmt.schema else {"type": "object"}
        return {"name": RESPOND_TOOL, "description": f"Give the final answer as {fmt.name}: a JSON object.",
                "input_schema": schema}

    # Calls ----------------------------------------------------------------------

    async def stream_reply(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        body = self.build_body(request, stream=True)
        state = _StreamState(self.config.name, structured=bool(self.structured_fallback(request)))
        async with http.open_response(self.config, "POST", self.url("/v1/messages"), json_body=body,
                                      headers=self.headers()) as reply:
            async for data in reply.sse_data():
                for neutral in state.translate(Fields(data, "event", self.config.name)):
                    yield neutral
        for neutral in state.finish():
            yield neutral

    async def whole_reply(self, request: ChatRequest) -> ChatResult:
        data = await http.request_json(self.config, "POST", self.url("/v1/messages"),
                                       json_body=self.build_body(request, stream=False), headers=self.headers())
        state = _StreamState(self.config.name, structured=bool(self.structured_fallback(request)))
        return await collect(stream_of(state.whole(Fields(data, "reply", self.config.name))))

    def request_sample(self, request: ChatRequest) -> Sample:
        return Sample(self.url("/v1/messages"), self.headers(), self.build_body(request, stream=True),
                      model=request.model)

    def python_sample(self, sample: Sample, env_var: str) -> str:
        """The official `anthropic` SDK."""
        client = f"anthropic.Anthropic(api_key=os.environ[{env_var!r}]"
        if self.config.base_url.rstrip("/") != "https://api.anthropic.com":
            client += f", base_url={self.config.base_url.rstrip('/')!r}"
        if self.config.extra_headers:
            client += f", default_headers={literal(self.config.extra_headers, 4)}"
        body = {key: value for key, value in sample.body.items() if key != "stream"}
        lines = ["import os", "", "import anthropic", "", f"client = {client})", "",
                 "with client.messages.stream("]
        lines += keyword_lines(body)
        lines += [") as stream:", "    for text in stream.text_stream:", '        print(text, end="", flush=True)',
                  "print()", ""]
        return "\n".join(lines)

    async def list_models(self) -> list[ModelInfo]:
        data = await http.request_json(self.config, "GET", self.url("/v1/models"), headers=self.headers(),
                                       params={"limit": 1000})
        models = []
        for item in Fields(data, "model list", self.config.name).objects("data"):
            model_id = item.text("id")
            if model_id:
                models.append(ModelInfo(id=model_id, display_name=item.text("display_name") or model_id))
        return models


class _StreamState:
    """Follows content blocks by index and turns Anthropic events into neutral ones."""

    def __init__(self, provider: str, structured: bool):
        self.provider = provider
        self.structured = structured
        self.blocks: dict[int, dict] = {}  # wire index -> {"kind": "text"|"tool"|"json"|"thinking", ...}
        self.calls = 0
        self.thinking: list[dict] = []  # finished thinking blocks: what must be sent back
        self.prompt_tokens = self.completion_tokens = None
        self.stop_reason = None

    def translate(self, event: Fields) -> list[StreamEvent]:
        kind = event.text("type")
        if kind == "error":
            self.raise_error(event.obj("error"))
        if kind == "message_start":
            self.read_usage(event.obj("message").obj("usage"))
        elif kind == "content_block_start":
            return self.start_block(event.integer("index") or 0, event.obj("content_block"))
        elif kind == "content_block_delta":
            return self.delta(event.integer("index") or 0, event.obj("delta"))
        elif kind == "content_block_stop":
            return self.stop_block(event.integer("index") or 0)
        elif kind == "message_delta":
            self.stop_reason = event.obj("delta").text("stop_reason") or self.stop_reason
            self.read_usage(event.obj("usage"))
        return []  # ping, message_stop, unknown events

    def read_usage(self, usage: Fields) -> None:
        self.prompt_tokens = usage.integer("input_tokens") or self.prompt_tokens
        output = usage.integer("output_tokens")
        self.completion_tokens = self.completion_tokens if output is None else output

    def whole(self, message: Fields) -> list[StreamEvent]:
        """The events of a whole Messages reply, as if it had been streamed."""
        if message.text("type") == "error":
            self.raise_error(message.obj("error"))
        self.read_usage(message.obj("usage"))
        self.stop_reason = message.text("stop_reason")
        events: list[StreamEvent] = []
        for index, block in enumerate(message.objects("content")):
            events += self.start_block(index, block)
            if block.text("type") == "tool_use":
                events += self.arguments(index, json.dumps(block.obj("input").data))
            events += self.stop_block(index)
        return events + self.finish()

    def start_block(self, index: int, block: Fields) -> list[StreamEvent]:
        kind = block.text("type")
        if kind == "thinking":
            text = block.text("thinking") or ""
            self.blocks[index] = {"kind": "thinking", "chars": len(text), "signature": block.text("signature") or ""}
            return [ReasoningDelta(text)] if text else []
        if kind == "redacted_thinking":
            self.blocks[index] = {"kind": "redacted", "data": block.text("data") or ""}
            return []
        if kind != "tool_use":
            self.blocks[index] = {"kind": "text"}
            text = block.text("text")
            return [TextDelta(text)] if text else []
        name = block.text("name")
        if self.structured and name == RESPOND_TOOL:
            self.blocks[index] = {"kind": "json", "args": False}
            return []
        self.blocks[index] = {"kind": "tool", "call": self.calls, "args": False}
        self.calls += 1
        return [ToolCallDelta(index=self.blocks[index]["call"], id=block.text("id"), name=name)]

    def delta(self, index: int, delta: Fields) -> list[StreamEvent]:
        kind = delta.text("type")
        if kind == "text_delta":
            text = delta.text("text")
            return [TextDelta(text)] if text else []
        block = self.blocks.get(index, {})
        if kind == "thinking_delta" and block.get("kind") == "thinking":
            text = delta.text("thinking") or ""
            block["chars"] += len(text)
            return [ReasoningDelta(text)] if text else []
        if kind == "signature_delta" and block.get("kind") == "thinking":
            block["signature"] += delta.text("signature") or ""
            return []
        partial = delta.text("partial_json") if kind == "input_json_delta" else None
        return self.arguments(index, partial) if partial else []

    def arguments(self, index: int, partial: str) -> list[StreamEvent]:
        block = self.blocks.get(index, {"kind": "text"})
        block["args"] = True
        if block["kind"] == "json":
            return [TextDelta(partial)]
        return [ToolCallDelta(index=block.get("call", 0), arguments_delta=partial)]

    def stop_block(self, index: int) -> list[StreamEvent]:
        block = self.blocks.get(index, {})
        if block.get("kind") == "thinking":
            self.thinking.append({"type": "thinking", "signature": block["signature"], "chars": block["chars"]})
        elif block.get("kind") == "redacted":
            self.thinking.append({"type": "redacted_thinking", "data": block["data"]})
        if block.get("kind") in ("thinking", "redacted"):
            return [ReasoningDelta("", {"thinking_blocks": list(self.thinking)})]  # the whole list: extras merge
        if block.get("kind") in ("tool", "json") and not block["args"]:
            if block["kind"] == "json":
                return [TextDelta("{}")]
            return [ToolCallDelta(index=block["call"], arguments_delta="{}")]
        return []

    def finish(self) -> list[StreamEvent]:
        if self.stop_reason is None:
            raise ProviderError(PROVIDER_ERROR, f"{self.provider} ended the stream before the reply finished.")
        reason = FINISH_REASONS.get(self.stop_reason, self.stop_reason)
        if reason == "tool_calls" and self.calls == 0:
            reason = "stop"  # only the forced structured-output tool was used
        events: list[StreamEvent] = []
        if self.prompt_tokens is not None or self.completion_tokens is not None:
            events.append(Usage(self.prompt_tokens, self.completion_tokens))
        return events + [Finish(reason)]

    def raise_error(self, error: Fields) -> None:
        overloaded = error.text("type") == "overloaded_error"
        detail = error.text("message") or error.text("type") or "no details given"
        raise ProviderError(UNAVAILABLE if overloaded else PROVIDER_ERROR,
                            f"{self.provider} reported an error: {detail}")
