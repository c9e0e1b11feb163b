"""The fault matrix: every fault gives the same error code streamed or whole, in every wire format.

Each fault is scripted once (tests/fakes/script.py applies it to the bytes of
a streamed reply and of a whole one alike). A streamed reply that fails
midway keeps the text that arrived before the error.
"""
import socket
from dataclasses import dataclass, replace
from typing import Callable

import pytest

from providers.registry import get_adapter
from providers.types import (
    NOT_FOUND, PROVIDER_AUTH, PROVIDER_ERROR, RATE_LIMITED, TIMEOUT, UNAVAILABLE, ChatRequest, Message, ProviderError,
    TextDelta,
)
from tests.fakes.registry import CASES
from tests.fakes.script import INVALID_UTF8, Reply

pytestmark = pytest.mark.timeout(30)
PIECES = ["one ", "two ", "three ", "four ", "five ", "six."]
MIDWAY = 5  # events before a mid-reply fault: some text has arrived in every format


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass(frozen=True)
class Fault:
    name: str
    code: str
    reply: Callable[[], list[Reply]] = lambda: []
    config: Callable[[], dict] = dict
    midway: bool = False  # some of the reply arrives before it fails

    def __str__(self) -> str:
        return self.name


FAULTS = [
    Fault("401", PROVIDER_AUTH, lambda: [Reply.fail(401, "invalid key")]),
    Fault("403", PROVIDER_AUTH, lambda: [Reply.fail(403, "not allowed")]),
    Fault("404", NOT_FOUND, lambda: [Reply.fail(404, "no such model")]),
    Fault("429 with Retry-After", RATE_LIMITED, lambda: [Reply.fail(429, "slow down", retry_after=120)]),
    Fault("500", PROVIDER_ERROR, lambda: [Reply.fail(500, "boom")] * 3),
    Fault("stall before the first byte", TIMEOUT, lambda: [Reply(text=PIECES, stall_before=30)],
          lambda: {"timeout": 0.3}),
    Fault("stall mid-stream", TIMEOUT, lambda: [Reply(text=PIECES, stall_after=MIDWAY, stall_seconds=30)],
          lambda: {"idle_timeout": 0.3}, midway=True),
    Fault("dropped connection", UNAVAILABLE, lambda: [Reply(text=PIECES, drop_after=MIDWAY)], midway=True),
    Fault("malformed SSE", PROVIDER_ERROR, lambda: [Reply(text=PIECES, garbled_after=MIDWAY)], midway=True),
    Fault("invalid JSON in a chunk", PROVIDER_ERROR, lambda: [Reply(text=PIECES, malformed_after=MIDWAY)],
          midway=True),
    Fault("invalid UTF-8", PROVIDER_ERROR, lambda: [Reply(text=[*PIECES[:-1], INVALID_UTF8])], midway=True),
    Fault("an HTML page", PROVIDER_ERROR, lambda: [Reply.html()]),
    Fault("an empty answer", PROVIDER_ERROR, lambda: [Reply.empty()]),
    Fault("connection refused", UNAVAILABLE, config=lambda: {"base_url": closed_port_url(), "max_retries": 0}),
    Fault("DNS failure", UNAVAILABLE, config=lambda: {"base_url": "http://no-such-provider.invalid"}),
]


async def outcome(adapter, mode: str) -> tuple[str, ProviderError]:
    """(the text that arrived, the error raised) of one request in `mode`."""
    request = ChatRequest(model="fake-model", messages=[Message("user", "Count to six.")])
    texts = []
    try:
        if mode == "stream":
            async for event in adapter.stream_chat(request):
                if isinstance(event, TextDelta):
                    texts.append(event.text)
        else:
            await adapter.chat(request)
    except ProviderError as error:
        return "".join(texts), error
    raise AssertionError(f"{mode}: the reply completed instead of failing")


@pytest.mark.parametrize("fault", FAULTS, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_fault_gets_the_same_code_streamed_and_whole(case, fault):
    results = {}
    for mode in ("stream", "whole"):
        with case.fake_class() as fake:
            fake.enqueue(*fault.reply())
            adapter = get_adapter(replace(case.config(fake), **fault.config()))
            results[mode] = await outcome(adapter, mode)
    codes = {mode: error.code for mode, (_, error) in results.items()}
    assert codes == {"stream": fault.code, "whole": fault.code}, {m: e.message for m, (_, e) in results.items()}
    for _, error in results.values():
        assert f"Loopback {case.kind}" in error.message and "Traceback" not in error.message
    streamed_text = results["stream"][0]
    if fault.midway:
        assert streamed_text and "".join(PIECES).startswith(streamed_text)
    else:
        assert streamed_text == ""


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_429_reports_its_retry_after_without_waiting_for_it(case):
    with case.fake_class() as fake:
        fake.enqueue(Reply.fail(429, "slow down", retry_after=120))
        _, error = await outcome(get_adapter(case.config(fake)), "stream")
        assert error.retry_after == 120 and error.status == 429
        assert len(fake.chat_requests()) == 1


async def test_the_problem_is_named_for_a_person():
    case = CASES[0]
    messages = {}
    for name, reply in (("html", Reply.html()), ("empty", Reply.empty()),
                        ("utf8", Reply(text=["a", INVALID_UTF8])), ("garbled", Reply(text=PIECES, garbled_after=2))):
        with case.fake_class() as fake:
            fake.enqueue(reply)
            messages[name] = (await outcome(get_adapter(case.config(fake)), "stream"))[1].message
    assert "answered an HTML page (Sign in - Example Proxy), not an event stream" in messages["html"]
    assert "ended the stream without sending anything" in messages["empty"]
    assert "not valid UTF-8" in messages["utf8"]
    assert "not a server-sent event" in messages["garbled"]


async def test_a_stall_before_the_first_byte_has_one_deadline_across_retries():
    """Retries of 500s do not each get the timeout: the stall that follows them ends the one wait."""
    case = CASES[0]
    with case.fake_class() as fake:
        fake.enqueue(Reply.fail(500), Reply(text=PIECES, stall_before=30), Reply.text_of("never reached"))
        adapter = get_adapter(replace(case.config(fake), timeout=0.8, max_retries=5))
        _, error = await outcome(adapter, "stream")
    assert error.code == TIMEOUT and "did not start answering within 0.8 s" in error.message
    assert len(fake.chat_requests()) == 2


async def test_a_dns_failure_names_the_host_and_is_not_retried():
    case = CASES[0]
    with case.fake_class() as fake:
        adapter = get_adapter(replace(case.config(fake), base_url="http://no-such-provider.invalid/v1"))
    _, error = await outcome(adapter, "whole")
    assert "no-such-provider.invalid could not be found" in error.message and not error.retryable
