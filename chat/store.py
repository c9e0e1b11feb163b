"""Persistence of turns and replies (synchronous ORM; callers run it off the event loop)."""
import time

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from chat.errors import Refused
from chat.models import Conversation, Message
from chat.rendering import render_markdown
from providers.models import Provider, ProviderModel


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
    if cached and time.monotonic() - cached[0] < settings.PLAYGROUND_MODEL_CACHE_SECONDS:
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


def _reply_rows(conversation: Conversation, parent_id: int | None, jobs: list) -> None:
    """Create each job's assistant row (status `streaming`) and give the job its ids."""
    for job in jobs:
        row = Message.objects.create(
            conversation=conversation, parent_id=parent_id, role=Message.ASSISTANT, status=Message.STREAMING,
            provider=job.provider_slug, model=job.model, request=job.settings, fallback=job.fallback or "",
        )
        job.conversation_id, job.parent_id, job.message_id = conversation.pk, parent_id, row.pk


@transaction.atomic
def start_turn(user, conversation: Conversation | None, parent_id: int | None, content: str, settings: dict,
               jobs: list) -> tuple[Conversation, Message]:
    """Store the user's message (and its new conversation), then the replies' rows, in one transaction."""
    created = conversation is None
    if created:
        conversation = Conversation.objects.create(owner=user, title=_title(content) or "New conversation",
                                                   settings=settings)
    message = Message.objects.create(conversation=conversation, parent_id=parent_id, role=Message.USER,
                                     content=content, html=render_markdown(content), author=user)
    _reply_rows(conversation, message.pk, jobs)
    if not created:
        fields = {"settings": settings, "updated": timezone.now()}
        if not conversation.title:
            fields["title"] = _title(content)
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
    return conversation, message


@transaction.atomic
def add_tool_results(user, conversation: Conversation, parent_id: int | None, messages: list[Message],
                     settings: dict, jobs: list) -> None:
    """Store tool messages chained after the message that made the calls, then the reply's row."""
    for message in messages:
        message.conversation, message.parent_id, message.author = conversation, parent_id, user
        message.save()
        parent_id = message.pk
    _reply_rows(conversation, parent_id, jobs)
    Conversation.objects.filter(pk=conversation.pk).update(settings=settings, updated=timezone.now())


@transaction.atomic
def add_reply(conversation: Conversation, parent_id: int | None, jobs: list) -> None:
    _reply_rows(conversation, parent_id, jobs)
    Conversation.objects.filter(pk=conversation.pk).update(updated=timezone.now())


# The reply: created once, checkpointed, finalized once -----------------------------------


def checkpoint_reply(message_id: int, content: str, tool_calls: list[dict]) -> None:
    Message.objects.filter(pk=message_id, status=Message.STREAMING).update(content=content, tool_calls=tool_calls)


def finalize_reply(message_id: int, conversation_id: int, **fields) -> dict:
    """The reply's one final write; returns its summary (with the sanitized html)."""
    fields["html"] = render_markdown(fields.get("content") or "")
    fields["updated"] = timezone.now()
    Message.objects.filter(pk=message_id).update(**fields)
    return Message.objects.get(pk=message_id).summary()
