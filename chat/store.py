"""Persistence of turns and replies (synchronous ORM; callers run it off the event loop).

A turn's writes are one transaction, or join their caller's without a savepoint of their own: the group
commit (`chat.db.grouped`) already gives each write in a batch its own. Sent messages arriving together are
stored with multi-row inserts (`start_turns`), one at a time if that fails.
"""
from dataclasses import dataclass, field

from django.db import NotSupportedError, connection, transaction
from django.utils import timezone

from chat.errors import Refused
from chat.models import Attachment, Conversation, Message
from chat.models.preferences import default_visibilities, default_visibility
from chat.rendering import plain_text, render_markdown


def _title(content: str) -> str:
    line = plain_text(content)
    return line[:77] + "…" if len(line) > 80 else line


def _reply_row(conversation: Conversation, parent_id: int | None, job) -> Message:
    """A job's assistant row (status `streaming`), unsaved."""
    return Message(conversation=conversation, parent_id=parent_id, role=Message.ASSISTANT, status=Message.STREAMING,
                   provider=job.plan.provider_slug, model=job.plan.model, request=job.plan.settings,
                   fallback=job.plan.fallback or "", compare_set=job.compare_set,
                   mode=Message.COMPLETION if job.plan.request.completion else Message.CHAT)


def _give_ids(job, row: Message) -> None:
    job.conversation_id, job.parent_id, job.message_id, job.row = row.conversation_id, row.parent_id, row.pk, row


def _reply_rows(conversation: Conversation, parent_id: int | None, jobs: list) -> None:
    """Create each job's assistant row and give the job its ids."""
    for job in jobs:
        row = _reply_row(conversation, parent_id, job)
        row.save(force_insert=True)
        _give_ids(job, row)


@dataclass
class NewTurn:
    """A user's message to store (and its new conversation, `visibility` or the user's default, when
    `conversation` is None) with the `images` it attaches (references), then its replies' rows. In `mode`
    completion the message is a raw prompt."""

    user: object
    conversation: Conversation | None
    parent_id: int | None
    content: str
    settings: dict
    jobs: list
    visibility: str | None = None
    images: list = field(default_factory=list)
    mode: str = Message.CHAT

    def new_conversation(self, defaults: dict[int, str] | None = None) -> Conversation:
        """Its new conversation, unsaved; `defaults`: users' default visibilities already read."""
        visibility = self.visibility or (defaults[self.user.pk] if defaults else default_visibility(self.user))
        return Conversation(owner=self.user, title=_title(self.content) or "New conversation", settings=self.settings,
                            visibility=visibility)

    def message(self, conversation: Conversation) -> Message:
        return Message(conversation=conversation, parent_id=self.parent_id, role=Message.USER, content=self.content,
                       html=render_markdown(self.content), author=self.user, images=self.images, mode=self.mode)

    def touch(self) -> None:
        """An existing conversation: its settings as last used, its title if it had none, updated now."""
        fields = {"settings": self.settings, "updated": timezone.now()}
        if not self.conversation.title:
            fields["title"] = _title(self.content)
        Conversation.objects.filter(pk=self.conversation.pk).update(**fields)


@transaction.atomic(savepoint=False)
def start_turn(turn: NewTurn) -> tuple[Conversation, Message]:
    """Store the turn in one transaction: its conversation if new, the user's message, the replies' rows."""
    conversation = turn.conversation
    if conversation is None:
        conversation = turn.new_conversation()
        conversation.save(force_insert=True)
    message = turn.message(conversation)
    message.save(force_insert=True)
    _use_images(conversation, [image["id"] for image in turn.images])
    _reply_rows(conversation, message.pk, turn.jobs)
    if turn.conversation is not None:
        turn.touch()
    return conversation, message


def start_turns(turns: list[NewTurn]) -> list[tuple[Conversation, Message]]:
    """`start_turn` of each turn, their rows inserted a table at a time (multi-row inserts, a third of the CPU
    per row in batches of ten); any failure fails them all, and the caller stores them one at a time instead."""
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35: no ids back
        raise NotSupportedError("multi-row inserts do not return their ids here")
    new = [turn for turn in turns if turn.conversation is None]
    defaults = default_visibilities([turn.user for turn in new if not turn.visibility])
    created = iter(Conversation.objects.bulk_create([turn.new_conversation(defaults) for turn in new]))
    conversations = [turn.conversation or next(created) for turn in turns]
    messages = Message.objects.bulk_create([turn.message(c) for turn, c in zip(turns, conversations)])
    for turn, conversation in zip(turns, conversations):
        _use_images(conversation, [image["id"] for image in turn.images])
    replies = [(job, _reply_row(c, m.pk, job)) for turn, c, m in zip(turns, conversations, messages) for job in turn.jobs]
    Message.objects.bulk_create([row for _, row in replies])
    for job, row in replies:
        _give_ids(job, row)
    for turn in turns:
        if turn.conversation is not None:
            turn.touch()
    return list(zip(conversations, messages))


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
