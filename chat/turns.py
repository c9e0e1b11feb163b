"""Turning an authorized chat frame into stored messages and generation Jobs.

Everything here is synchronous ORM work; the consumer runs it off the event
loop, in two steps. Planning sits on the path to the first token, so it reads
the conversation once (`Tree`), plans each reply once (models and quota limits
cached) and writes nothing: it returns a `Planned` turn whose replies the
caller opens upstream before it runs `commit()`, which stores the turn.
"""
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from chat import store
from chat.access import readable_conversation, writable_conversation
from chat.errors import Refused
from chat.frames import Settings
from chat.generation import Job
from chat.images import attachable
from chat.history import Row, Tree, neutral_messages
from chat.models import Conversation, Message
from chat.requests import plan
from chat.running import BUSY


@dataclass
class Turn:
    jobs: list[Job]
    conversation: dict  # id, title, visibility, owner
    created_conversation: bool = False
    messages: list[dict] = field(default_factory=list)  # summaries of the stored user/tool messages


@dataclass
class Planned:
    """A turn planned (anything refused is refused by now) and not yet stored."""

    jobs: list[Job]
    commit: Callable[[], Turn]  # stores the turn in one transaction and gives the jobs their ids


def _job(request_id: str, user, settings: Settings, path: list) -> Job:
    """A reply's job, planned (and refused) before anything is stored; its ids come with its row.

    A text completion sends only its prompt (the branch's last message): no system prompt, no earlier turns.
    """
    messages = neutral_messages(path[-1:], None) if settings.completion else neutral_messages(path, settings.system)
    return Job(request_id=request_id, user_id=user.pk, plan=plan(settings, messages, user))


def _describe(conversation: Conversation) -> dict:
    return {"id": conversation.pk, "title": conversation.title, "visibility": conversation.visibility,
            "owner": conversation.owner.get_username()}


def open_for_write(user, conversation_id: int | None) -> tuple[Conversation | None, Tree]:
    """Authorize the write and load the conversation's messages; refuse while a reply streams."""
    if conversation_id is None:
        return None, Tree.load(None)
    conversation = writable_conversation(user, conversation_id)
    tree = Tree.load(conversation.pk)
    if tree.streaming:
        raise Refused("bad_request", BUSY)
    return conversation, tree


def _columns(frame: dict, settings: Settings) -> list[tuple[str, Settings]]:
    """(request_id, settings) per reply: one, or one per compared model (`request_id:N`)."""
    if not frame.get("compare"):
        return [(frame["request_id"], settings)]
    return [(f"{frame['request_id']}:{n}", replace(settings, provider=target["provider"], model=target["model"]))
            for n, target in enumerate(frame["compare"])]


def parent_of(frame: dict, tree: Tree) -> int | None:
    if frame.get("root"):
        return None
    parent_id = frame.get("parent_id")
    if parent_id is None:
        return tree.latest_id
    if tree.get(parent_id) is None:
        raise Refused("not_found", f"Message {parent_id} is not in this conversation.")
    return parent_id


def send(user, frame: dict) -> Planned:
    conversation, tree = open_for_write(user, frame["conversation_id"])
    settings = frame["settings"].merged_over(conversation.settings if conversation else {})
    parent_id = parent_of(frame, tree)
    if settings.completion and frame.get("images"):
        raise Refused("bad_request", "Images do not apply to text completion; remove them or switch to Chat.")
    attached = [a.reference() for a in attachable(user, frame["conversation_id"], frame.get("images") or [])]
    path = tree.path_to(parent_id) + [Row(None, parent_id, Message.USER, frame["content"], [], "", "", "",
                                          images=attached)]
    jobs = [_job(request_id, user, column, path) for request_id, column in _columns(frame, settings)]
    if frame.get("compare"):
        for job in jobs:
            job.compare_set = frame["request_id"]

    return Planned(jobs, _Commit(store.NewTurn(user, conversation, parent_id, frame["content"], settings.as_dict(), jobs,
                                               frame.get("visibility"), attached,
                                               Message.COMPLETION if settings.completion else Message.CHAT)))


@dataclass
class _Commit:
    """A sent message's `Planned.commit`: its turn stored alone, or with others arriving together (`together`, for
    `chat.db.grouped`)."""

    new: store.NewTurn

    def __call__(self) -> Turn:
        return self._turn(store.start_turn(self.new))

    @staticmethod
    def together(commits: list["_Commit"]) -> list[Turn]:
        return [commit._turn(stored) for commit, stored in zip(commits, store.start_turns([c.new for c in commits]))]

    def _turn(self, stored: tuple[Conversation, Message]) -> Turn:
        conversation, message = stored
        return Turn(self.new.jobs, _describe(conversation), self.new.conversation is None, [message.summary()])


def _tool_messages(tree: Tree, results: list[dict], parent_id: int | None) -> tuple[int | None, list[Message]]:
    """Unsaved tool messages answering the calls of `parent_id` (default: the newest branch's last message)."""
    parent_id = tree.latest_id if parent_id is None else parent_id
    parent = tree.get(parent_id)
    calls = {c["id"]: c for c in (parent.tool_calls if parent and parent.role == Message.ASSISTANT else [])}
    messages = []
    for result in results:
        call = calls.get(result["tool_call_id"])
        if call is None:
            raise Refused("bad_request", f"No pending tool call {result['tool_call_id']!r} in this conversation.")
        messages.append(Message(role=Message.TOOL, content=result["content"], tool_call_id=call["id"], name=call["name"]))
    return parent_id, messages


def tool_results(user, frame: dict) -> Planned:
    conversation, tree = open_for_write(user, frame["conversation_id"])
    settings = frame["settings"].merged_over(conversation.settings)
    parent, messages = _tool_messages(tree, frame["results"], frame.get("parent_id"))
    job = _job(frame["request_id"], user, settings, tree.path_to(parent) + messages)

    def commit() -> Turn:
        store.add_tool_results(user, conversation, parent, messages, settings.as_dict(), [job])
        return Turn([job], _describe(conversation), False, [m.summary() for m in messages])

    return Planned([job], commit)


def regenerate(user, frame: dict) -> Planned:
    conversation, tree = open_for_write(user, frame["conversation_id"])
    original = tree.get(frame["message_id"])
    if original is None or original.role != Message.ASSISTANT:
        raise Refused("not_found", f"Assistant message {frame['message_id']} is not in this conversation.")
    asked = Message.objects.filter(pk=original.id).values_list("request", flat=True).first() or {}
    settings = frame["settings"].merged_over({**conversation.settings, **asked})
    job = _job(frame["request_id"], user, settings, tree.path_to(original.parent_id))

    def commit() -> Turn:
        store.add_reply(conversation, original.parent_id, [job])
        return Turn([job], _describe(conversation))

    return Planned([job], commit)


def watch_state(user, conversation_id: int) -> list[dict]:
    """Replies streaming in a conversation as stored (their last checkpoint)."""
    readable_conversation(user, conversation_id)
    rows = Message.objects.filter(conversation_id=conversation_id, status=Message.STREAMING)
    return [{"request_id": None, "message_id": m.pk, "content": m.content, "tool_calls": m.tool_calls,
             "provider": m.provider, "model": m.model} for m in rows]
