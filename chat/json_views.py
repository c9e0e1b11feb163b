"""Small helpers shared by the JSON endpoints."""
import json
from functools import wraps

from django.http import JsonResponse


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def json_body(request) -> dict | None:
    """The request's JSON object, or None when the body is not one."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def api(view):
    """Session auth for a JSON endpoint: anonymous callers get a 403 with a JSON body."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return error(403, "Sign in first.")
        return view(request, *args, **kwargs)
    return wrapped
