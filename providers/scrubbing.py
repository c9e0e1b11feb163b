"""Keeping a provider's own key out of what it sends back: error bodies and replies.

`scrub` cleans a whole text; `scrub_events` cleans a reply that arrives in
pieces, where the key may be split across two deltas; `scrub_result` cleans a
whole reply.
"""
from contextlib import aclosing
from dataclasses import replace
from typing import AsyncIterator

from providers.types import ChatResult, Finish, Logprobs, ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta

MASK = "****"
SHORTEST_KEY = 4  # shorter "keys" would mask ordinary text


def maskable(key: str | None) -> bool:
    return bool(key) and len(key) >= SHORTEST_KEY


def hide_key(text: str, key: str | None) -> str:
    """`text` with every whole occurrence of `key` masked."""
    if maskable(key) and key in text:
        text = text.replace(key, MASK)
    return text


def scrub(text: str, config) -> str:
    """Remove the provider's key from text that may echo it back."""
    return hide_key(text, config.key() if config.api_key else None)


def _key_start_length(text: str, key: str) -> int:
    """Length of the longest end of `text` that is a proper start of `key` (0 if none)."""
    i = text.find(key[0], max(0, len(text) - len(key) + 1))
    while i != -1:
        if key.startswith(text[i:]):
            return len(text) - i
        i = text.find(key[0], i + 1)
    return 0


class PieceScrubber:
    """Scrubs a text that arrives in pieces, holding back an end that could still become the key."""

    __slots__ = ("key", "held")

    def __init__(self, key: str):
        self.key = key
        self.held = ""

    def feed(self, piece: str) -> str:
        if not self.held and self.key[0] not in piece:
            return piece  # neither the key nor the start of one: most pieces
        text = hide_key(self.held + piece, self.key)
        keep = _key_start_length(text, self.key)
        self.held = text[len(text) - keep:] if keep else ""
        return text[:len(text) - keep]

    def flush(self) -> str:
        """What is held back: a start of the key long enough to matter is masked."""
        held, self.held = self.held, ""
        return MASK if len(held) >= SHORTEST_KEY else held


def _logprobs(tokens: list[dict] | None, key: str) -> list[dict] | None:
    """Token texts with the key masked (a token is far shorter than a key; a whole one is masked all the same)."""
    if tokens is None:
        return None
    return [{**t, "token": hide_key(t["token"], key),
             "top": [{**alt, "token": hide_key(alt["token"], key)} for alt in t.get("top") or ()]} for t in tokens]


def _flushed(text: PieceScrubber, calls: dict[int, PieceScrubber], thought: PieceScrubber) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    tail = thought.flush()
    if tail:
        events.append(ReasoningDelta(tail))
    tail = text.flush()
    if tail:
        events.append(TextDelta(tail))
    for index, scrubber in calls.items():
        tail = scrubber.flush()
        if tail:
            events.append(ToolCallDelta(index=index, arguments_delta=tail))
    return events


def scrub_events(events: AsyncIterator[StreamEvent], key: str | None) -> AsyncIterator[StreamEvent]:
    """The events with `key` masked in text, reasoning and tool-call arguments, across delta boundaries."""
    return _scrubbed(events, key) if maskable(key) else events


async def _scrubbed(events: AsyncIterator[StreamEvent], key: str) -> AsyncIterator[StreamEvent]:
    """Text held back is released before the Finish event, or before an error is raised, so a
    partial reply keeps everything that is not the key."""
    text, calls, thought = PieceScrubber(key), {}, PieceScrubber(key)
    async with aclosing(events):  # a reply cancelled here closes the provider's stream at once
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    safe = text.feed(event.text)
                    if safe:
                        yield event if safe is event.text else TextDelta(safe)
                    continue
                if isinstance(event, ReasoningDelta):
                    safe = thought.feed(event.text)
                    if safe or event.extra:
                        yield ReasoningDelta(safe, event.extra)
                    continue
                if isinstance(event, ToolCallDelta) and event.arguments_delta:
                    scrubber = calls.setdefault(event.index, PieceScrubber(key))
                    event = replace(event, arguments_delta=scrubber.feed(event.arguments_delta))
                elif isinstance(event, Logprobs):
                    event = Logprobs(_logprobs(event.tokens, key))
                elif isinstance(event, Finish):
                    for held in _flushed(text, calls, thought):
                        yield held
                yield event
        except Exception:
            for held in _flushed(text, calls, thought):
                yield held
            raise
        for held in _flushed(text, calls, thought):
            yield held


def scrub_result(result: ChatResult, key: str | None) -> ChatResult:
    """A whole reply with `key` masked in its text, reasoning and tool-call arguments."""
    if not maskable(key):
        return result
    calls = [replace(c, arguments=hide_key(c.arguments, key)) for c in result.tool_calls]
    return replace(result, content=hide_key(result.content, key), tool_calls=calls,
                   reasoning=hide_key(result.reasoning, key), logprobs=_logprobs(result.logprobs, key))
