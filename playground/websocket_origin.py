"""Origin check for websockets: the whole origin must be the site's own, or trusted; else close 4403.

The site's own origin is the handshake's scheme and Host (a Host that
ALLOWED_HOSTS accepts); CSRF_TRUSTED_ORIGINS adds more, as it does for forms.
Scheme, host and port are compared together, so `http://localhost:9999` is
not `http://localhost:8000`. The socket is accepted and then closed, because
the protocol promises a close code a client can read (channels' own validator
answers HTTP 403).
"""
from urllib.parse import urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

FORBIDDEN_ORIGIN = 4403
DEFAULT_PORTS = {"http": 80, "https": 443}


class _ForbiddenOrigin(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.close(code=FORBIDDEN_ORIGIN)


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, default ports filled in; None when it is not an http(s) origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _site_scheme(scope, headers: dict) -> str:
    if scope.get("scheme") in ("wss", "https"):
        return "https"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:  # the HTTPS proxy says what the browser used, as Django trusts it for HTTP
        name, value = proxy_header
        sent = headers.get(name.removeprefix("HTTP_").replace("_", "-").lower().encode(), b"")
        if sent.decode("latin1").split(",")[0].strip() == value:
            return "https"
    return "http"


def _trusted(origin: tuple[str, str, int]) -> bool:
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in entry:  # https://*.example.com, as Django's CSRF check reads it
            scheme, _, pattern = entry.partition("://")
            pattern_host, _, pattern_port = pattern.lstrip("*").partition(":")
            port = int(pattern_port) if pattern_port.isdigit() else DEFAULT_PORTS.get(scheme)
            if (scheme, port) == (origin[0], origin[2]) and is_same_domain(origin[1], pattern_host):
                return True
        elif _origin(entry) == origin:
            return True
    return False


def _allowed_hosts() -> list[str]:
    """ALLOWED_HOSTS as Django's own Host check reads it."""
    return settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])


def allowed(scope) -> bool:
    """Whether the handshake's Origin is the site's own (scheme, host and port) or a trusted one."""
    headers = dict(scope.get("headers", []))
    origin = _origin(headers.get(b"origin", b"").decode("latin1"))
    if origin is None:
        return False
    if _trusted(origin):
        return True
    host = headers.get(b"host", b"").decode("latin1")
    if not host and scope.get("server"):
        host = "%s:%s" % tuple(scope["server"])
    if not host:
        # Only an in-process caller (a test's communicator) sends no Host: Daphne refuses such a
        # handshake. Then the origin's host must at least be an allowed one.
        return validate_host(f"[{origin[1]}]" if ":" in origin[1] else origin[1], _allowed_hosts())
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return False
    return _origin(f"{_site_scheme(scope, headers)}://{host}") == origin


class SiteOriginValidator:
    """ASGI middleware: websockets from another origin are closed with 4403 before anything else runs."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if allowed(scope):
            return await self.application(scope, receive, send)
        return await _ForbiddenOrigin.as_asgi()(scope, receive, send)
