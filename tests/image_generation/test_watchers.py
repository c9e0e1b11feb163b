"""A teammate watching a team conversation sees an image turn arrive: both messages as `message.created` frames."""
import pytest
from django.test import AsyncClient

from tests.chat.wsclient import connect
from tests.image_generation.conftest import URL

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_a_watcher_gets_the_prompt_and_the_images(alice, bob, painter):
    client = AsyncClient()
    await client.aforce_login(alice)
    ask = {"provider": "loopback", "model": "gpt-image-1", "prompt": "A red kite", "size": "256x256", "n": 1,
           "visibility": "team"}
    first = await client.post(URL, {**ask, "conversation_id": None}, content_type="application/json")
    conversation = first.json()["conversation"]["id"]
    watcher = await connect(bob)
    await watcher.send_json_to({"type": "conversation.watch", "conversation_id": conversation})
    assert (await watcher.receive_json_from())["type"] == "conversation.state"
    answer = await client.post(URL, {**ask, "conversation_id": conversation, "prompt": "A blue kite"},
                               content_type="application/json")
    assert answer.status_code == 201, answer.content
    seen = [await watcher.receive_json_from(timeout=5) for _ in range(2)]
    assert [f["type"] for f in seen] == ["message.created"] * 2
    assert [f["message"] for f in seen] == answer.json()["messages"]
    assert seen[1]["message"]["images"][0]["width"] == 256 and seen[0]["conversation_id"] == conversation
    await watcher.disconnect()
