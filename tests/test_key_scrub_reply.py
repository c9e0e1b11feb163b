"""End to end: a provider that echoes its key in a streamed reply never shows it to the team."""
import json

import pytest

from chat.models import Message
from tests.chat.wsclient import connect, frames_until_end, send_frame
from tests.conftest import TEST_KEY
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_an_echoed_key_is_in_no_frame_and_not_stored(alice, provider, openai_fake):
    openai_fake.enqueue(Reply(text=["Your key: ", TEST_KEY[:9], TEST_KEY[9:], " - keep it safe."], delay=0.005))
    ws = await connect(alice)
    frame = send_frame("Tell me my key")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    await ws.disconnect()
    sent = json.dumps(frames)
    assert TEST_KEY not in sent and TEST_KEY[:9] not in sent
    stored = await Message.objects.aget(role="assistant")
    assert stored.content == "Your key: **** - keep it safe."
