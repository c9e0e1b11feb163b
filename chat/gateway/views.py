"""The OpenAI-compatible API under /v1: `GET /v1/models` and `POST /v1/chat/completions`
(`POST /v1/embeddings` is in `chat.gateway.embeddings_view`).

A request is authenticated by a personal token, parsed into the websocket's
Settings, planned by `chat.requests.plan` (which checks the model, its
capabilities and the user's quotas) and run by `chat.engine.run`, so every
provider the playground speaks is reachable in OpenAI's shape. A streamed
reply passes each event on as it comes; nothing is written until it ends,
when the request is recorded once (`chat.gateway.usage.record`).
"""
import asyncio
import json
import logging
import time
from functools import wraps

from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chat import engine
from chat.db import db
from chat.errors import BadFrame, Refused
from chat.gateway import convert, tokens, usage
from chat.gateway.errors import GatewayError
from chat.requests import Plan, plan
from providers.models import Provider
from providers.streaming import ReplyState

log = logging.getLogger(__name__)
END = object()  # the end of a run, on a streamed reply's queue


def gateway_view(view):
    """An async /v1 view: any GatewayError as OpenAI's error body, anything else a logged 500 in that shape."""
    @csrf_exempt
    @wraps(view)
    async def wrapped(request, *args, **kwargs):
        try:
            return await view(request, *args, **kwargs)
        except GatewayError as error:
            return error.response()
        except Exception:
            log.exception("A /v1 request failed")
            return GatewayError(500, "The gateway failed on this request; the failure is logged.", "server_error").response()
    return wrapped


def _authenticated(header: str | None):
    try:
        return tokens.authenticate(header)
    except tokens.BadToken as bad:
        raise GatewayError(401, str(bad), "invalid_api_key") from None


def token_required(view):
    """A gateway_view with the caller's token as `request.token`."""
    @gateway_view
    @wraps(view)
    async def wrapped(request, *args, **kwargs):
        request.token = await db(_authenticated)(request.headers.get("Authorization"))
        return await view(request, *args, **kwargs)
    return wrapped


# GET /v1/models -------------------------------------------------------------------------------

def model_list(token) -> list[dict]:
    """Every enabled model of every enabled provider the token may use, as `<provider>/<model>`."""
    data = []
    for provider in Provider.objects.filter(enabled=True).prefetch_related("provider_models").order_by("slug"):
        ids = [m.model_id for m in provider.provider_models.all() if m.enabled]
        if provider.default_model and provider.default_model not in ids:
            ids.insert(0, provider.default_model)
        created = int(provider.created.timestamp())
        data += [{"id": f"{provider.slug}/{model}", "object": "model", "created": created, "owned_by": provider.slug}
                 for model in ids if token.allows(provider.slug, model)]
    return data


@require_GET
@token_required
async def models(request):
    return JsonResponse({"object": "list", "data": await db(model_list)(request.token)})


# POST /v1/chat/completions -----------------------------------------------------------------------

def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        raise GatewayError(400, "The body must be a JSON object.", "invalid_json") from None
    if not isinstance(body, dict):
        raise GatewayError(400, "The body must be a JSON object.", "invalid_json")
    return body


def _plan(token, body: dict) -> Plan:
    """Parse and plan the request (the model allowed for this token, the user's quotas counted)."""
    settings = convert.settings(body)
    if not token.allows(settings.provider, settings.model):
        raise GatewayError(403, f"This token may not use {settings.provider}/{settings.model}.", "model_not_allowed")
    return plan(settings, convert.messages(body.get("messages")), token.user)


def _admit(request, started: float) -> tuple[dict, "usage.Recorder", Plan | None, GatewayError | None]:
    """The token checked, the body read and the request planned in one trip to the database thread (this is on
    the path to the first token); a refusal comes back with its recorder, to be recorded."""
    token = _authenticated(request.headers.get("Authorization"))
    body = _body(request)
    record = usage.Recorder(token, started, stream=body.get("stream") is True, model_name=body.get("model"))
    try:
        return body, record, _plan(token, body), None
    except (GatewayError, BadFrame, Refused) as problem:
        return body, record, None, GatewayError.of(problem)


