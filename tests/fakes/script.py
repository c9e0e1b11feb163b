"""Scripted replies, neutral: each wire-format fake renders them its own way.

Faults apply to the bytes, so the same Reply scripts the same fault for a
streamed reply and for one sent whole: "after N events" means half the body
of a whole reply.
"""
from dataclasses import dataclass, field

INVALID_UTF8 = "@@invalid-utf8@@"  # replaced on the wire by bytes that are not UTF-8
HTML_PAGE = b"<!doctype html><html><head><title>Sign in - Example Proxy</title></head><body>Sign in</body></html>"


@dataclass
class ScriptedCall:
    """A tool call whose arguments arrive in `pieces`."""

    id: str
    name: str
    pieces: list[str]

    @property
    def arguments(self) -> str:
        return "".join(self.pieces)


@dataclass
class Reply:
    text: list[str] = field(default_factory=list)  # text chunks, one per stream event
    tool_calls: list[ScriptedCall] = field(default_factory=list)
    interleave: bool = False  # send tool-call pieces round-robin across calls
    finish: str = "stop"  # neutral: stop, length, tool_calls
    usage: tuple[int, int] | None = (12, 5)  # prompt, completion tokens
    delay: float = 0.0  # seconds between stream events
    status: int = 200  # >= 400: an error reply with `error` as its message
    error: str = "scripted failure"
    retry_after: float | None = None
    stall_before: float = 0.0  # seconds before the response starts
    stall_after: int | None = None  # after this many events, go silent for stall_seconds
    stall_seconds: float = 30.0
    drop_after: int | None = None  # after this many events, cut the connection
    malformed_after: int | None = None  # after this many events, send a line that is not JSON
    garbled_after: int | None = None  # after this many events, send a line that is not a server-sent event
    raw_events: list[bytes] | None = None  # sent instead of the rendered stream events
    raw_body: bytes | None = None  # sent instead of the rendered whole reply
    content_type: str | None = None  # instead of the format's own
    echo_key_in_error: bool = False  # an error body that quotes the key it was sent
    reasoning: list[str] = field(default_factory=list)  # reasoning chunks, streamed before the text
    reasoning_tokens: int | None = None  # of the completion tokens in `usage`, reported apart where the API does

    @classmethod
    def text_of(cls, content: str, pieces: int = 1, **kwargs) -> "Reply":
        size = max(1, -(-len(content) // pieces))
        return cls(text=[content[i:i + size] for i in range(0, len(content), size)], **kwargs)

    @classmethod
    def fail(cls, status: int, error: str = "scripted failure", **kwargs) -> "Reply":
        return cls(status=status, error=error, **kwargs)

    @classmethod
    def html(cls) -> "Reply":
        """A 200 answer that is a web page (a proxy's sign-in page), streamed or not."""
        return cls(raw_events=[HTML_PAGE], raw_body=HTML_PAGE, content_type="text/html; charset=utf-8")

    @classmethod
    def empty(cls) -> "Reply":
        """A 200 answer with nothing in it."""
        return cls(raw_events=[], raw_body=b"")

    @property
    def content(self) -> str:
        return "".join(self.text)

    @property
    def thought(self) -> str:
        return "".join(self.reasoning)


def tool_call_pieces(calls: list[ScriptedCall], interleave: bool) -> list[tuple[int, ScriptedCall, int]]:
    """(index, call, piece number) in the order a stream sends them."""
    if not interleave:
        return [(i, c, n) for i, c in enumerate(calls) for n in range(len(c.pieces))]
    order = []
    longest = max((len(c.pieces) for c in calls), default=0)
    for n in range(longest):
        for i, c in enumerate(calls):
            if n < len(c.pieces):
                order.append((i, c, n))
    return order
