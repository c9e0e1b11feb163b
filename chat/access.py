"""Who may read or write a conversation, as refusals a socket or view turns into an error."""
from chat.errors import Refused
from chat.models import Conversation


def readable_conversation(user, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.select_related("owner").filter(pk=conversation_id).first()
    if conversation is None or not conversation.can_read(user):
        raise Refused("not_found", f"Conversation {conversation_id} does not exist.")
    return conversation


def writable_conversation(user, conversation_id: int) -> Conversation:
    conversation = readable_conversation(user, conversation_id)
    if not conversation.can_write(user):
        raise Refused("forbidden", "Only the owner writes to this conversation; fork it to continue in your own.")
    return conversation
