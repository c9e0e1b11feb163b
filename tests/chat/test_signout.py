"""Signing out, switching an account off or changing its password closes its open sockets with 4401."""
import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test import Client

from playground.asgi import application
from tests.live import daphne, server_env

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")
CLOSED = {"type": "websocket.close", "code": 4401}


async def _signed_in(user) -> Client:
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client


async def _socket(client: Client, path: str = "/ws/chat/") -> WebsocketCommunicator:
    """A socket opened with the client's session cookie, through the real ASGI stack."""
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    ws = WebsocketCommunicator(application, path, headers=[ORIGIN, (b"cookie", cookie)])
    connected, _ = await ws.connect()
    assert connected
    return ws


async def _still_open(ws: WebsocketCommunicator) -> None:
    """The socket still answers a frame."""
    await ws.send_json_to({"type": "conversation.watch", "conversation_id": 987654})
    assert (await ws.receive_json_from(timeout=5))["code"] == "not_found"


async def test_signing_out_closes_that_sessions_sockets_at_once(alice, bob):
    browser = await _signed_in(alice)
    tab, second_tab = await _socket(browser), await _socket(browser)
    experiments_tab = await _socket(browser, "/ws/experiments/")
    other_browser = await _socket(await _signed_in(alice))
    teammate = await _socket(await _signed_in(bob))
    response = await sync_to_async(browser.post)("/accounts/logout/")
    assert response.status_code == 302
    for ws in (tab, second_tab, experiments_tab):
        assert await ws.receive_output(timeout=5) == CLOSED
    await _still_open(other_browser)
    await _still_open(teammate)
    for ws in (other_browser, teammate):
        await ws.disconnect()


async def test_switching_an_account_off_closes_all_of_its_sockets(alice, bob):
    sockets = [await _socket(await _signed_in(alice)) for _ in range(2)]
    teammate = await _socket(await _signed_in(bob))
    alice.is_active = False
    await alice.asave()
    for ws in sockets:
        assert await ws.receive_output(timeout=5) == CLOSED
    await _still_open(teammate)
    await teammate.disconnect()


async def test_a_new_password_closes_the_accounts_sockets_and_other_changes_do_not(alice, bob):
    ws = await _socket(await _signed_in(alice))
    teammate = await _socket(await _signed_in(bob))
    alice.email = "alice@elsewhere.example"
    await alice.asave()
    await _still_open(ws)
    alice.set_password("a brand new passphrase")
    await alice.asave()
    assert await ws.receive_output(timeout=5) == CLOSED
    await _still_open(teammate)
    await teammate.disconnect()


def _cookie(user) -> tuple[Client, str]:
    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: runs in make test's PostgreSQL + Redis pass")
def test_signing_out_closes_the_sessions_sockets_on_every_server_process(alice, bob):
    browser, cookie = _cookie(alice)
    _, bob_cookie = _cookie(bob)
    env = server_env(dict(connection.settings_dict))

    async def open_socket(url: str, user_cookie: str):
        ws = await websockets.connect(url.replace("http://", "ws://") + "/ws/chat/", origin=url,
                                      additional_headers={"Cookie": user_cookie})
        await ws.send(json.dumps({"type": "conversation.watch", "conversation_id": 987654}))
        assert json.loads(await ws.recv())["code"] == "not_found"  # connected and joined its groups
        return ws

    async def scenario(url_a: str, url_b: str):
        sockets = [await open_socket(url_a, cookie), await open_socket(url_b, cookie)]
        teammate = await open_socket(url_b, bob_cookie)
        await asyncio.to_thread(browser.post, "/accounts/logout/")
        codes = []
        for ws in sockets:
            async with asyncio.timeout(10):
                await ws.wait_closed()
            codes.append(ws.close_code)
        await teammate.send(json.dumps({"type": "conversation.watch", "conversation_id": 987654}))
        answer = json.loads(await teammate.recv())
        await teammate.close()
        return codes, answer

    with daphne(env, "daphne-a") as url_a, daphne(env, "daphne-b") as url_b:
        codes, answer = asyncio.run(scenario(url_a, url_b))
    assert codes == [4401, 4401] and answer["code"] == "not_found"


def test_a_channel_layer_that_cannot_be_reached_does_not_undo_a_password_change(alice, settings, caplog):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    alice.set_password("a brand new passphrase")
    alice.save()
    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase")
    assert "Could not tell the sockets" in caplog.text
