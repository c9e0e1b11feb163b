"""Prompts: who may see and change them, their checked versions (numbered, never edited) and labels (audited).

A version's messages are {role: system|user|assistant, content} with {{variables}}; its settings are the chat
settings a prompt may fix (checked by the websocket's own parsers in `chat.frames`); its variables map each
variable of the messages to the kind of input that fills it.
"""
import re

from django.db import IntegrityError, transaction
from django.db.models import Max

from chat import frames
from chat.errors import ApiError, BadFrame, Refused
from chat.gateway.audit import record
from chat.gateway.models import AuditEntry
from chat.models.preferences import default_visibility
from chat.workbench import variables
from chat.workbench.models import Prompt, PromptLabel, PromptVersion

ROLES = ("system", "user", "assistant")
SETTING_KEYS = ("provider", "model", "params", "tools", "tool_choice", "response_format")
MAX_MESSAGES = 200
LABEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")
MOVED, REMOVED = "prompt.label_moved", "prompt.label_removed"


# Rights ---------------------------------------------------------------------------------------------------

def readable_prompt(user, prompt_id: int) -> Prompt:
    """The prompt if `user` may read it; a private prompt of someone else is as missing as an unknown id."""
    prompt = Prompt.objects.select_related("owner").filter(pk=prompt_id).first()
    if prompt is None or not prompt.can_read(user):
        raise Refused("not_found", f"Prompt {prompt_id} does not exist.")
    return prompt


def writable_prompt(user, prompt_id: int) -> Prompt:
    prompt = readable_prompt(user, prompt_id)
    if not prompt.can_write(user):
        raise Refused("forbidden", "Only the prompt's owner (or a role the admin grants) saves versions and moves labels.")
    return prompt


# Checks ---------------------------------------------------------------------------------------------------

def checked_messages(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "`messages` must be a list of at least one {role, content}.")
    if len(raw) > MAX_MESSAGES:
        raise ApiError(400, f"A prompt has at most {MAX_MESSAGES} messages.")
    out = []
    for number, message in enumerate(raw, 1):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ApiError(400, f"Message {number}: the role must be system, user or assistant.")
        if not isinstance(message.get("content"), str):
            raise ApiError(400, f"Message {number}: the content must be text.")
        out.append({"role": message["role"], "content": message["content"]})
    return out


def checked_settings(raw) -> dict:
    """Only the settings a prompt may fix, each checked as a chat frame's would be; empty ones left out."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ApiError(400, "`settings` must be an object.")
    unknown = sorted(set(raw) - set(SETTING_KEYS))
    if unknown:
        raise ApiError(400, f"Unknown setting `{unknown[0][:60]}`: a prompt may set {', '.join(SETTING_KEYS)}.")
    try:
        parsed = frames.settings_from(raw).as_dict()
    except BadFrame as problem:
        raise ApiError(400, str(problem)) from None
    return {key: parsed[key] for key in SETTING_KEYS if parsed.get(key) not in (None, "", [], {})}


def checked_kinds(raw, messages: list[dict]) -> dict:
    """{name: kind} for every variable of `messages` (text unless said otherwise); others are dropped."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ApiError(400, "`variables` must be an object of {name: kind}.")
    kinds = {}
    for name in variables.names_in(messages):
        kind = raw.get(name) or "text"
        if kind not in variables.KINDS:
            raise ApiError(400, f"The variable {{{{{name}}}}} must be one of: {', '.join(variables.KINDS)}.")
        kinds[name] = kind
    return kinds


def _text(data: dict, name: str, limit: int, default: str = "") -> str:
    value = data.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, str) or len(value) > limit:
        raise ApiError(400, f"`{name}` must be text of at most {limit} characters.")
    return value.strip()


# Versions -------------------------------------------------------------------------------------------------

