"""A prompt put to use: the diff of two versions, a version opened in the playground, a conversation saved as one.

Opening a version fills its variables (every missing one named at once) and makes a playground conversation of
the user: the system messages become its system prompt, the version's settings its settings, and the example
messages before the last user message are stored as its branch. The last user message is not sent: it comes
back as the `draft` the page puts in the composer, so the person reads it and presses Send.
"""
import difflib
import json

from django.db import transaction

from chat import images
from chat.access import readable_conversation
from chat.errors import ApiError
from chat.history import branch
from chat.models import Attachment, Conversation, Message
from chat.models.preferences import default_visibility
from chat.rendering import render_markdown
from chat.workbench import variables
from chat.workbench.models import Prompt, PromptVersion
from chat.workbench.prompts import SETTING_KEYS, checked_settings

IMAGE_MARK = "\ufffc{}\ufffc"  # where an image variable was: the image is attached, the mark taken out


# Diff -----------------------------------------------------------------------------------------------------

def canonical_lines(version: PromptVersion) -> list[str]:
    """One text form of a version (messages, settings, variable kinds) that diffs line by line."""
    lines = []
    for message in version.messages:
        lines += [f"[{message['role']}]", *(message["content"].splitlines() or [""]), ""]
    lines += ["[settings]", *json.dumps(version.settings, indent=2, sort_keys=True, ensure_ascii=False).splitlines()]
    lines += ["", "[variables]", *(f"{name}: {kind}" for name, kind in sorted(version.variables.items()))]
    return lines


def diff(old: PromptVersion, new: PromptVersion) -> list[dict]:
    """A unified diff of two versions as [{kind: hunk|add|del|same, text}]; empty when they are the same."""
    lines = list(difflib.unified_diff(canonical_lines(old), canonical_lines(new), lineterm="", n=3))[2:]
    kinds = {"@": "hunk", "+": "add", "-": "del"}
    return [{"kind": kinds.get(line[:1], "same"), "text": line} for line in lines]


# Open in the playground -----------------------------------------------------------------------------------

def _values(user, version: PromptVersion, values) -> tuple[dict, dict]:
    """The values to fill in (image variables as marks) and {name: Attachment} for the image variables."""
    if not isinstance(values, dict):
        raise ApiError(400, "`values` must be an object of {variable: value}.")
    filled, attached = dict(values), {}
    for name, kind in version.variables.items():
        value = values.get(name)
        if value in (None, ""):
            continue
        if kind == "image":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ApiError(400, f"{{{{{name}}}}} takes an uploaded image.")
            attached[name] = images.attachable(user, None, [value])[0]
            filled[name] = IMAGE_MARK.format(name)
        elif kind == "json" and isinstance(value, str):
            try:
                json.loads(value)
            except ValueError as problem:
                raise ApiError(400, f"{{{{{name}}}}} is not valid JSON: {problem}.") from None
    return filled, attached


def _split(content: str, attached: dict) -> tuple[str, list[Attachment]]:
    used = [row for name, row in attached.items() if IMAGE_MARK.format(name) in content]
    for name in attached:
        content = content.replace(IMAGE_MARK.format(name), "")
    return content.strip() if used else content, used


@transaction.atomic
def open_in_playground(user, prompt: Prompt, version: PromptVersion, values) -> dict:
    """A new conversation of `user` holding the filled version; returns its id, url and the draft to send."""
    filled, attached = _values(user, version, values)
    messages = variables.fill_messages(version.messages, filled)
    system = "\n\n".join(_split(m["content"], attached)[0] for m in messages if m["role"] == "system")
    turns = [m for m in messages if m["role"] != "system"]
    draft = turns.pop() if turns and turns[-1]["role"] == "user" else None
    settings = {**version.settings, **({"system": system} if system else {})}
    conversation = Conversation.objects.create(owner=user, title=f"{prompt.name} v{version.number}"[:200],
                                               settings=settings, visibility=default_visibility(user))
    parent = None
    for turn in turns:
        content, used = _split(turn["content"], attached)
        Attachment.objects.filter(pk__in=[row.pk for row in used]).update(conversation=conversation)
        parent = Message.objects.create(conversation=conversation, parent=parent, role=turn["role"], content=content,
                                        html=render_markdown(content), author=user if turn["role"] == "user" else None,
                                        images=[row.reference() for row in used])
    content, used = _split(draft["content"], attached) if draft else ("", [])
    return {"conversation_id": conversation.pk, "url": f"/c/{conversation.pk}/",
            "draft": {"content": content, "images": [images.summary(row) for row in used]}}


# Save a conversation as a prompt --------------------------------------------------------------------------

def from_conversation(user, conversation_id, leaf_id) -> dict:
    """The messages (system prompt first) and settings of a branch of a conversation `user` may read."""
    if isinstance(conversation_id, bool) or not isinstance(conversation_id, int):
        raise ApiError(400, "`conversation_id` must be a conversation's id.")
    conversation = readable_conversation(user, conversation_id)
    leaf_id = leaf_id or conversation.latest_message_id()
    if leaf_id is None:
        raise ApiError(400, "This conversation has no messages to save yet.")
    if not isinstance(leaf_id, int) or not conversation.messages.filter(pk=leaf_id).exists():
        raise ApiError(400, "`leaf_id` must be a message of this conversation.")
    stored = conversation.settings or {}
    messages = [{"role": "system", "content": stored["system"]}] if stored.get("system") else []
    messages += [{"role": m.role, "content": m.content} for m in branch(conversation.pk, leaf_id)
                 if m.role in (Message.USER, Message.ASSISTANT) and m.content]
    return {"messages": messages, "settings": checked_settings({k: v for k, v in stored.items() if k in SETTING_KEYS})}
