"""A dataset row from a conversation message: the prompting user message as input, the reply as expected."""
from chat.access import readable_conversation
from chat.errors import ApiError
from chat.models import Message
from chat.workbench import ratings
from chat.workbench.models import Dataset

DEFAULT_COLUMN = "input"
MAX_HOPS = 1000  # a reply's prompt is its nearest user ancestor (tool turns may lie between)


def _prompt_of(reply: Message) -> Message | None:
    node = reply
    for _ in range(MAX_HOPS):
        if node.parent_id is None:
            return None
        node = Message.objects.only("pk", "role", "content", "parent_id").get(pk=node.parent_id)
        if node.role == Message.USER:
            return node
    return None


def row_from_message(user, message_id: int, dataset: Dataset, tags: list[str]) -> dict:
    """The row (values, expected, tags, source) a message makes in `dataset`; a 400 for one that makes none."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise ApiError(404, f"Message {message_id} does not exist.")
    readable_conversation(user, message.conversation_id)
    if message.role == Message.ASSISTANT:
        prompt, reply = _prompt_of(message), message
    elif message.role == Message.USER:
        prompt, reply = message, None
    else:
        raise ApiError(400, "Only your messages and the replies to them go into a dataset.")
    if prompt is None or not prompt.content.strip():
        raise ApiError(400, "This reply has no user message with text before it to use as the input.")
    column = dataset.columns[0] if dataset.columns else DEFAULT_COLUMN
    source = {"conversation": message.conversation_id, "message": message.pk}
    rating = ratings.mine(user, reply.pk) if reply else None
    if rating:
        source["rating"] = rating
    return {"values": {column: prompt.content}, "expected": reply.content if reply else "", "tags": tags,
            "source": source}
