"""Ollama's native wire format: POST {base_url}/api/chat, newline-delimited JSON.

Tool calls arrive whole, with arguments as objects and usually without ids:
arguments are serialized to JSON text and ids synthesized. Tool results go back
by function name (`tool_name`).
"""
import json
from typing import AsyncIterator

from providers import http
from providers.adapters.base import Adapter, arguments_object, synthesized_id
from providers.types import (
    PROVIDER_ERROR,
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

OPTIONS = {"temperature": "temperature", "top_p": "top_p", "max_tokens": "num_predict", "seed": "seed",
           "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty"}
FINISH_REASONS = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop"}






def wire_messages(messages: list[Message]) -> list[dict]:
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    wired = []
    for message in messages:
        wire: dict = {"role": message.role, "content": message.content}
        if message.tool_calls:
            wire["tool_calls"] = [{"function": {"name": c.name, "arguments": arguments_object(c.arguments)}}
                                  for c in message.tool_calls]
        if message.role == "tool":
            wire["tool_name"] = message.name or names.get(message.tool_call_id or "", "")
        wired.append(wire)
    return wired


class OllamaAdapter(Adapter):
    """No key needed (a bearer key is sent if one is set, for Ollama behind a proxy)."""

    default_capabilities = Capabilities(streaming=True, tools=True, tool_streaming=False, parallel_tool_calls=False,
                                        json_object=True, json_schema=True, stream_usage=True)


    def headers(self) -> dict:
        key = self.config.key()
        return {**self.config.extra_headers, **({"Authorization": f"Bearer {key}"} if key else {})}

    def build_body(self, request: ChatRequest, stream: bool = True) -> dict:
        body: dict = {"model": request.model, "messages": wire_messages(request.messages), "stream": stream}
        p = request.params
        options = {wire: getattr(p, name) for name, wire in OPTIONS.items() if getattr(p, name) is not None}
        if p.stop:
            options["stop"] = list(p.stop)
        if options:
            body["options"] = options
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

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        calls, final = 0, None
        async with http.open_response(self.config, "POST", self.url("/api/chat"), json_body=self.build_body(request),
                                      headers=self.headers()) as response:
            async for line in http.ndjson(response, self.config):
                self._raise_for_error(line)
                message = line.get("message") or {}
                if message.get("content"):
                    yield TextDelta(message["content"])
                for call in message.get("tool_calls") or ():
                    yield self._call_delta(call, calls, line.get("created_at", ""))
                    calls += 1
                if line.get("done"):
                    final = line
                    break
        if final is None:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} ended the stream before the reply finished.")
        if final.get("prompt_eval_count") is not None or final.get("eval_count") is not None:
            yield Usage(final.get("prompt_eval_count"), final.get("eval_count"))
        raw = final.get("done_reason") or "stop"
        reason = FINISH_REASONS.get(raw, raw)
        yield Finish("tool_calls" if reason == "stop" and calls else reason, raw_reason=raw)

    @staticmethod
    def _call_delta(call: dict, index: int, created_at: str) -> ToolCallDelta:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
        call_id = call.get("id") or synthesized_id(created_at, index, function.get("name", ""), text)
        return ToolCallDelta(index=index, id=call_id, name=function.get("name", ""), arguments_delta=text)

    def _raise_for_error(self, line: dict) -> None:
        if line.get("error"):
            detail = http.scrub(str(line["error"]), self.config)
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} reported an error mid-stream: {detail}")

    async def list_models(self) -> list[ModelInfo]:
        data = await http.request_json(self.config, "GET", self.url("/api/tags"), headers=self.headers())
        items = data.get("models", []) if isinstance(data, dict) else []
        return [ModelInfo(id=m["name"], display_name=m.get("name")) for m in items if isinstance(m, dict) and m.get("name")]
