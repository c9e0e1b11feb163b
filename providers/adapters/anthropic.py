"""The Anthropic Messages wire format: POST {base_url}/v1/messages, SSE streaming.

Structured output has no native switch here, so it is emulated (a declared
fallback): the adapter forces a tool whose input_schema is the schema and turns
that tool's input back into text deltas, so callers see a JSON reply.
"""
from typing import AsyncIterator

from providers import http
from providers.adapters.base import Adapter, arguments_object
from providers.types import (
    PROVIDER_ERROR,
    UNAVAILABLE,
    Capabilities,
    ChatRequest,
    Finish,
    Message,
    ModelInfo,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
)

API_VERSION = "2023-06-01"
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
    blocks = [{"type": "text", "text": message.content}] if message.content else []
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": arguments_object(call.arguments)})
    return blocks


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
        if fmt and fmt.type in ("json_object", "json_schema"):
            return f"forced tool '{RESPOND_TOOL}' for {fmt.type}"
        return None

    # Request body -----------------------------------------------------------

    def build_body(self, request: ChatRequest, stream: bool) -> dict:
        system, messages = wire_messages(request.messages)
        p = request.params
        body: dict = {"model": request.model, "messages": messages,
                      "max_tokens": p.max_tokens or self.config.options.get("default_max_tokens", 4096)}
        if system:
            body["system"] = system
        if stream:
            body["stream"] = True
        for name in ("temperature", "top_p"):
            if getattr(p, name) is not None:
                body[name] = getattr(p, name)
        if p.stop:
            body["stop_sequences"] = list(p.stop)
        tools = [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools]
        choice = self.tool_choice(request)
        if self.structured_fallback(request):
            tools.append(self.respond_tool(request))
            choice = {"type": "tool", "name": RESPOND_TOOL} if not request.tools else {"type": "any"}
        if tools:
            body["tools"] = tools
        if choice and tools:
            if request.parallel_tool_calls is False and choice["type"] != "none":
                choice["disable_parallel_tool_use"] = True
            body["tool_choice"] = choice
        return body

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

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        body = self.build_body(request, stream=True)
        state = _StreamState(self.config.name, structured=bool(self.structured_fallback(request)))
        async with http.open_response(self.config, "POST", self.url("/v1/messages"), json_body=body,
                                      headers=self.headers()) as response:
            async for event in http.sse_data(response, self.config):
                for neutral in state.translate(event):
                    yield neutral
        for neutral in state.finish():
            yield neutral

    async def list_models(self) -> list[ModelInfo]:
        data = await http.request_json(self.config, "GET", self.url("/v1/models"), headers=self.headers(),
                                       params={"limit": 1000})
        items = data.get("data", []) if isinstance(data, dict) else []
        return [ModelInfo(id=m["id"], display_name=m.get("display_name") or m["id"])
                for m in items if isinstance(m, dict) and m.get("id")]


class _StreamState:
    """Follows content blocks by index and turns Anthropic events into neutral ones."""

    def __init__(self, provider: str, structured: bool):
        self.provider = provider
        self.structured = structured
        self.blocks: dict[int, dict] = {}  # wire index -> {"kind": "text"|"tool"|"json", "call": n, "args": bool}
        self.calls = 0
        self.prompt_tokens = self.completion_tokens = None
        self.stop_reason = None

    def translate(self, event: dict) -> list[StreamEvent]:
        kind = event.get("type")
        if kind == "error":
            self.raise_error(event.get("error") or {})
        if kind == "message_start":
            usage = (event.get("message") or {}).get("usage") or {}
            self.prompt_tokens = usage.get("input_tokens")
            self.completion_tokens = usage.get("output_tokens")
        elif kind == "content_block_start":
            return self.start_block(event.get("index", 0), event.get("content_block") or {})
        elif kind == "content_block_delta":
            return self.delta(event.get("index", 0), event.get("delta") or {})
        elif kind == "content_block_stop":
            return self.stop_block(event.get("index", 0))
        elif kind == "message_delta":
            self.stop_reason = (event.get("delta") or {}).get("stop_reason") or self.stop_reason
            usage = event.get("usage") or {}
            self.completion_tokens = usage.get("output_tokens", self.completion_tokens)
            if usage.get("input_tokens"):
                self.prompt_tokens = usage["input_tokens"]
        return []  # ping, message_stop, unknown events

    def start_block(self, index: int, block: dict) -> list[StreamEvent]:
        if block.get("type") != "tool_use":
            self.blocks[index] = {"kind": "text"}
            return [TextDelta(block["text"])] if block.get("text") else []
        if self.structured and block.get("name") == RESPOND_TOOL:
            self.blocks[index] = {"kind": "json", "args": False}
            return []
        self.blocks[index] = {"kind": "tool", "call": self.calls, "args": False}
        self.calls += 1
        return [ToolCallDelta(index=self.blocks[index]["call"], id=block.get("id"), name=block.get("name"))]

    def delta(self, index: int, delta: dict) -> list[StreamEvent]:
        block = self.blocks.get(index, {"kind": "text"})
        if delta.get("type") == "text_delta" and delta.get("text"):
            return [TextDelta(delta["text"])]
        if delta.get("type") != "input_json_delta" or not delta.get("partial_json"):
            return []  # thinking and signature deltas are not shown
        block["args"] = True
        if block["kind"] == "json":
            return [TextDelta(delta["partial_json"])]
        return [ToolCallDelta(index=block.get("call", 0), arguments_delta=delta["partial_json"])]

    def stop_block(self, index: int) -> list[StreamEvent]:
        block = self.blocks.get(index, {})
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
        return events + [Finish(reason, raw_reason=self.stop_reason)]

    def raise_error(self, error: dict) -> None:
        overloaded = error.get("type") == "overloaded_error"
        detail = error.get("message") or error.get("type") or "no details given"
        raise ProviderError(UNAVAILABLE if overloaded else PROVIDER_ERROR,
                            f"{self.provider} reported an error mid-stream: {detail}")
