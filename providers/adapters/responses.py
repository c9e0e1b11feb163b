"""The OpenAI Responses wire format: POST {base_url}/responses, typed SSE events, no `[DONE]`.

Spoken by OpenAI, vLLM, Ollama (0.13.3 on), LM Studio (0.3.29 on) and OpenRouter's beta.
The adapter is stateless: `store: false`, and the whole history goes as input items
every turn (messages, `function_call` and `function_call_output` items, and the
reasoning items a reasoning model asked to get back, with their encrypted content).
Auth, headers and the model list are the chat-completions adapter's.
"""
from typing import AsyncIterator

from providers import http
from providers.adapters.base import stream_of
from providers.adapters.openai import OpenAIAdapter
from providers.samples import Sample, fetch_javascript, keyword_lines, literal
from providers.shape import Fields
from providers.streaming import collect
from providers.types import (
    PROVIDER_ERROR,
    ChatRequest,
    ChatResult,
    Finish,
    Message,
    ProviderError,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
)

REASONING_ITEMS = "responses_reasoning"  # the key, in a message's reasoning_extra, of the reasoning items to send back
SUMMARY_PARTS = "\n\n"  # between the parts of a reasoning summary
INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}


def reasoning_effort(request: ChatRequest) -> str | None:
    # Read with getattr: the neutral Params gain `reasoning_effort` in the reasoning work, merged separately.
    return getattr(request.params, "reasoning_effort", None)


