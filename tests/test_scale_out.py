"""Scale-out: two Daphne processes sharing PostgreSQL and Redis act as one playground."""
import asyncio
import json

import pytest
import websockets
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.fakes.script import Reply
from tests.live import daphne, server_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: runs in make test's PostgreSQL + Redis pass"),
]


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def _socket(url: str, user_cookie: str):
    ws_url = url.replace("http://", "ws://") + "/ws/chat/"
    return await websockets.connect(ws_url, origin=url, additional_headers={"Cookie": user_cookie})


async def _until(ws, predicate, timeout=15) -> list[dict]:
    frames = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if predicate(frame):
                return frames


def test_a_teammate_on_another_process_watches_and_the_owner_cancels_from_a_third_socket(alice, bob, provider, openai_fake):
    openai_fake.enqueue(Reply.text_of("first reply", pieces=3), Reply.text_of("z" * 300, pieces=300, delay=0.02))
    env = server_env(dict(connection.settings_dict))
    alice_cookie, bob_cookie = _cookie(alice), _cookie(bob)

    async def scenario(url_a: str, url_b: str):
        alice_ws = await _socket(url_a, alice_cookie)
        await alice_ws.send(json.dumps({"type": "chat.send", "request_id": "one", "conversation_id": None,
                                        "provider": provider.slug, "model": "fake-model", "content": "Hello"}))
        first = await _until(alice_ws, lambda f: f["type"] == "stream.end")
        conversation_id = first[0]["conversation_id"]
        bob_ws = await _socket(url_b, bob_cookie)
        await bob_ws.send(json.dumps({"type": "conversation.watch", "conversation_id": conversation_id}))
        await _until(bob_ws, lambda f: f["type"] == "conversation.state")
        await alice_ws.send(json.dumps({"type": "chat.send", "request_id": "two", "conversation_id": conversation_id,
                                        "provider": provider.slug, "model": "fake-model", "content": "Longer"}))
        await _until(bob_ws, lambda f: f["type"] == "stream.delta")  # frames made on A reach B through Redis
        canceller = await _socket(url_b, alice_cookie)
        await canceller.send(json.dumps({"type": "chat.cancel", "request_id": "two", "conversation_id": conversation_id}))
        end = (await _until(bob_ws, lambda f: f["type"] == "stream.end"))[-1]
        for ws in (alice_ws, bob_ws, canceller):
            await ws.close()
        return end

    with daphne(env, "daphne-a") as url_a, daphne(env, "daphne-b") as url_b:
        end = asyncio.run(scenario(url_a, url_b))
    assert end["status"] == "cancelled" and 0 < len(end["content"]) < 300
    assert openai_fake.wait_for(lambda: openai_fake.disconnects >= 1, 3)
