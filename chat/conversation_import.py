"""Importing the playground's own JSON export (chat/export.py) as a new conversation of the importer.

Everything in the file is checked before anything is stored; a problem raises
ApiError(400) naming it. HTML is rendered again from the text (a file's HTML is
never trusted), replies left streaming become `interrupted`, and the
conversation gets the importer's default visibility. Images are references: those
the importer may see on this playground are copied, others left out. A file is known by a
fingerprint of its contents: importing it again is refused unless a copy is
asked for.
"""
import hashlib
import json

from django.db import transaction

from chat import export, images
from chat.errors import ApiError
from chat.models import Attachment, Conversation, Message
from chat.models.preferences import default_visibility
from chat.rendering import render_markdown

ROLES = {role for role, _ in Message.ROLES}
MODES = {mode for mode, _ in Message.MODES}
STATUSES = {status for status, _ in Message.STATUSES} - {Message.STREAMING}
MAX_MESSAGES = 10_000
TEXT = {"content": str, "tool_call_id": str, "name": str, "finish_reason": str, "provider": str, "model": str,
        "reasoning": str}
DATA = {"tool_calls": list, "usage": dict, "metrics": dict, "structured": dict, "request": dict, "logprobs": list,
        "images": list}


def fingerprint(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _problem(text: str):
    raise ApiError(400, f"This is not a conversation exported from the playground: {text}.")


def _checked(document) -> tuple[dict, list[dict]]:
    if not isinstance(document, dict) or document.get("format") != "team-llm-playground/conversation":
        _problem("`format` is not team-llm-playground/conversation")
    if document.get("version") != export.FORMAT_VERSION:
        _problem(f"version {document.get('version')!r} is not {export.FORMAT_VERSION}")
    conversation, messages = document.get("conversation"), document.get("messages")
    if not isinstance(conversation, dict) or not isinstance(messages, list):
        _problem("it needs a `conversation` object and a `messages` list")
    if len(messages) > MAX_MESSAGES:
        raise ApiError(400, f"A conversation of at most {MAX_MESSAGES:,} messages can be imported.")
    ids = set()
    for number, message in enumerate(messages, 1):
        _check_message(message, number, ids)
    return conversation, messages


def _check_message(message, number: int, ids: set) -> None:
    where = f"message {number}"
    if not isinstance(message, dict):
        _problem(f"{where} is not an object")
    if isinstance(message.get("id"), bool) or not isinstance(message.get("id"), int) or message["id"] in ids:
        _problem(f"{where} has no id of its own")
    parent = message.get("parent_id")
    if parent is not None and parent not in ids:  # parents come first, as the export writes them
        _problem(f"{where} answers a message that is not before it in the file")
    if message.get("role") not in ROLES:
        _problem(f"{where} has the role {message.get('role')!r}")
    for name, kind in {**TEXT, **DATA}.items():
        if message.get(name) is not None and not isinstance(message[name], kind):
            _problem(f"{where}: `{name}` has the wrong type")
    ids.add(message["id"])


def _row(message: dict, conversation: Conversation, parent_id: int | None) -> Message:
    status = message.get("status") if message.get("status") in STATUSES else Message.INTERRUPTED
    error = message.get("error") if isinstance(message.get("error"), dict) else {}
    content = message.get("content") or ""
    return Message(
        conversation=conversation, parent_id=parent_id, role=message["role"], content=content,
        html=render_markdown(content), status=status, tool_calls=message.get("tool_calls") or [],
        **{name: message.get(name) or "" for name in TEXT if name != "content"},
        usage=message.get("usage"), metrics=message.get("metrics"), structured=message.get("structured"),
        request=message.get("request"), cost=message["cost"] if isinstance(message.get("cost"), (int, float)) else None,
        error_code=str(error.get("code") or "")[:30], error_message=str(error.get("message") or ""),
        mode=message["mode"] if message.get("mode") in MODES else Message.CHAT, logprobs=message.get("logprobs"),
        images=[{"id": i["id"]} for i in message.get("images") or () if isinstance(i, dict) and _is_id(i.get("id"))],
    )


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _keep_readable_images(user, conversation: Conversation, rows: list[Message]) -> None:
    """A file holds references to images, not their bytes: those the importer may see here are copied into the
    new conversation (as a fork copies them); the others are left out, the message's text kept."""
    ids = {reference["id"] for row in rows for reference in row.images}
    readable = {a.pk for a in Attachment.objects.select_related("conversation").filter(pk__in=ids)
                if a.can_read(user)}
    for row in rows:
        row.images = [reference for reference in row.images if reference["id"] in readable]
    images.copy_into(conversation, user, rows)


@transaction.atomic
def import_conversation(user, document, copy: bool = False) -> tuple[Conversation, bool]:
    """The new conversation, and whether it is a copy of a file imported before."""
    conversation, messages = _checked(document)
    mark = fingerprint(document)
    earlier = Conversation.objects.filter(owner=user, imported_from=mark).first()
    if earlier is not None and not copy:
        raise ApiError(409, f"This file was imported already, as “{earlier.title}” (conversation {earlier.pk}). "
                            "Import it again as a copy to have it twice.")
    title = str(conversation.get("title") or "Imported conversation")[:190]
    new = Conversation.objects.create(
        owner=user, title=f"{title} (copy)" if earlier else title, visibility=default_visibility(user),
        settings=export.known_settings(conversation.get("settings") if isinstance(conversation.get("settings"), dict)
                                       else None), imported_from=mark)
    rows = [_row(message, new, None) for message in messages]
    _keep_readable_images(user, new, rows)
    new_ids: dict[int, int] = {}
    for message, row in zip(messages, rows):
        row.parent_id = new_ids.get(message.get("parent_id"))
        row.save()
        new_ids[message["id"]] = row.pk
    return new, earlier is not None
