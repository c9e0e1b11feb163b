"""Image mode: images made from a prompt (POST /api/images/generations).

The prompt is stored first, as a user message with mode "image", with the
reply's row (an assistant message, mode "image", status `streaming` while the
provider works). The provider's images go through the same checks and storage
as uploads (`chat.images.validated` and `save`) and become the reply's
`images`; a failure is stored on the reply, the prompt stays.
"""
import logging
import re
import time
from dataclasses import dataclass

from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import transaction

from chat import images, store, turns
from chat.db import db
from chat.errors import ApiError, BadFrame, Refused
from chat.frames import identifier
from chat.generation import publish
from chat.gateway import quotas
from chat.models import Conversation, Message
from chat.requests import resolve_model
from providers import types
from providers.adapters.base import Adapter
from providers.models import ProviderModel

log = logging.getLogger(__name__)
MAX_COUNT = 4
MAX_PROMPT = 4000
SIZE = re.compile(r"auto|[1-9][0-9]{1,3}x[1-9][0-9]{1,3}")
STATUS = {types.RATE_LIMITED: 429, types.TIMEOUT: 504}  # any other provider failure: 502


@dataclass(frozen=True)
class Ask:
    """What the person asked for, checked."""

    conversation_id: int | None
    parent_id: int | None
    provider: str
    model: str | None
    prompt: str
    size: str
    n: int
    visibility: str | None