def create_prompt(user, data: dict) -> Prompt:
    """A new prompt of `user` with its first version (from `data`: name, description, visibility, messages…)."""
    name = _text(data, "name", 200)
    if not name:
        raise ApiError(400, "Give the prompt a name.")
    visibility = data.get("visibility") or default_visibility(user)
    if visibility not in (Prompt.PRIVATE, Prompt.TEAM):
        raise ApiError(400, "`visibility` must be private or team.")
    fields = version_fields(data)
    with transaction.atomic():
        prompt = Prompt.objects.create(owner=user, name=name, visibility=visibility,
                                       description=_text(data, "description", 2000))
        PromptVersion.objects.create(prompt=prompt, number=1, author=user, **fields)
    return prompt


def version_fields(data: dict) -> dict:
    messages = checked_messages(data.get("messages"))
    return {"messages": messages, "settings": checked_settings(data.get("settings")),
            "variables": checked_kinds(data.get("variables"), messages), "note": _text(data, "note", 500)}


def add_version(prompt: Prompt, user, data: dict, attempts: int = 3) -> PromptVersion:
    """The next version (last number + 1), never a change to an earlier one; two saves at once get two numbers."""
    fields = version_fields(data)
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                Prompt.objects.select_for_update().filter(pk=prompt.pk).first()  # saves of one prompt queue here
                last = prompt.versions.aggregate(last=Max("number"))["last"] or 0
                version = PromptVersion.objects.create(prompt=prompt, number=last + 1, author=user, **fields)
                Prompt.objects.filter(pk=prompt.pk).update(updated=version.created)
                return version
        except IntegrityError:  # SQLite does not lock rows: the unique (prompt, number) constraint decides
            if attempt == attempts - 1:
                raise ApiError(409, "Someone saved a version at the same moment: save again.") from None
    raise AssertionError("unreachable")


def version_of(prompt: Prompt, number=None, label=None) -> PromptVersion:
    """A version by number, by label, or (neither given) the latest."""
    if label:
        row = prompt.labels.select_related("version").filter(name=label).first()
        if row is None:
            raise ApiError(404, f"This prompt has no label {label!r}.")
        return row.version
    versions = prompt.versions.all()
    row = versions.filter(number=number).first() if number is not None else versions.order_by("-number").first()
    if row is None:
        raise ApiError(404, f"This prompt has no version {number}.")
    return row


# Labels ---------------------------------------------------------------------------------------------------

def move_label(prompt: Prompt, user, name: str, number) -> PromptLabel:
    """Point the label `name` at version `number` (making the label if new); the move is in the audit log."""
    if not LABEL_NAME.match(name or ""):
        raise ApiError(400, "A label is up to 60 letters, digits, dots, dashes and underscores.")
    if isinstance(number, bool) or not isinstance(number, int):
        raise ApiError(400, "`version` must be a version number.")
    version = version_of(prompt, number=number)
    with transaction.atomic():
        label = PromptLabel.objects.select_for_update().filter(prompt=prompt, name=name).first()
        before = label.version.number if label else None
        if label is None:
            label = PromptLabel(prompt=prompt, name=name)
        label.version, label.moved_by = version, user
        label.save()
        if before != version.number:
            record(MOVED, prompt, {name: [before, version.number]})
    return label


def remove_label(prompt: Prompt, name: str) -> None:
    with transaction.atomic():
        label = prompt.labels.select_related("version").select_for_update().filter(name=name).first()
        if label is None:
            raise ApiError(404, f"This prompt has no label {name!r}.")
        record(REMOVED, prompt, {name: [label.version.number, None]})
        label.delete()


def label_history(prompt: Prompt, limit: int = 50) -> list[dict]:
    """Every move of the prompt's labels, newest first: who, which label, from and to which version."""
    entries = AuditEntry.objects.filter(target_type="prompt", target_id=str(prompt.pk), action__in=(MOVED, REMOVED))
    return [{"label": name, "from": change[0], "to": change[1], "by": entry.actor_name,
             "at": entry.created.isoformat()}
            for entry in entries[:limit] for name, change in entry.changes.items()]
