"""ASGI entry point: HTTP through Django (/v1/ with less middleware: chat/gateway/asgi.py), websockets through Channels."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from playground.websocket_origin import SiteOriginValidator  # noqa: E402

from chat.gateway.asgi import GatewayHandler, http_router  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_router(django_asgi_app, GatewayHandler()),
        "websocket": SiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