def _text(body: dict, name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadFrame(f"`{name}` must be text{' (not empty)' if required else ''}.")
    return value


def parse(body: dict) -> Ask:
    """The request body, every field checked; BadFrame (a 400) names the first problem."""
    prompt = _text(body, "prompt")
    if len(prompt) > MAX_PROMPT:
        raise BadFrame(f"`prompt` must be at most {MAX_PROMPT:,} characters.")
    size = body.get("size", "1024x1024")
    if not isinstance(size, str) or not SIZE.fullmatch(size):
        raise BadFrame("`size` must be WIDTHxHEIGHT (like 1024x1024) or auto.")
    n = body.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_COUNT:
        raise BadFrame(f"`n` must be a whole number from 1 to {MAX_COUNT}.")
    visibility = body.get("visibility")
    if visibility not in (None, "private", "team"):
        raise BadFrame("`visibility` must be private or team.")
    return Ask(conversation_id=identifier(body.get("conversation_id"), "conversation_id"),
               parent_id=identifier(body.get("parent_id"), "parent_id"), provider=_text(body, "provider"),
               model=_text(body, "model", required=False), prompt=prompt, size=size, n=n, visibility=visibility)


@dataclass
class Turn:
    """A stored prompt and the reply being made for it."""

    user: object
    conversation: Conversation
    created: bool
    prompt: dict  # the user message's summary
    reply: Message  # its row as created
    adapter: Adapter
    row: ProviderModel | None
    request: types.ImageGenerationRequest
    provider_name: str


def start(user, ask: Ask) -> Turn:
    """Authorise, plan and store the prompt and the reply's row; Refused (nothing stored) otherwise."""
    conversation, tree = turns.open_for_write(user, ask.conversation_id)
    parent_id = turns.parent_of({"parent_id": ask.parent_id}, tree)
    provider, row, model_id = resolve_model(ask.provider, ask.model)
    caps = row.capabilities() if row else provider.capabilities()
    if not caps.image_generation:
        raise Refused("bad_request", f"{provider.name} · {model_id} does not make images; pick a model with image "
                                     "generation (an admin marks it on the provider's page).")
    quotas.admit(user, 1)
    settings = {**(conversation.settings if conversation else {}), "provider": provider.slug, "model": model_id}
    created = conversation is None
    with transaction.atomic():
        conversation, message = store.start_turn(store.NewTurn(user, conversation, parent_id, ask.prompt, settings, [],
                                                               ask.visibility, mode=Message.IMAGE))
        reply = Message.objects.create(
            conversation=conversation, parent_id=message.pk, role=Message.ASSISTANT, status=Message.STREAMING,
            mode=Message.IMAGE, provider=provider.slug, model=model_id,
            request={"provider": provider.slug, "model": model_id, "image": {"size": ask.size, "n": ask.n}})
    return Turn(user, conversation, created, message.summary(), reply, provider.adapter(row), row,
                types.ImageGenerationRequest(model_id, ask.prompt, ask.n, ask.size), provider.name)


def _describe(result: types.ImageGenerationResult, size: str) -> str:
    count = len(result.images)
    text = f"{count} image{'s' if count != 1 else ''} ({size})."
    return f"{text}\n\nRevised prompt: {result.revised_prompt}" if result.revised_prompt else text


def finish(turn: Turn, result: types.ImageGenerationResult, metrics: dict) -> dict | None:
    """Check and store the images as the reply's (all or none), with the reply's cost where a price is known."""
    try:
        checked = [images.validated(image.data, None) for image in result.images]
    except ApiError as problem:
        raise types.ProviderError(types.PROVIDER_ERROR, f"{turn.provider_name} sent an image this playground "
                                                        f"does not take: {problem.message}") from None
    saved = [images.save(turn.user, *image, conversation=turn.conversation) for image in checked]
    return store.finalize_reply(
        turn.reply, content=_describe(result, turn.request.size), status=Message.COMPLETE,
        finish_reason="stop", images=[a.reference() for a in saved], metrics=metrics,
        cost=turn.row.image_cost(len(saved)) if turn.row else None)


def fail(turn: Turn, code: str, message: str, status: str = Message.ERROR) -> dict | None:
    return store.finalize_reply(turn.reply, content="", status=status, finish_reason="error",
                                error_code=code, error_message=message)


async def run(turn: Turn) -> tuple[dict | None, types.ProviderError | None]:
    """Ask the provider and store what came back: (the reply's summary, the error it ended with)."""
    reply, error = await _made(turn)
    await _tell_watchers(turn, [turn.prompt] + ([reply] if reply else []))
    return reply, error


async def _made(turn: Turn) -> tuple[dict | None, types.ProviderError | None]:
    started = time.perf_counter()
    try:
        result = await turn.adapter.generate_images(turn.request, django_settings.PLAYGROUND_MAX_IMAGE_BYTES)
        metrics = {"duration_ms": round((time.perf_counter() - started) * 1000)}
        return await db(finish)(turn, result, metrics), None
    except types.ProviderError as error:
        return await db(fail)(turn, error.code, error.message), error
    except BaseException:  # the request went away (cancelled) or a bug: the reply must not stay `streaming`
        await db(fail)(turn, "cancelled", "The request ended before the images arrived.", Message.CANCELLED)
        raise


async def _tell_watchers(turn: Turn, messages: list[dict]) -> None:
    """Whoever watches the conversation (a teammate, another tab) sees both messages as `message.created`."""
    layer = get_channel_layer()
    if layer is None or turn.created:
        return  # nobody can watch a conversation that did not exist a moment ago
    try:
        for message in messages:
            await publish(layer, turn.conversation.pk, {"type": "message.created", "request_id": None,
                                                        "message": message})
    except Exception:  # the images are stored; a watcher sees them on its next load
        log.exception("The image turn of conversation %s could not be published", turn.conversation.pk)


def answer(turn: Turn, reply: dict | None, error: types.ProviderError | None) -> tuple[dict, int]:
    """The JSON answer and its status: 201 with both messages, or the provider's failure (the prompt kept)."""
    conversation = turn.conversation
    data = {"conversation": {"id": conversation.pk, "title": conversation.title, "visibility": conversation.visibility,
                             "owner": turn.user.get_username()},
            "created_conversation": turn.created, "messages": [turn.prompt] + ([reply] if reply else [])}
    if error is None:
        return data, 201
    return {"error": error.message, "code": error.code, **data}, STATUS.get(error.code, 502)
