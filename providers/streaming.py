"""Gathering stream events into a whole reply."""
from typing import AsyncIterator

from providers.types import ChatResult, Finish, StreamEvent, TextDelta, ToolCall, ToolCallDelta, Usage


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


async def collect(events: AsyncIterator[StreamEvent]) -> ChatResult:
    """Read a whole stream into a ChatResult."""
    text: list[str] = []
    tools = ToolCallAssembler()
    usage, reason = None, "stop"
    async for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ToolCallDelta):
            tools.add(event)
        elif isinstance(event, Usage):
            usage = event
        elif isinstance(event, Finish):
            reason = event.reason
    return ChatResult(content="".join(text), tool_calls=tools.calls(), finish_reason=reason, usage=usage)


async def replay(result: ChatResult) -> AsyncIterator[StreamEvent]:
    """A whole reply as stream events (for turns sent without streaming)."""
    if result.content:
        yield TextDelta(result.content)
    for index, call in enumerate(result.tool_calls):
        yield ToolCallDelta(index=index, id=call.id, name=call.name, arguments_delta=call.arguments, extra=call.extra)
    if result.usage:
        yield result.usage
    yield Finish(result.finish_reason)
