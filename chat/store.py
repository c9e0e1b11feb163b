"""Persistence of turns and replies (synchronous ORM; callers run it off the event loop)."""
import time

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from chat.models import Conversation, Message
from chat.rendering import render_markdown
from providers.models import Provider, ProviderModel


class Refused(Exception):
    """A request the user may not make, or that names something missing; becomes an `error` frame."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def readable_conversation(user, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.select_related("owner").filter(pk=conversation_id).first()
    if conversation is None or not conversation.can_read(user):
        raise Refused("not_found", f"Conversation {conversation_id} does not exist.")
    return conversation


def writable_conversation(user, conversation_id: int) -> Conversation:
    conversation = readable_conversation(user, conversation_id)
    if not conversation.can_write(user):
        raise Refused("forbidden", "Only the owner writes to this conversation; fork it to continue in your own.")
    return conversation


_models: dict[tuple, tuple[float, tuple]] = {}
MODEL_CACHE_SECONDS = 5.0  # how long another process's admin change may take to be seen here


@receiver([post_save, post_delete], sender=Provider)
@receiver([post_save, post_delete], sender=ProviderModel)
def _forget_models(**kwargs) -> None:
    _models.clear()


def resolve_model(provider_slug: str | None, model_id: str | None) -> tuple[Provider, ProviderModel | None, str]:
    """The enabled provider and model a request names (the provider's default model when none is named).

    Cached for a few seconds: it is on the path to every first token.
    """
    key = (provider_slug, model_id)
    cached = _models.get(key)
    if cached and time.monotonic() - cached[0] < MODEL_CACHE_SECONDS:
        return cached[1]
    resolved = _resolve_model(provider_slug, model_id)
    _models[key] = (time.monotonic(), resolved)
    return resolved


def _resolve_model(provider_slug: str | None, model_id: str | None) -> tuple[Provider, ProviderModel | None, str]:
    if not provider_slug:
        raise Refused("bad_request", "Pick a provider.")
    provider = Provider.objects.filter(slug=provider_slug).first()
    if provider is None:
        raise Refused("not_found", f"Unknown provider {provider_slug!r}.")
    if not provider.enabled:
        raise Refused("forbidden", f"The provider {provider.name} is disabled by an admin.")
    model_id = model_id or provider.default_model
    if not model_id:
        raise Refused("bad_request", f"Pick a model of {provider.name}.")
    row = ProviderModel.objects.filter(provider=provider, model_id=model_id).order_by().first()
    if row is not None:
        row.provider = provider
    if row is None and model_id != provider.default_model:
        raise Refused("not_found", f"Unknown model {model_id!r} on {provider.name}.")
    if row is not None and not row.enabled:
        raise Refused("forbidden", f"The model {model_id} of {provider.name} is disabled by an admin.")
    return provider, row, model_id


def _title(content: str) -> str:
    line = " ".join(content.split())
    return line[:77] + "…" if len(line) > 80 else line


@transaction.atomic
def new_conversation(user, content: str) -> Conversation:
    return Conversation.objects.create(owner=user, title=_title(content) or "New conversation")


@transaction.atomic
def add_user_message(user, conversation: Conversation, parent_id: int | None, content: str, settings: dict) -> Message:
    message = Message.objects.create(conversation=conversation, parent_id=parent_id, role=Message.USER,
                                     content=content, html=render_markdown(content), author=user)
    fields = {"settings": settings, "updated": timezone.now()}
    if not conversation.title:
        fields["title"] = _title(content)
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    return message


@transaction.atomic
def add_tool_results(user, conversation: Conversation, results: list[dict], settings: dict) -> list[Message]:
    """One `tool` message per result, chained after the assistant message that made the calls."""
    parent_id = conversation.latest_message_id()
    parent = Message.objects.filter(pk=parent_id).first()
    calls = {c["id"]: c for c in (parent.tool_calls if parent and parent.role == Message.ASSISTANT else [])}
    created = []
    for result in results:
        call = calls.get(result["tool_call_id"])
        if call is None:
            raise Refused("bad_request", f"No pending tool call {result['tool_call_id']!r} in this conversation.")
        message = Message.objects.create(
            conversation=conversation, parent_id=parent_id, role=Message.TOOL, content=result["content"],
            tool_call_id=result["tool_call_id"], name=call["name"], author=user,
        )
        created.append(message)
        parent_id = message.pk
    Conversation.objects.filter(pk=conversation.pk).update(settings=settings, updated=timezone.now())
    return created


# The reply: created once, checkpointed, finalized once -----------------------------------


def create_reply(conversation_id: int, parent_id: int | None, provider: str, model: str, request: dict,
                 fallback: str | None) -> int:
    message = Message.objects.create(
        conversation_id=conversation_id, parent_id=parent_id, role=Message.ASSISTANT, status=Message.STREAMING,
        provider=provider, model=model, request=request, fallback=fallback or "",
    )
    return message.pk


def checkpoint_reply(message_id: int, content: str, tool_calls: list[dict]) -> None:
    Message.objects.filter(pk=message_id, status=Message.STREAMING).update(content=content, tool_calls=tool_calls)


def finalize_reply(message_id: int, conversation_id: int, **fields) -> dict:
    """The reply's one final write; returns its summary (with the sanitized html)."""
    fields["html"] = render_markdown(fields.get("content") or "")
    fields["updated"] = timezone.now()
    Message.objects.filter(pk=message_id).update(**fields)
    return Message.objects.get(pk=message_id).summary()
