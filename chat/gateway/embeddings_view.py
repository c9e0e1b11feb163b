"""`POST /v1/embeddings`: OpenAI's embeddings endpoint on the team's embedding models.

The body is read here; the model is resolved, authorised for the token and
admitted by the quotas by `chat.embeddings.runs.admitted`, and called by
`runs.run`, exactly as the Embeddings page does, so the request is recorded
(kind "embeddings") and counted like a chat completion.
"""
import base64
import struct
import time

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from chat.db import db
from chat.embeddings import runs
from chat.errors import ApiError, BadFrame, Refused
from chat.gateway.convert import split_model
from chat.gateway.errors import GatewayError
from chat.gateway.views import _authenticated, _body, gateway_view

MAX_INPUTS = 2048  # OpenAI's own limit on one request's inputs
MAX_INPUT_CHARS = 32_000  # about the 8k tokens embedding models take
FIELDS = {"model", "input", "encoding_format", "dimensions", "user"}
FORMATS = ("float", "base64")


def _bad(message: str) -> GatewayError:
    return GatewayError(400, message, "invalid_request")


def inputs(raw) -> list[str]:
    """`input` as texts: a string or a list of strings (token arrays are refused: they are one tokenizer's)."""
    texts = [raw] if isinstance(raw, str) else raw
    if isinstance(texts, list) and texts and all(isinstance(t, int) or isinstance(t, list) for t in texts):
        raise _bad("`input` as token arrays is not supported here: send the text (a string or a list of strings).")
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise _bad("`input` must be a string or a list of strings.")
    try:
        return runs.texts_of(texts, 1, MAX_INPUTS, MAX_INPUT_CHARS)
    except ApiError as problem:
        raise _bad(f"`input`: {problem.message}") from None


def options(body: dict) -> tuple[str, int | None]:
    """The encoding format and the dimensions asked for."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise _bad(f"Unsupported field(s): {', '.join(unknown)}.")
    encoding = body.get("encoding_format") or "float"
    if encoding not in FORMATS:
        raise _bad("`encoding_format` must be float or base64.")
    dimensions = body.get("dimensions")
    if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1):
        raise _bad("`dimensions` must be a positive whole number.")
    return encoding, dimensions


def _admit(request, started: float):
    """The token checked, the body read, the model resolved and admitted (a refusal comes back to be recorded)."""
    token = _authenticated(request.headers.get("Authorization"))
    body = _body(request)
    record = runs.recorder(token.user, token)
    record.started, record.model_name = started, body.get("model")
    try:
        texts = inputs(body.get("input"))
        encoding, dimensions = options(body)
        (target,) = runs.admitted(token.user, [split_model(body.get("model"))], token)
        return record, (target, texts, encoding, dimensions), None
    except (GatewayError, BadFrame, Refused) as problem:
        return record, None, GatewayError.of(problem)


def encoded(vector: list[float], encoding: str):
    """A vector as floats, or as OpenAI's base64 of little-endian float32s."""
    if encoding == "float":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


@require_POST
@gateway_view
async def embeddings(request):
    record, admitted, error = await db(_admit)(request, time.perf_counter())
    if error is not None:
        await record.arefused(error)
        raise error
    target, texts, encoding, dimensions = admitted
    result = await runs.run(target, texts, record, dimensions, failure=GatewayError.of)
    tokens = result["tokens"] or 0
    return JsonResponse({
        "object": "list", "model": record.model_name,
        "data": [{"object": "embedding", "index": index, "embedding": encoded(vector, encoding)}
                 for index, vector in enumerate(result["vectors"])],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
