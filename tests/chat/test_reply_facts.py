"""What a reply and its conversation say about themselves: titles, token counts and cost."""
import pytest

from chat.models import Conversation
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _end(user, content: str) -> dict:
    ws = await connect(user)
    frame = send_frame(content)
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    await ws.disconnect()
    return frames


async def test_a_title_is_the_first_message_without_its_markdown(alice, provider):
    frames = await _end(alice, "```python\nprint('hi')\n```\nWhy does **this** fail?")
    created = of_type(frames, "conversation.created")[0]
    assert created["conversation"]["title"] == "print('hi') Why does this fail?"
    assert (await Conversation.objects.aget()).title == "print('hi') Why does this fail?"


async def test_a_provider_that_reports_no_usage_gets_an_estimate_marked_as_such(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("x" * 400, pieces=4, usage=None))
    end = of_type(await _end(alice, "y" * 80), "stream.end")[0]
    assert end["usage"] == {"prompt_tokens": 20, "completion_tokens": 100, "total_tokens": 120, "estimated": True}
    assert end["cost"] == pytest.approx((20 * 1 + 100 * 2) / 1_000_000)


async def test_reported_usage_is_never_marked_as_an_estimate(alice, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("fine", usage=(7, 3)))
    end = of_type(await _end(alice, "Hi"), "stream.end")[0]
    assert end["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
