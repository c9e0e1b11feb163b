"""Gathering neutral stream events into a reply: the one accumulator.

Chat replies, experiment runs and whole (non-streamed) replies all gather
events through `ReplyState.add`; a new kind of stream event is added here once.
"""
import time
from typing import AsyncIterator

from providers.types import (ChatResult, Finish, Logprobs, ReasoningDelta, StreamEvent, TextDelta, ToolCall, ToolCallDelta,
                             Usage)


class ToolCallAssembler:
    """Joins tool-call deltas by index into whole calls."""

    def __init__(self):
        self._calls: dict[int, dict] = {}

    def add(self, delta: ToolCallDelta) -> None:
        call = self._calls.setdefault(delta.index, {"id": "", "name": "", "arguments": [], "extra": None})
        if delta.extra:
            call["extra"] = {**(call["extra"] or {}), **delta.extra}
        if delta.id:
            call["id"] = delta.id
        if delta.name:
            call["name"] = delta.name
        if delta.arguments_delta:
            call["arguments"].append(delta.arguments_delta)

    def __bool__(self) -> bool:
        return bool(self._calls)

    def calls(self) -> list[ToolCall]:
        return [
            ToolCall(id=c["id"] or f"call_{i}", name=c["name"], arguments="".join(c["arguments"]), extra=c["extra"])
            for i, c in sorted(self._calls.items())
        ]


def call_dict(call: ToolCall) -> dict:
    """A tool call as stored and sent in frames; `extra` (e.g. Gemini's thought signature) kept where present."""
    data = {"id": call.id, "name": call.name, "arguments": call.arguments}
    if call.extra:
        data["extra"] = call.extra
    return data


class ReplyState:
    """What a reply has produced so far: its answer, reasoning, tool calls, usage, finish reason and timings.

    `started`, `first_byte` (the first event of any kind), `first_reasoning` and `first_token` (the first
    text or tool call of the answer) are `time.perf_counter()` readings.
    """

    __slots__ = ("started", "first_byte", "first_reasoning", "first_token", "text", "length", "reasoning",
                 "reasoning_length", "reasoning_extra", "tools", "usage", "finish_reason", "logprobs")

    def __init__(self):
        self.started = time.perf_counter()
        self.first_byte: float | None = None
        self.first_reasoning: float | None = None
        self.first_token: float | None = None
        self.text: list[str] = []
        self.length = 0  # characters of text so far
        self.reasoning: list[str] = []
        self.reasoning_length = 0
        self.reasoning_extra: dict | None = None
        self.tools = ToolCallAssembler()
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.logprobs: list[dict] | None = None  # per token, for a text completion that asked for them

    def add(self, event: StreamEvent) -> bool:
        """Take one event; True when it is output a reader sees (text, reasoning or a tool call)."""
        now = None
        if self.first_byte is None:
            self.first_byte = now = time.perf_counter()
        if isinstance(event, TextDelta):
            self.text.append(event.text)
            self.length += len(event.text)
        elif isinstance(event, ReasoningDelta):
            self.reasoning.append(event.text)
            self.reasoning_length += len(event.text)
            if event.extra:
                self.reasoning_extra = {**(self.reasoning_extra or {}), **event.extra}
            if not event.text:  # only data to send back (a signature): nothing a reader sees
                return False
            if self.first_reasoning is None:
                self.first_reasoning = now or time.perf_counter()
            return True
        elif isinstance(event, ToolCallDelta):
            self.tools.add(event)
        elif isinstance(event, Usage):
            self.usage = event
            return False
        elif isinstance(event, Logprobs):  # the text they describe arrives as a TextDelta
            if self.logprobs is None:
                self.logprobs = []
            self.logprobs.extend(event.tokens)
            return False
        elif isinstance(event, Finish):
            self.finish_reason = event.reason
            return False
        if self.first_token is None:
            self.first_token = now or time.perf_counter()
        return True

    @property
    def content(self) -> str:
        return "".join(self.text)

    @property
    def reasoning_text(self) -> str:
        return "".join(self.reasoning)

    def tool_calls(self) -> list[dict]:
        return [call_dict(call) for call in self.tools.calls()]

    def result(self) -> ChatResult:
        return ChatResult(content=self.content, tool_calls=self.tools.calls(), finish_reason=self.finish_reason or "stop",
                          usage=self.usage, reasoning=self.reasoning_text, reasoning_extra=self.reasoning_extra,
                          logprobs=self.logprobs)


async def collect(events: AsyncIterator[StreamEvent]) -> ChatResult:
    """Read a whole stream into a ChatResult."""
    state = ReplyState()
    async for event in events:
        state.add(event)
    return state.result()


async def replay(result: ChatResult) -> AsyncIterator[StreamEvent]:
    """A whole reply as stream events (for turns sent without streaming)."""
    if result.reasoning or result.reasoning_extra:
        yield ReasoningDelta(result.reasoning, result.reasoning_extra)
    if result.content:
        yield TextDelta(result.content)
    if result.logprobs is not None:
        yield Logprobs(result.logprobs)
    for index, call in enumerate(result.tool_calls):
        yield ToolCallDelta(index=index, id=call.id, name=call.name, arguments_delta=call.arguments, extra=call.extra)
    if result.usage:
        yield result.usage
    yield Finish(result.finish_reason)
