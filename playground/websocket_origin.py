"""Origin check for websockets that refuses with close code 4403.

Channels' own validator refuses the handshake with HTTP 403; the protocol
promises a close code a client can read, so the socket is accepted and closed.
"""
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import OriginValidator
from django.conf import settings

FORBIDDEN_ORIGIN = 4403


class _ForbiddenOrigin(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.close(code=FORBIDDEN_ORIGIN)


class ClosingOriginValidator(OriginValidator):
    async def __call__(self, scope, receive, send):
        origin = dict(scope.get("headers", [])).get(b"origin")
        parsed = None
        if origin is not None:
            from urllib.parse import urlparse

            parsed = urlparse(origin.decode("latin1"))
        if self.valid_origin(parsed):
            return await self.application(scope, receive, send)
        return await _ForbiddenOrigin.as_asgi()(scope, receive, send)


def AllowedHostsOriginValidator(application):
    """Like channels' validator of the same name: origins must be in ALLOWED_HOSTS."""
    allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    return ClosingOriginValidator(application, allowed)
