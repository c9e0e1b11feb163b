"""Branches of a conversation's message tree, and their neutral form for a provider."""
from chat.images import neutral_images
from chat.models import Message
from providers import types

from dataclasses import dataclass, field


@dataclass(slots=True)
class Row:
    """The parts of a message a branch walk and a provider request need (cheaper than a model instance)."""

    id: int | None
    parent_id: int | None
    role: str
    content: str
    tool_calls: list
    tool_call_id: str
    name: str
    status: str
    reasoning: str = ""
    reasoning_extra: dict | None = None
    images: list = field(default_factory=list)  # references to attachments: [{id, width, height}]


_FIELDS = ("id", "parent_id", "role", "content", "tool_calls", "tool_call_id", "name", "status", "reasoning",
           "reasoning_extra", "images")


class Tree:
    """A conversation's messages loaded once (one query), to walk branches in memory."""

    def __init__(self, rows: dict[int, Row]):
        self.rows = rows

    @classmethod
    def load(cls, conversation_id: int | None) -> "Tree":
        if conversation_id is None:
            return cls({})
        values = Message.objects.filter(conversation_id=conversation_id).order_by().values_list(*_FIELDS)
        return cls({v[0]: Row(*v) for v in values})

    @property
    def latest_id(self) -> int | None:
        """The end of the current branch: the newest message."""
        return max(self.rows, default=None)

    @property
    def streaming(self) -> bool:
        return any(m.status == Message.STREAMING for m in self.rows.values())

    def get(self, message_id: int | None) -> Row | None:
        return self.rows.get(message_id)

    def path_to(self, leaf_id: int | None) -> list[Row]:
        """The messages from the root down to `leaf_id`, in order."""
        path = []
        node = self.rows.get(leaf_id)
        while node is not None:
            path.append(node)
            node = self.rows.get(node.parent_id)
        return path[::-1]


def branch(conversation_id: int, leaf_id: int | None) -> list[Message]:
    """The messages (whole model instances) from the root down to `leaf_id`, in order."""
    if leaf_id is None:
        return []
    rows = {m.id: m for m in Message.objects.filter(conversation_id=conversation_id)}
    path, node = [], rows.get(leaf_id)
    while node is not None:
        path.append(node)
        node = rows.get(node.parent_id)
    return path[::-1]


def neutral_messages(path: list, system: str | None) -> list[types.Message]:
    """What a provider is sent for a branch: the system prompt, then every turn (the images people attached read
    from storage; images an image-mode reply made stay out, its text says what was made)."""
    out = [types.Message("system", system)] if system else []
    for m in path:
        if m.role == Message.ASSISTANT and not m.content and not m.tool_calls:
            continue  # a reply that failed before any text says nothing to the model
        calls = tuple(types.ToolCall(c["id"], c["name"], c.get("arguments") or "", c.get("extra"))
                      for c in m.tool_calls or ())
        out.append(types.Message(m.role, m.content, calls, m.tool_call_id or None, m.name or None,
                                 m.reasoning or "", m.reasoning_extra,
                                 neutral_images(m.images) if m.role == Message.USER else ()))
    return out
