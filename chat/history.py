"""Branches of a conversation's message tree, and their neutral form for a provider."""
from chat.models import Message
from providers import types


def branch(conversation_id: int, leaf_id: int | None) -> list[Message]:
    """The messages from the root down to `leaf_id`, in order."""
    if leaf_id is None:
        return []
    rows = {m.id: m for m in Message.objects.filter(conversation_id=conversation_id)}
    path = []
    node = rows.get(leaf_id)
    while node is not None:
        path.append(node)
        node = rows.get(node.parent_id)
    return path[::-1]


def neutral_messages(path: list[Message], system: str | None) -> list[types.Message]:
    """What a provider is sent for a branch: the system prompt, then every turn."""
    out = [types.Message("system", system)] if system else []
    for m in path:
        if m.role == Message.ASSISTANT and not m.content and not m.tool_calls:
            continue  # a reply that failed before any text says nothing to the model
        calls = tuple(types.ToolCall(c["id"], c["name"], c.get("arguments") or "", c.get("extra"))
                      for c in m.tool_calls or ())
        out.append(types.Message(m.role, m.content, calls, m.tool_call_id or None, m.name or None))
    return out
