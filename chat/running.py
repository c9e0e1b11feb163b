"""What is running in this process: replies by their sender and request id, and by conversation.

Request ids are chosen by clients, so a reply is found by (user id, request id): one user's ids never
reach another's replies. A conversation is `claim`ed while its turn is being stored, so two frames
cannot start replies in it at the same moment.
"""
from contextlib import contextmanager
from typing import Iterator, Protocol

from chat.errors import Refused

BUSY = "A reply is already streaming in this conversation; stop it or wait."


class Reply(Protocol):
    user_id: int
    request_id: str
    conversation_id: int


_by_request: dict[tuple[int, str], Reply] = {}
_by_conversation: dict[int, set[Reply]] = {}
_claimed: set[int] = set()
_preparing: dict[tuple[int, str], set[str]] = {}  # turns being stored: the cancels asked for them meanwhile


def add(reply: Reply) -> None:
    _by_request[(reply.user_id, reply.request_id)] = reply
    _by_conversation.setdefault(reply.conversation_id, set()).add(reply)


def remove(reply: Reply) -> None:
    if _by_request.get((reply.user_id, reply.request_id)) is reply:
        del _by_request[(reply.user_id, reply.request_id)]
    replies = _by_conversation.get(reply.conversation_id, set())
    replies.discard(reply)
    if not replies:
        _by_conversation.pop(reply.conversation_id, None)


def find(user_id: int, request_id: str) -> Reply | None:
    return _by_request.get((user_id, request_id))


def in_conversation(conversation_id: int) -> set[Reply]:
    """The replies streaming in a conversation in this process (several when comparing models)."""
    return _by_conversation.get(conversation_id, set())


def count() -> int:
    return len(_by_request)


@contextmanager
def claim(conversation_id: int | None) -> Iterator[None]:
    """Hold a conversation while a turn is stored in it; refuse if a reply runs or a turn is being stored."""
    if conversation_id is None:
        yield
        return
    if conversation_id in _claimed or in_conversation(conversation_id):
        raise Refused("bad_request", BUSY)
    _claimed.add(conversation_id)
    try:
        yield
    finally:
        _claimed.discard(conversation_id)


@contextmanager
def preparing(user_id: int, request_id: str) -> Iterator[set[str]]:
    """While a turn is stored its replies cannot be found yet: a cancel for them is kept in the set yielded."""
    key = (user_id, request_id)
    _preparing[key] = cancels = set()
    try:
        yield cancels
    finally:
        _preparing.pop(key, None)


def cancel_preparing(user_id: int, request_id: str) -> bool:
    """Keep a cancel for a reply (or compare column `<id>:<n>`) whose turn is still being stored."""
    for (owner, prepared), cancels in _preparing.items():
        if owner == user_id and (request_id == prepared or request_id.startswith(prepared + ":")):
            cancels.add(request_id)
            return True
    return False
