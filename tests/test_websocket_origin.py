"""The websocket Origin check, through the real ASGI app: scheme, host and port must all be the site's own."""
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from playground.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
SITE = b"localhost:8000"  # the Host a browser sends to http://localhost:8000


async def _cookie(user) -> bytes:
    client = Client()
    await sync_to_async(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _handshake(cookie: bytes, origin: bytes, host: bytes = SITE, **scope) -> int | None:
    """The close code the socket gets (None: it stays open)."""
    headers = [(b"host", host), (b"origin", origin), (b"cookie", cookie), *scope.pop("headers", [])]
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    communicator.scope.update(scope)
    await communicator.connect()
    await communicator.send_json_to({"type": "conversation.watch", "conversation_id": 999})
    output = await communicator.receive_output(timeout=5)
    if output["type"] == "websocket.send":  # an open socket answers the frame (not_found)
        await communicator.disconnect()
        return None
    await communicator.wait()
    return output.get("code")


async def test_the_sites_own_origin_connects(bob):
    assert await _handshake(await _cookie(bob), b"http://localhost:8000") is None


@pytest.mark.parametrize("origin", [b"http://localhost:9999", b"https://localhost:1", b"http://[::1]:1",
                                    b"https://localhost:8000", b"http://localhost", b"http://evil.example:8000",
                                    b"null", b"", b"http://localhost:notaport"])
async def test_another_scheme_host_or_port_is_refused_with_4403(bob, origin):
    assert await _handshake(await _cookie(bob), origin) == 4403


async def test_a_host_outside_allowed_hosts_is_refused_even_when_the_origin_matches_it(bob):
    assert await _handshake(await _cookie(bob), b"http://evil.example:8000", host=b"evil.example:8000") == 4403


async def test_a_trusted_origin_connects_and_behind_the_https_proxy_the_https_origin_is_the_sites(bob, settings):
    cookie = await _cookie(bob)
    settings.ALLOWED_HOSTS = ["playground.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
    assert await _handshake(cookie, b"https://team.example.org", host=b"playground.example.com") is None
    assert await _handshake(cookie, b"http://team.example.org", host=b"playground.example.com") == 4403
    site = b"https://playground.example.com"
    assert await _handshake(cookie, site, host=b"playground.example.com") == 4403  # plain ws: not https
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = [(b"x-forwarded-proto", b"https")]
    assert await _handshake(cookie, site, host=b"playground.example.com", headers=proxied) is None
    assert await _handshake(cookie, b"http://playground.example.com", host=b"playground.example.com",
                            headers=proxied) == 4403
