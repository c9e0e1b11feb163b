"""Full-text search of messages, on whichever database runs the suite."""
import pytest

from chat.models import Conversation, Message
from chat.search import matching


def _ids(text):
    found = matching(text)
    return set(Conversation.objects.filter(found).values_list("pk", flat=True)) if found is not None else set()


@pytest.mark.django_db
def test_messages_are_found_by_their_words_as_they_are_written_and_edited(alice):
    first = Conversation.objects.create(owner=alice, title="a")
    second = Conversation.objects.create(owner=alice, title="b")
    Message.objects.create(conversation=first, role="user", content="How fast is the Daphne relay?")
    reply = Message.objects.create(conversation=second, role="assistant", content="", status="streaming")
    assert _ids("daphne") == {first.pk}
    reply.content = "The relay adds little latency."
    reply.save()
    assert _ids("latency") == set()  # still streaming: indexed when it ends
    reply.status = "complete"
    reply.save()
    assert _ids("latency") == {second.pk}
    assert _ids("relay") == {first.pk, second.pk}
    assert _ids("zebracorn") == set()
    assert matching("!!!") is None
    reply.delete()
    assert _ids("latency") == set()


@pytest.mark.django_db
def test_a_saved_schema_and_tools_come_back_with_their_keys_in_the_order_written(alice):
    """PostgreSQL's jsonb would sort keys; models fill properties in schema order, so order is kept."""
    from chat.models import SavedSchema, ToolSet

    schema = {"type": "object", "properties": {"zeta": {"type": "string"}, "alpha": {"type": "integer"}}}
    SavedSchema.objects.create(name="s", owner=alice, schema=schema)
    tool = {"type": "function", "function": {"name": "f", "parameters": schema}}
    ToolSet.objects.create(name="t", owner=alice, tools=[tool])
    assert list(SavedSchema.objects.get().schema["properties"]) == ["zeta", "alpha"]
    assert list(ToolSet.objects.get().tools[0]) == ["type", "function"]


@pytest.mark.django_db
def test_copied_messages_are_found_and_an_oversized_message_is_still_stored(alice):
    """Forks copy messages in bulk; on PostgreSQL a conversation's vector has a 1 MB limit that never refuses a message."""
    conversation = Conversation.objects.create(owner=alice, title="c")
    Message.objects.bulk_create([Message(conversation=conversation, role="user", content="alpha words"),
                                 Message(conversation=conversation, role="assistant", content="beta words")])
    assert _ids("alpha") == _ids("beta") == {conversation.pk}
    huge = " ".join(f"w{i}x" for i in range(200_000))  # more distinct words than a 1 MB tsvector holds
    Message.objects.create(conversation=conversation, role="user", content=huge)
    Message.objects.create(conversation=conversation, role="assistant", content="omega")
    assert Message.objects.filter(conversation=conversation).count() == 4
    assert _ids("alpha") == _ids("omega") == {conversation.pk}
