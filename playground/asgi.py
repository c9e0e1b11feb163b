"""ASGI entry point: HTTP through Django (/v1/ with less middleware: chat/gateway/asgi.py), websockets through Channels."""
import gc
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

# What starting made (Django, every module, the URLconfs) lives as long as the process: the collector need not
# look at it again. Without this a full collection, which a burst of new streams sets off, walks all of it:
# 110-125 ms here, during which no stream gets a frame.
gc.freeze()
