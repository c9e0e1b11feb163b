"""Reasoning written inline as `<think>…</think>` at the start of a reply (Qwen, DeepSeek-R1 on plain servers).

`ThinkSplitter` is fed the reply's text as it streams and splits it into
reasoning and answer. It copes with a tag cut across deltas (`<thi` + `nk>`),
leaves a reply that does not start with the tag untouched, and never loses a
character: reasoning + answer is the text with the two tags taken out.
"""
from contextlib import aclosing
from typing import AsyncIterator

from providers.types import Finish, ReasoningDelta, StreamEvent, TextDelta, Usage

OPEN, CLOSE = "<think>", "</think>"


def _partial_suffix(text: str, tag: str) -> int:
    """The length of the longest end of `text` that is a start of `tag` (a tag that may be cut)."""
    for size in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkSplitter:
    """Feed text deltas in order, then `flush()` once at the end of the reply."""

    def __init__(self):
        self.state = "start"  # start: not yet known whether the reply opens with <think>; thinking; answer
        self.held = ""

    def feed(self, text: str) -> list:
        if self.state == "answer":
            return [TextDelta(text)] if text else []
        self.held += text
        if self.state == "start":
            if self.held.startswith(OPEN):
                self.state, self.held = "thinking", self.held[len(OPEN):]
            elif OPEN.startswith(self.held):
                return []
            else:
                return self._answer(self.held)
        return self._thinking()

    def _thinking(self) -> list:
        end = self.held.find(CLOSE)
        if end >= 0:
            reasoning, rest = self.held[:end], self.held[end + len(CLOSE):]
            events = [ReasoningDelta(reasoning)] if reasoning else []
            return events + self._answer(rest)
        keep = _partial_suffix(self.held, CLOSE)
        reasoning = self.held[:len(self.held) - keep]
        self.held = self.held[len(self.held) - keep:]
        return [ReasoningDelta(reasoning)] if reasoning else []

    def _answer(self, text: str) -> list:
        self.state, self.held = "answer", ""
        return [TextDelta(text)] if text else []

    def flush(self) -> list:
        """What is still held when the reply ends: a lone tag start is answer; unclosed thinking is reasoning."""
        held, state = self.held, self.state
        self.state, self.held = "answer", ""
        if not held:
            return []
        return [ReasoningDelta(held)] if state == "thinking" else [TextDelta(held)]


async def split_stream(events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
    """A reply's events with inline reasoning split out of its text deltas; what is held is released at the
    end of the text (usage or finish) or before an error, so a broken reply keeps every character."""
    splitter = ThinkSplitter()
    async with aclosing(events):  # a cancelled reply closes the provider's stream at once
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    if splitter.state == "answer":  # past any reasoning: text passes as it came
                        if event.text:
                            yield event
                        continue
                    for split in splitter.feed(event.text):
                        yield split
                    continue
                if isinstance(event, (Usage, Finish)):
                    for split in splitter.flush():
                        yield split
                yield event
        except Exception:
            for split in splitter.flush():
                yield split
            raise
    for split in splitter.flush():
        yield split


def split_whole(text: str) -> tuple[str, str]:
    """(reasoning, answer) of a whole reply."""
    splitter = ThinkSplitter()
    events = splitter.feed(text) + splitter.flush()
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    return reasoning, "".join(e.text for e in events if isinstance(e, TextDelta))
