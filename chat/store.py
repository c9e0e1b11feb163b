"""Persistence of turns and replies (synchronous ORM; callers run it off the event loop).

A turn's writes are one transaction, or join their caller's without a savepoint of their own: the group
commit (`chat.db.grouped`) already gives each write in a batch its own.
"""
from django.db import transaction
from django.utils import timezone

from chat.errors import Refused
from chat.models import Attachment, Conversation, Message
from chat.models.preferences import default_visibility
from chat.rendering import plain_text, render_markdown


def _title(content: str) -> str:
    line = plain_text(content)
    return line[:77] + "…" if len(line) > 80 else line


def _reply_rows(conversation: Conversation, parent_id: int | None, jobs: list) -> None:
    """Create each job's assistant row (status `streaming`) and give the job its ids."""
    for job in jobs:
        row = Message.objects.create(
            conversation=conversation, parent_id=parent_id, role=Message.ASSISTANT, status=Message.STREAMING,
            provider=job.plan.provider_slug, model=job.plan.model, request=job.plan.settings,
            fallback=job.plan.fallback or "", compare_set=job.compare_set,
            mode=Message.COMPLETION if job.plan.request.completion else Message.CHAT,
        )
        job.conversation_id, job.parent_id, job.message_id, job.row = conversation.pk, parent_id, row.pk, row


@transaction.atomic(savepoint=False)
def start_turn(user, conversation: Conversation | None, parent_id: int | None, content: str, settings: dict,
               jobs: list, visibility: str | None = None, images: list | None = None,
               mode: str = Message.CHAT) -> tuple[Conversation, Message]:
    """Store the user's message (and its new conversation, `visibility` or the user's default) with the
    `images` it attaches (references), then the replies' rows, in one transaction. In `mode` completion
    the message is a raw prompt."""
    created = conversation is None
    if created:
        conversation = Conversation.objects.create(owner=user, title=_title(content) or "New conversation",
                                                   settings=settings,
                                                   visibility=visibility or default_visibility(user))
    message = Message.objects.create(conversation=conversation, parent_id=parent_id, role=Message.USER,
                                     content=content, html=render_markdown(content), author=user, images=images or [],
                                     mode=mode)
    _use_images(conversation, [image["id"] for image in images or ()])
    _reply_rows(conversation, message.pk, jobs)
    if not created:
        fields = {"settings": settings, "updated": timezone.now()}
        if not conversation.title:
            fields["title"] = _title(content)
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
    return conversation, message


def _use_images(conversation: Conversation, ids: list[int]) -> None:
    """The attachments now belong to the conversation (who may read it may see them); one used elsewhere meanwhile
    refuses the turn."""
    if not ids:
        return
    Attachment.objects.filter(pk__in=ids, conversation=None).update(conversation=conversation)
    if Attachment.objects.filter(pk__in=ids, conversation=conversation).count() != len(ids):
        raise Refused("bad_request", "An attached image was just used in another conversation; attach it again.")


@transaction.atomic(savepoint=False)
def add_tool_results(user, conversation: Conversation, parent_id: int | None, messages: list[Message],
                     settings: dict, jobs: list) -> None:
    """Store tool messages chained after the message that made the calls, then the reply's row."""
    for message in messages:
        message.conversation, message.parent_id, message.author = conversation, parent_id, user
        message.save()
        parent_id = message.pk
    _reply_rows(conversation, parent_id, jobs)
    Conversation.objects.filter(pk=conversation.pk).update(settings=settings, updated=timezone.now())


@transaction.atomic(savepoint=False)
def add_reply(conversation: Conversation, parent_id: int | None, jobs: list) -> None:
    _reply_rows(conversation, parent_id, jobs)
    Conversation.objects.filter(pk=conversation.pk).update(updated=timezone.now())


# The reply: created once, checkpointed, finalized once -----------------------------------


def checkpoint_reply(message_id: int, content: str, tool_calls: list[dict], reasoning: str = "") -> None:
    Message.objects.filter(pk=message_id, status=Message.STREAMING).update(content=content, tool_calls=tool_calls,
                                                                           reasoning=reasoning)


def finalize_reply(row: Message, **fields) -> dict | None:
    """The reply's one final write; returns its summary (with the sanitized html), None if it was deleted.

    `row` is the reply's row as created: the summary is built from it and `fields`, without reading it back.
    """
    fields["html"] = render_markdown(fields.get("content") or "")
    fields["updated"] = timezone.now()
    if not Message.objects.filter(pk=row.pk).update(**fields):
        return None
    return row.summary(**fields)


def fail_reply(message_id: int, content: str, error) -> dict | None:
    """Mark a reply failed with its partial text, without rendering (used when finishing it failed)."""
    Message.objects.filter(pk=message_id).update(
        content=content, html="", status=Message.ERROR, finish_reason="error", error_code=error.code,
        error_message=error.message, updated=timezone.now())
    row = Message.objects.filter(pk=message_id).first()
    return row.summary() if row else None