@require_POST
@gateway_view
async def chat_completions(request):
    body, record, planned, error = await db(_admit)(request, time.perf_counter())
    if error is not None:
        await record.arefused(error)
        raise error
    record.planned(planned)
    if body.get("stream") is True:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return await _streamed(planned, record, include_usage)
    return await _whole(planned, record)


async def _whole(planned: Plan, record) -> JsonResponse:
    state = ReplyState()
    ending = await engine.run(planned, state)
    verdict = engine.verdicts(state, planned, ending)
    if ending.status != engine.COMPLETE:
        error = _failure(ending)
        await record.afinished(error.status, verdict, error.code)
        raise error
    await record.afinished(200, verdict)
    return JsonResponse(convert.completion(convert.completion_id(), record.model_name, verdict))


def _failure(ending: engine.Ending) -> GatewayError:
    if ending.error is None:
        return GatewayError(499, "The request was cancelled.", "cancelled")
    return GatewayError.of(ending.error)


async def _streamed(planned: Plan, record, include_usage: bool):
    """Wait for the first output (an error before it is an ordinary error response), then stream."""
    queue: asyncio.Queue = asyncio.Queue()
    state = ReplyState()

    async def relay(event):
        await queue.put(event)

    async def run():
        try:
            return await engine.run(planned, state, relay)
        finally:
            queue.put_nowait(END)

    task = asyncio.get_running_loop().create_task(run(), name="gateway stream")
    try:
        first = await queue.get()
    except asyncio.CancelledError:  # the client went away before the first token: close the upstream request
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.shield(record.afinished(499, engine.verdicts(state, planned, engine.Ending(engine.CANCELLED)),
                                              "client_closed"))
        raise
    if first is END and task.result().status != engine.COMPLETE:
        error = _failure(task.result())
        await record.afinished(error.status, engine.verdicts(state, planned, task.result()), error.code)
        raise error
    response = StreamingHttpResponse(_events(planned, record, state, first, queue, task, include_usage),
                                     content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _events(planned: Plan, record, state: ReplyState, event, queue: asyncio.Queue, task: asyncio.Task,
                  include_usage: bool):
    """The reply as server-sent events, each event as it comes (`event` is the first); recorded once at the end.

    Events that are already waiting when one is sent go out with it in one HTTP chunk: the same bytes, and under
    load fewer writes (each costs the event loop a turn through Django, Daphne and Twisted)."""
    cid, model = convert.completion_id(), record.model_name
    status, code, verdict = 499, "client_closed", None
    try:
        yield convert.chunk(cid, model, {"role": "assistant", "content": ""})
        while event is not END:
            batch = [event]
            while batch[-1] is not END and not queue.empty():
                batch.append(queue.get_nowait())
            event = batch.pop() if batch[-1] is END else None
            sent = b"".join(convert.chunk(cid, model, piece) for piece in map(convert.delta, batch) if piece is not None)
            if sent:
                yield sent
            if event is None:
                event = await queue.get()
        ending = task.result()
        verdict = engine.verdicts(state, planned, ending)
        error = _failure(ending) if ending.status != engine.COMPLETE else None
        status, code = (error.status, error.code) if error else (200, "")
        await record.afinished(status, verdict, code)  # before the end: a client that saw it finds the record
        if error:
            yield convert.sse(error.body())
            return
        yield convert.chunk(cid, model, {}, convert.finish_reason(verdict["finish_reason"], bool(verdict["tool_calls"])))
        if include_usage:
            yield convert.chunk(cid, model, None, usage=convert.usage(verdict["usage"]))
        yield convert.DONE
    finally:  # also when the client went away: the upstream request is closed
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if not record.written:
            verdict = verdict or engine.verdicts(state, planned, engine.Ending(engine.CANCELLED))
            await asyncio.shield(record.afinished(status, verdict, code))


@csrf_exempt
async def unknown(request, rest: str):
    """Any other /v1 path: OpenAI's error shape, not an HTML page."""
    return GatewayError(404, f"/v1/{rest} is not served here: this gateway serves GET /v1/models, "
                             "POST /v1/chat/completions and POST /v1/embeddings.", "unknown_url").response()
