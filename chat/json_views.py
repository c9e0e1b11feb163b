"""The one error style of the JSON endpoints: raise, and `api` answers `{"error": message}`.

A view decorated with `api` raises `ApiError(status, message)`, `Refused`
(`not_found` 404, `forbidden` 403, `quota_exceeded` 429 with Retry-After,
anything else 400) or `BadFrame` (400)
wherever it finds a problem; `found()` raises the 404 for a missing row and
`query()` the 400 for a query parameter that does not parse.
"""
import math
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from asgiref.sync import iscoroutinefunction
from django.http import JsonResponse

from chat.errors import ApiError, BadFrame, Refused
from chat.frames import decode

T = TypeVar("T")
REFUSED_STATUS = {"not_found": 404, "forbidden": 403, "bad_request": 400, "quota_exceeded": 429}
LONGEST_NUMBER = 18  # digits: every such number fits a bigint column


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _answer(problem: Exception) -> JsonResponse:
    if isinstance(problem, ApiError):
        return error(problem.status, problem.message)
    if isinstance(problem, Refused):
        response = error(REFUSED_STATUS.get(problem.code, 400), problem.message)
        if problem.retry_after is not None:  # a quota that resets: when to try again
            response["Retry-After"] = str(max(1, math.ceil(problem.retry_after)))
        return response
    return error(400, str(problem))


ANSWERED = (ApiError, Refused, BadFrame)
SIGN_IN = "Sign in first."


def api(view):
    """A JSON endpoint (sync or async): anonymous callers get a 403, raised errors their JSON answer."""
    if iscoroutinefunction(view):
        @wraps(view)
        async def answered(request, *args, **kwargs):
            if not (await request.auser()).is_authenticated:
                return error(403, SIGN_IN)
            try:
                return await view(request, *args, **kwargs)
            except ANSWERED as problem:
                return _answer(problem)
        return answered

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return error(403, SIGN_IN)
        try:
            return view(request, *args, **kwargs)
        except ANSWERED as problem:
            return _answer(problem)
    return wrapped


def json_body(request) -> dict | None:
    """The request's JSON object, or None when the body is not one (decoded like a websocket frame: bounded
    nesting, finite numbers, storable text)."""
    try:
        data = decode((request.body or b"{}").decode("utf-8"))
    except (BadFrame, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def json_object(request) -> dict:
    """The request's JSON object; a 400 when the body is not one."""
    data = json_body(request)
    if data is None:
        raise ApiError(400, "Send a JSON object.")
    return data


def found(queryset, message: str = "Not found.", **lookup):
    """The first row of `queryset` (or a manager) matching `lookup`; a 404 with `message` when there is none."""
    row = queryset.filter(**lookup).first()
    if row is None:
        raise ApiError(404, message)
    return row


async def afound(queryset, message: str = "Not found.", **lookup):
    """`found` for async views."""
    row = await queryset.filter(**lookup).afirst()
    if row is None:
        raise ApiError(404, message)
    return row


def query(request, name: str, parse: Callable[[str], T] = str, default=None) -> T:
    """The query parameter `name` through `parse`, or `default` when it is absent or empty.

    `parse` raises ValueError with the end of a sentence that starts with the
    parameter's name ("must be a whole number"); the caller gets that as a 400.
    """
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as problem:
        raise ApiError(400, f"{name} {problem}.") from None


def whole_number(raw: str) -> int:
    """A parser for `query`: a non-negative id or count."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > LONGEST_NUMBER:
        raise ValueError("must be a whole number")
    return int(raw)


def one_of(*choices: str) -> Callable[[str], str]:
    """A parser for `query`: one of `choices`."""
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be {' or '.join(choices)}")
        return raw
    return parse
