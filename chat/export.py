"""A conversation as a JSON document (the whole tree) or Markdown (the current branch).

Both carry the settings a person would need to repeat the chat (system prompt,
params, tools, tool_choice, response format) and every tool call and tool
result; neither carries anything about a provider's key. Images are references
(id, url, width, height), never their bytes: links in Markdown, never inline.
"""
import json

from django.utils.text import slugify

from chat.frames import SETTING_NAMES
from chat.history import branch
from chat.models import Conversation, Message
from chat.models.attachments import image_url

FORMAT_VERSION = 1
MESSAGE_FIELDS = ("id", "parent_id", "role", "content", "reasoning", "tool_calls", "tool_call_id", "name", "status",
                  "finish_reason", "usage", "metrics", "cost", "structured", "provider", "model", "error",
                  "created", "mode", "logprobs", "images")


def filename(conversation: Conversation, extension: str) -> str:
    stem = slugify(conversation.title)[:60] or "conversation"
    return f"{stem}-{conversation.pk}.{extension}"


def known_settings(raw: dict | None) -> dict:
    """Only the known generation settings: an allow-list, so nothing else stored can leak out."""
    raw = raw or {}
    return {name: raw[name] for name in SETTING_NAMES if raw.get(name) not in (None, "", [], {})}


def _message(message: Message) -> dict:
    summary = message.summary()
    data = {name: summary[name] for name in MESSAGE_FIELDS}
    data["request"] = known_settings(message.request)
    if message.mode == Message.IMAGE and (message.request or {}).get("image"):
        data["request"]["image"] = message.request["image"]  # size and count asked for
    return data


def as_json(conversation: Conversation) -> dict:
    messages = list(conversation.messages.all())
    path = branch(conversation.pk, conversation.latest_message_id())
    return {
        "format": "team-llm-playground/conversation", "version": FORMAT_VERSION,
        "conversation": {
            "id": conversation.pk, "title": conversation.title, "owner": conversation.owner.get_username(),
            "visibility": conversation.visibility, "created": conversation.created.isoformat(),
            "updated": conversation.updated.isoformat(), "forked_from_id": conversation.forked_from_id,
            "settings": known_settings(conversation.settings),
        },
        "current_leaf_id": conversation.latest_message_id(),
        "current_branch": [m.pk for m in path],
        "messages": [_message(m) for m in messages],
    }


def _fence(text: str, lang: str = "") -> str:
    """A fenced block that the text inside cannot close."""
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text}\n{ticks}"


def _json_block(value) -> str:
    return _fence(json.dumps(value, indent=2, ensure_ascii=False), "json")


def _settings_markdown(settings: dict) -> list[str]:
    lines = []
    if settings.get("mode") == "completion":
        lines.append("- **Mode:** text completion")
    if settings.get("provider") or settings.get("model"):
        lines.append(f"- **Model:** {settings.get('model') or '?'} ({settings.get('provider') or '?'})")
    for name, value in (settings.get("params") or {}).items():
        lines.append(f"- **{name}:** {json.dumps(value)}")
    if settings.get("tool_choice") is not None:
        lines.append(f"- **tool_choice:** {json.dumps(settings['tool_choice'])}")
    if settings.get("parallel_tool_calls") is not None:
        lines.append(f"- **parallel_tool_calls:** {json.dumps(settings['parallel_tool_calls'])}")
    if settings.get("response_format"):
        lines.append(f"- **response_format:** {json.dumps(settings['response_format'])}")
    out = lines and ["\n".join(lines), ""] or []
    if settings.get("system"):
        out += ["### System prompt", "", _fence(settings["system"]), ""]
    if settings.get("tools"):
        out += ["### Tools", "", _json_block(settings["tools"]), ""]
    return out


def _message_markdown(message: Message, site: str = "") -> list[str]:
    heading = {"user": "User", "assistant": "Assistant", "tool": "Tool", "system": "System"}[message.role]
    completion = message.mode == Message.COMPLETION
    if completion:  # raw text, not Markdown: fenced as is
        heading = "Prompt (text completion)" if message.role == Message.USER else "Completion"
    if message.role == Message.ASSISTANT and message.model:
        heading += f" · {message.model}"
    if message.role == Message.TOOL:
        heading += f" · {message.name or 'result'} ({message.tool_call_id})"
    out = [f"## {heading}", ""]
    if message.reasoning:
        quoted = "\n".join(f"> {line}" if line else ">" for line in message.reasoning.splitlines())
        out += ["**Reasoning**", "", quoted, ""]
    if message.content:
        out += [_fence(message.content) if message.role == Message.TOOL or completion else message.content, ""]
    for number, image in enumerate(message.images or (), 1):
        out += [f"- [Image {number} ({image['width']}×{image['height']})]({site}{image_url(image['id'])})"]
    if message.images:
        out.append("")
    for call in message.tool_calls or ():
        out += [f"**Tool call** `{call.get('name')}` ({call.get('id')}):", "", _fence(call.get("arguments") or "", "json"), ""]
    if message.status not in (Message.COMPLETE, Message.STREAMING):
        note = f"_({message.status}"
        note += f": {message.error_message})_" if message.error_message else ")_"
        out += [note, ""]
    return out


def as_markdown(conversation: Conversation, site: str = "") -> str:
    """The current branch; images as links to `site` (the playground's address, as the reader reaches it)."""
    out = [f"# {conversation.title or 'Conversation'}", "",
           f"_Exported from the team playground · {conversation.owner.get_username()} · "
           f"{conversation.visibility} · {conversation.updated:%Y-%m-%d %H:%M} UTC_", ""]
    out += _settings_markdown(known_settings(conversation.settings))
    for message in branch(conversation.pk, conversation.latest_message_id()):
        out += _message_markdown(message, site)
    return "\n".join(out).rstrip() + "\n"