def input_items(messages: list[Message], reasoning: bool) -> list[dict]:
    """The conversation as Responses input items, in order.

    Reasoning items kept from earlier turns go back only when this request asks for reasoning:
    a model that does not reason may refuse them.
    """
    items: list[dict] = []
    for message in messages:
        if message.role == "tool":
            items.append({"type": "function_call_output", "call_id": message.tool_call_id or "",
                          "output": message.content})
            continue
        if message.role == "assistant" and reasoning:
            items += (message.reasoning_extra or {}).get(REASONING_ITEMS) or []
        if message.content or not message.tool_calls:
            part = "output_text" if message.role == "assistant" else "input_text"
            images = [{"type": "input_image", "image_url": image.data_url} for image in message.images]
            items.append({"type": "message", "role": message.role,
                          "content": [{"type": part, "text": message.content}] + images})
        items += [{"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments or "{}"}
                  for call in message.tool_calls]
    return items


class ResponsesAdapter(OpenAIAdapter):
    """Bearer key; function tools are flat; structured output through `text.format`."""

    stream_usage_optional = False  # usage always comes with response.completed

    def chat_url(self, model: str) -> str:
        return self.url("/responses")

    def wire_tool_choice(self, request: ChatRequest):
        choice = request.tool_choice
        return {"type": "function", "name": choice.name} if choice.mode == "function" else choice.mode

    def build_body(self, request: ChatRequest, stream: bool) -> dict:
        """stop, seed and the penalties have no Responses field and are not sent."""
        effort = reasoning_effort(request)
        body: dict = {"model": request.model, "input": input_items(request.messages, bool(effort)), "store": False}
        if stream:
            body["stream"] = True
        p = request.params
        for name in ("temperature", "top_p"):
            if getattr(p, name) is not None:
                body[name] = getattr(p, name)
        if p.max_tokens is not None:
            body["max_output_tokens"] = p.max_tokens
        if effort:
            body["reasoning"] = {"effort": effort, "summary": "auto"}
            body["include"] = ["reasoning.encrypted_content"]  # stateless: reasoning comes back to be sent again
        if request.tools:
            # strict defaults to true here, which refuses any schema not written for it.
            body["tools"] = [{"type": "function", "name": t.name, "description": t.description,
                              "parameters": t.parameters, "strict": False} for t in request.tools]
            if request.tool_choice:
                body["tool_choice"] = self.wire_tool_choice(request)
            if request.parallel_tool_calls is not None and self.config.capabilities.parallel_tool_calls:
                body["parallel_tool_calls"] = request.parallel_tool_calls
        fmt = request.response_format
        if fmt and fmt.type == "json_object":
            body["text"] = {"format": {"type": "json_object"}}
        elif fmt and fmt.type == "json_schema":
            body["text"] = {"format": {"type": "json_schema", "name": fmt.name, "schema": fmt.schema or {},
                                       "strict": fmt.strict}}
        return body

    # Calls ----------------------------------------------------------------------

    async def stream_reply(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        state = _Reading(self.config)
        async with http.open_response(self.config, "POST", self.chat_url(request.model),
                                      json_body=self.build_body(request, stream=True), headers=self.headers()) as reply:
            async for data in reply.sse_data():
                for event in state.translate(Fields(data, "event", self.config.name)):
                    yield event
        for event in state.finish():
            yield event

    async def whole_reply(self, request: ChatRequest) -> ChatResult:
        data = await http.request_json(self.config, "POST", self.chat_url(request.model),
                                       json_body=self.build_body(request, stream=False), headers=self.headers())
        state = _Reading(self.config)
        return await collect(stream_of(state.whole(Fields(data, "response", self.config.name))))

    def request_sample(self, request: ChatRequest) -> Sample:
        return Sample(self.chat_url(request.model), self.headers(), self.build_body(request, stream=True),
                      model=request.model)

    def javascript_sample(self, sample: Sample, env_var: str) -> str:
        if "prompt" in sample.body:  # a text completion: the chat-completions adapter's /completions
            return super().javascript_sample(sample, env_var)
        return fetch_javascript(sample, env_var)  # not the parent's chat.completions SDK call

    def python_sample(self, sample: Sample, env_var: str) -> str:
        """The official `openai` SDK's `client.responses.create`, printing text as it streams."""
        if "prompt" in sample.body:
            return super().python_sample(sample, env_var)
        client = f"OpenAI(base_url={self.config.base_url.rstrip('/')!r}, api_key=os.environ[{env_var!r}]"
        if self.config.extra_headers:
            client += f", default_headers={literal(self.config.extra_headers, 4)}"
        lines = ["import os", "", "from openai import OpenAI", "", f"client = {client})", "",
                 "stream = client.responses.create("]
        lines += keyword_lines(sample.body)
        lines += [")", "for event in stream:", '    if event.type == "response.output_text.delta":',
                  '        print(event.delta, end="", flush=True)', "print()", ""]
        return "\n".join(lines)


class _Reading:
    """Turns Responses events (or a whole response) into neutral events.

    Output items are followed by their `output_index`: function calls get neutral
    indexes in the order they appear, and an item whose text or arguments came
    only whole (in its `.done` or `output_item.done` event) is sent whole.
    """

    def __init__(self, config):
        self.config = config
        self.calls: dict[int, dict] = {}  # output_index -> {"index": neutral index, "sent": bool}
        self.texts: set[int] = set()  # output indexes whose text has been sent
        self.reasoning: list[dict] = []  # reasoning items to send back next turn
        self.response: Fields | None = None  # the final response object
        self.refused = False

    def translate(self, event: Fields) -> list[StreamEvent]:
        kind = event.text("type") or ""
        index = event.integer("output_index") or 0
        if kind == "error":
            raise self.error(event.text("message"), event.text("code"))
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            self.response = event.needed("response")
            if kind == "response.failed":
                self.raise_failure(self.response)
            return self.settle(self.response)
        if kind == "response.output_item.added":
            return self.item_added(index, event.needed("item"))
        if kind == "response.output_item.done":
            return self.item_done(index, event.needed("item"))
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            return self.text(index, event.text("delta"), refusal=kind == "response.refusal.delta")
        if kind == "response.function_call_arguments.delta":
            return self.arguments(index, event.text("delta"))
        if kind == "response.function_call_arguments.done":
            return self.arguments(index, event.text("arguments"), only_if_unsent=True)
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            # A summary (OpenAI), or the reasoning itself (open-weight models on vLLM, Ollama, LM Studio).
            delta = event.text("delta")
            return [ReasoningDelta(delta)] if delta else []
        if kind == "response.reasoning_summary_part.added" and event.integer("summary_index"):
            return [ReasoningDelta(SUMMARY_PARTS)]
        return []  # created, in_progress, content parts, done events whose text already arrived, unknown events

    def text(self, index: int, text: str | None, refusal: bool = False) -> list[StreamEvent]:
        self.refused = self.refused or refusal
        if not text:
            return []
        self.texts.add(index)
        return [TextDelta(text)]

    def item_added(self, index: int, item: Fields) -> list[StreamEvent]:
        if item.text("type") != "function_call":
            return []
        call = self.calls.setdefault(index, {"index": len(self.calls), "sent": False})
        events: list[StreamEvent] = [ToolCallDelta(call["index"], id=item.text("call_id"), name=item.text("name"))]
        return events + self.arguments(index, item.text("arguments"))

    def item_done(self, index: int, item: Fields) -> list[StreamEvent]:
        kind = item.text("type")
        if kind == "function_call":
            events = self.item_added(index, item) if index not in self.calls else []
            return events + self.arguments(index, item.text("arguments"), only_if_unsent=True)
        if kind == "reasoning":
            return self.reasoning_item(item)
        if kind == "message" and index not in self.texts:
            return [event for part in item.objects("content")
                    for event in self.text(index, part.text("text") or part.text("refusal"),
                                           refusal=part.text("type") == "refusal")]
        return []

    def reasoning_item(self, item: Fields) -> list[StreamEvent]:
        """A finished reasoning item is kept, to be sent back, only with its encrypted content (nothing is stored)."""
        if not item.text("encrypted_content") or item.data in self.reasoning:
            return []
        self.reasoning.append(item.data)
        return [ReasoningDelta("", {REASONING_ITEMS: list(self.reasoning)})]

    def arguments(self, index: int, arguments: str | None, only_if_unsent: bool = False) -> list[StreamEvent]:
        call = self.calls.get(index)
        if call is None or not arguments or (only_if_unsent and call["sent"]):
            return []
        call["sent"] = True
        return [ToolCallDelta(call["index"], arguments_delta=arguments)]

    def whole(self, response: Fields) -> list[StreamEvent]:
        """The events of a whole response, as if it had been streamed."""
        if response.has("error") and not response.has("output"):
            raise self.error(response.obj("error").text("message"), response.obj("error").text("code"))
        if response.text("status") == "failed":
            self.raise_failure(response)
        events: list[StreamEvent] = []
        for item in response.objects("output"):
            if item.text("type") == "reasoning":
                parts = item.objects("summary") or item.objects("content")
                text = SUMMARY_PARTS.join(part.text("text") or "" for part in parts)
                events += [ReasoningDelta(text)] if text else []
        self.response = response
        return events + self.settle(response) + self.finish()

    def settle(self, response: Fields) -> list[StreamEvent]:
        """What the final response holds that did not arrive as events (some servers send items only there)."""
        return [event for index, item in enumerate(response.objects("output")) for event in self.item_done(index, item)]

    def finish(self) -> list[StreamEvent]:
        response = self.response
        if response is None:
            raise ProviderError(PROVIDER_ERROR, f"{self.config.name} ended the stream before the reply finished.")
        status = response.text("status")
        if status == "incomplete":
            cause = response.obj("incomplete_details").text("reason") or ""
            reason = INCOMPLETE_REASONS.get(cause, cause or "length")
        else:
            reason = "tool_calls" if self.calls else ("content_filter" if self.refused else "stop")
        events: list[StreamEvent] = []
        if response.has("usage"):
            usage = response.obj("usage")
            events.append(Usage(usage.integer("input_tokens"), usage.integer("output_tokens"),
                                usage.integer("total_tokens"),
                                usage.obj("output_tokens_details").integer("reasoning_tokens")))
        return events + [Finish(reason)]

    def raise_failure(self, response: Fields):
        error = response.obj("error")
        raise self.error(error.text("message"), error.text("code"))

    def error(self, message: str | None, code: str | None) -> ProviderError:
        detail = http.scrub(message or code or "no details given", self.config)
        suffix = f" ({code})" if code and message else ""
        return ProviderError(PROVIDER_ERROR, f"{self.config.name} reported an error: {detail}{suffix}")
