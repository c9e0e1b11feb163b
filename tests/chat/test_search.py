"""Full-text search of messages, on whichever database runs the suite."""
import pytest

from chat.models import Conversation, Message
from chat.search import conversation_ids_matching


def _ids(text):
    subquery = conversation_ids_matching(text)
    return set(Conversation.objects.filter(pk__in=subquery).values_list("pk", flat=True)) if subquery else set()


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
    assert conversation_ids_matching("!!!") is None
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
