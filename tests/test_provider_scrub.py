"""A provider that echoes its own key never gets it into a reply, streamed or whole, in any format."""
import pytest

from providers.registry import get_adapter
from providers.scrubbing import PieceScrubber
from providers.streaming import collect
from providers.types import ChatRequest, Message, ProviderError, TextDelta, Tool
from tests.fakes.registry import CASES, TEST_KEY
from tests.fakes.script import Reply, ScriptedCall

pytestmark = pytest.mark.timeout(30)
CUT = 11  # where the key is split between two deltas
ECHO = ["Your key is ", TEST_KEY[:CUT], TEST_KEY[CUT:] + " and", " that is all."]
LOOKUP = Tool("lookup", "Look up", {"type": "object", "properties": {"q": {"type": "string"}}})


def ask(**kwargs) -> ChatRequest:
    return ChatRequest(model="fake-model", messages=[Message("user", "What is my key?")], **kwargs)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_key_split_across_two_deltas_is_masked_and_the_rest_kept(case):
    with case.fake_class() as fake:
        fake.enqueue(Reply(text=ECHO))
        events = [e async for e in get_adapter(case.config(fake)).stream_chat(ask())]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert TEST_KEY not in text and TEST_KEY[:CUT] not in text
    assert text == "Your key is **** and that is all."


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_whole_reply_is_masked(case):
    with case.fake_class() as fake:
        fake.enqueue(Reply(text=ECHO))
        result = await get_adapter(case.config(fake)).chat(ask())
    assert result.content == "Your key is **** and that is all."


@pytest.mark.parametrize("mode", ["stream", "whole"])
@pytest.mark.parametrize("case", CASES, ids=str)
async def test_tool_call_arguments_are_masked(case, mode):
    pieces = ['{"q": "', TEST_KEY[:CUT], TEST_KEY[CUT:], '"}']
    with case.fake_class() as fake:
        fake.enqueue(Reply(tool_calls=[ScriptedCall("call_1", "lookup", pieces)], finish="tool_calls"))
        adapter = get_adapter(case.config(fake))
        request = ask(tools=(LOOKUP,))
        result = await (collect(adapter.stream_chat(request)) if mode == "stream" else adapter.chat(request))
    assert [c.arguments.replace(" ", "") for c in result.tool_calls] == ['{"q":"****"}']


async def test_a_stream_that_fails_keeps_its_text_but_not_a_key_start():
    case = CASES[0]
    with case.fake_class() as fake:
        fake.enqueue(Reply(text=["Partial answer, then ", TEST_KEY[:CUT], "x", "y", "z"], drop_after=3))
        texts = []
        with pytest.raises(ProviderError):
            async for event in get_adapter(case.config(fake)).stream_chat(ask()):
                texts.append(event.text if isinstance(event, TextDelta) else "")
    assert "".join(texts) == "Partial answer, then ****"


def test_held_text_that_turns_out_not_to_be_the_key_comes_through():
    scrubber = PieceScrubber(TEST_KEY)
    out = [scrubber.feed("I like sk-"), scrubber.feed("tea and sk"), scrubber.feed("y."), scrubber.flush()]
    assert "".join(out) == "I like sk-tea and sky."
    assert out[0] == "I like "  # "sk-" might have begun the key


async def test_closing_a_scrubbed_stream_early_closes_the_providers_connection():
    from contextlib import aclosing

    case = CASES[0]
    with case.fake_class() as fake:
        fake.enqueue(Reply(text=["a"] * 50, delay=0.05))
        async with aclosing(get_adapter(case.config(fake)).stream_chat(ask())) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    break
        assert fake.wait_for(lambda: fake.disconnects == 1)
