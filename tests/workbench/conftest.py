"""Workbench fixtures: a dataset of alice's, and JSON helpers for the endpoints."""
import json

import pytest

from chat.workbench.models import Dataset


@pytest.fixture
def dataset(alice):
    return Dataset.objects.create(owner=alice, name="Capitals", columns=["country"])


def send(client, method: str, url: str, data=None):
    return getattr(client, method)(url, json.dumps(data if data is not None else {}), content_type="application/json")


@pytest.fixture
def chat(alice):
    """alice's team conversation: a question, a tool turn, and the reply; returns (conversation, question, reply)."""
    from chat.models import Conversation, Message

    conversation = Conversation.objects.create(owner=alice, title="Capitals")
    question = Message.objects.create(conversation=conversation, role=Message.USER, content="Capital of France?",
                                      author=alice)
    tool = Message.objects.create(conversation=conversation, parent=question, role=Message.TOOL, content="{}",
                                  tool_call_id="c1", name="lookup")
    reply = Message.objects.create(conversation=conversation, parent=tool, role=Message.ASSISTANT, content="Paris.",
                                   provider="loopback", model="fake-model")
    return conversation, question, reply
