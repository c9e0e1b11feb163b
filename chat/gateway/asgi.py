"""The ASGI handler for /v1/: Django with only the middleware a token-authenticated JSON API needs.

Each of the site's other middlewares (sessions, CSRF, sign-in, messages, the audit context, sign-in
throttling, CSP) is a `MiddlewareMixin`: under ASGI every one of its hooks is a trip to the one
thread that also runs every database call, twice per request. /v1/ uses none of them (no cookies, no
forms, no pages), so its requests skip those trips; the security headers stay, set on the event loop.

Django runs each request in a `ThreadSensitiveContext` of its own, which starts a thread for the request's
first trip (the `request_started` signal) and another to join it at the end: two thread starts a request,
each blocking the event loop until the new thread runs. /v1/ requests share one such thread instead.
"""
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler
from django.middleware.security import SecurityMiddleware
from django.test.utils import override_settings

MIDDLEWARE = ["chat.gateway.asgi.LoopSecurityMiddleware"]
URLCONF = "chat.gateway.api_urls"  # not the site's, whose every page pattern a /v1/ path was tried against
PREFIX = "/v1/"


class LoopSecurityMiddleware(SecurityMiddleware):
    """Django's SecurityMiddleware with its two hooks run on the event loop, not each in a trip to the shared
    thread: they read settings and set headers, nothing that blocks. The second trip sat between a streamed
    reply's first token and its response headers."""

    async def __acall__(self, request):
        response = self.process_request(request) or await self.get_response(request)
        return self.process_response(request, response)


class GatewayHandler(ASGIHandler):
    # Django's own signals and response.close() are this handler's only thread-sensitive calls.
    _sync_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-sync")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"/v1/ serves HTTP only, not {scope['type']}.")
        async with ThreadSensitiveContext(executor=self._sync_thread):
            await self.handle(scope, receive, send)

    async def get_response_async(self, request):
        request.urlconf = URLCONF
        return await super().get_response_async(request)

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
