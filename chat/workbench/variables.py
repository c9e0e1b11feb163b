"""`{{variables}}` in prompt text: found as a person types, filled in before a send.

A name is letters, digits and underscores (`{{ topic }}` and `{{topic}}` are the same variable).
`\\{{` is a literal `{{` (the backslash is dropped when the text is filled in).
"""
import json
import re

from chat.errors import ApiError

PATTERN = re.compile(r"(\\)?\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
KINDS = ("text", "long_text", "json", "image")


def names(text: str) -> list[str]:
    """The variables in `text`, in order of first appearance, escaped ones left out."""
    found: dict[str, None] = {}
    for match in PATTERN.finditer(text or ""):
        if not match.group(1):
            found.setdefault(match.group(2))
    return list(found)


def names_in(messages: list[dict]) -> list[str]:
    """The variables of every message's content, in order of first appearance."""
    found: dict[str, None] = {}
    for message in messages:
        for name in names(message.get("content") or ""):
            found.setdefault(name)
    return list(found)


def require(wanted: list[str], values: dict) -> None:
    """Raises a 400 naming every variable in `wanted` that has no value."""
    missing = [name for name in wanted if values.get(name) in (None, "")]
    if missing:
        raise ApiError(400, "Fill in " + ", ".join("{{%s}}" % name for name in missing) + " before sending.")


def fill(text: str, values: dict) -> str:
    """`text` with each variable replaced by its value (JSON values as compact JSON); raises ApiError naming
    every missing variable, so nothing is sent half-filled."""
    require(names(text), values)

    def replace(match: re.Match) -> str:
        if match.group(1):
            return match.group(0)[1:]
        value = values[match.group(2)]
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return PATTERN.sub(replace, text or "")


def fill_messages(messages: list[dict], values: dict) -> list[dict]:
    """Every message with its content filled in; missing variables across all of them are named at once."""
    require(names_in(messages), values)
    return [{**message, "content": fill(message.get("content") or "", values)} for message in messages]
