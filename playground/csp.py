"""The Content-Security-Policy of every response: scripts only from this site's own files.

The UI keeps to it: no inline scripts or handlers (the JSON data blocks of
`json_script` are not scripts), styles from static files. One allowance, for
styles only: `style` attributes, which the rendered markdown's table cells
carry for column alignment (`chat/rendering.py`). Scripts may set styles
through the CSSOM either way.
"""
from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
          "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def policy(request) -> str:
    """POLICY plus the site's own websocket origin, which older browsers do not count as 'self'."""
    socket = f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
    return f"{POLICY}; connect-src 'self' {socket}"


@sync_and_async_middleware
def content_security_policy(get_response):
    if iscoroutinefunction(get_response):
        async def middleware(request):
            response = await get_response(request)
            response.setdefault("Content-Security-Policy", policy(request))
            return response
    else:
        def middleware(request):
            response = get_response(request)
            response.setdefault("Content-Security-Policy", policy(request))
            return response
    return middleware
