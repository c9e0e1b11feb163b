"""The ASGI handler for /v1/: Django with only the middleware a token-authenticated JSON API needs.

Each of the site's other middlewares (sessions, CSRF, sign-in, messages, the audit context, sign-in
throttling, CSP) is a `MiddlewareMixin`: under ASGI every one of its hooks is a trip to the one
thread that also runs every database call, twice per request. /v1/ uses none of them (no cookies, no
forms, no pages), so its requests skip those trips; the security headers stay.
"""
from django.core.handlers.asgi import ASGIHandler
from django.test.utils import override_settings

MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
PREFIX = "/v1/"


class GatewayHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        # Django builds the chain from settings.MIDDLEWARE; this handler's chain is built from its own list.
        with override_settings(MIDDLEWARE=MIDDLEWARE):
            super().load_middleware(is_async)


def http_router(site, gateway):
    """One ASGI app for HTTP: /v1/… to `gateway`, everything else to `site`."""
    async def route(scope, receive, send):
        app = gateway if scope["path"].startswith(PREFIX) else site
        return await app(scope, receive, send)
    return route
