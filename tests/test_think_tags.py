"""The `<think>` splitter: reasoning apart from the answer, whatever way the text is cut into deltas."""
import pytest

from providers.adapters.think_tags import ThinkSplitter, split_whole
from providers.types import ReasoningDelta, TextDelta

THOUGHT = "<think>\nThe user greets me; 2 < 3 and </thin is not a tag.\n</think>\n\nHello! <think>stays</think>"
PLAIN = "<thinking is what I do> and <think>later</think> stays put."


def split(deltas: list[str]) -> tuple[str, str, list]:
    splitter = ThinkSplitter()
    events = [e for d in deltas for e in splitter.feed(d)] + splitter.flush()
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    return reasoning, answer, events


def cuts(text: str):
    """The text in two deltas, cut at every point, and one character a delta."""
    yield from ([text[:i], text[i:]] for i in range(len(text) + 1))
    yield list(text)


@pytest.mark.parametrize("deltas", list(cuts(THOUGHT)), ids=lambda d: f"{len(d)}:{len(d[0])}")
def test_reasoning_at_the_start_is_split_out_at_every_cut(deltas):
    reasoning, answer, events = split(deltas)
    assert reasoning == "\nThe user greets me; 2 < 3 and </thin is not a tag.\n"
    assert answer == "\n\nHello! <think>stays</think>"
    assert all(e.text for e in events)


@pytest.mark.parametrize("deltas", list(cuts(PLAIN)), ids=lambda d: f"{len(d)}:{len(d[0])}")
def test_a_reply_that_does_not_start_with_the_tag_is_untouched_at_every_cut(deltas):
    reasoning, answer, _ = split(deltas)
    assert (reasoning, answer) == ("", PLAIN)


@pytest.mark.parametrize("text, expected", [
    ("<think>cut off while thinking", ("cut off while thinking", "")),
    ("<think>cut off at the close </thi", ("cut off at the close </thi", "")),
    ("<thi", ("", "<thi")),
    ("", ("", "")),
    ("<think></think>", ("", "")),
    ("<think>x</think>", ("x", "")),
    (" <think>x</think>", ("", " <think>x</think>")),
])
def test_edge_cases_lose_no_character(text, expected):
    assert split_whole(text) == expected
    for i in range(len(text) + 1):
        assert split([text[:i], text[i:]])[:2] == expected


def test_the_answer_streams_on_without_waiting_for_the_end():
    splitter = ThinkSplitter()
    assert splitter.feed("<think>a") == [ReasoningDelta("a")]
    assert splitter.feed("b</th") == [ReasoningDelta("b")]
    assert splitter.feed("ink>Hi") == [TextDelta("Hi")]
    assert splitter.feed(" there") == [TextDelta(" there")]
    assert splitter.flush() == []
