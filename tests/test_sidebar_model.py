"""The conversation list names the model that answered, not the one the settings panel last asked for."""
import pytest

from chat.models import Message
from tests.test_history_views import make_conversation

pytestmark = pytest.mark.django_db


def test_the_list_and_the_conversation_name_the_model_that_answered_last(client, alice):
    conversation = make_conversation(alice, "Which model?", settings={"provider": "loopback", "model": "asked-model"})
    last = conversation.messages.order_by("-id").first()
    Message.objects.create(conversation=conversation, parent=last, role="user", content="Again")
    Message.objects.filter(pk=last.pk).update(model="answering-model")
    client.force_login(alice)
    items = client.get("/api/conversations").json()["items"]
    assert [item["model"] for item in items] == ["answering-model"]
    detail = client.get(f"/api/conversations/{conversation.pk}").json()
    assert detail["conversation"]["model"] == "answering-model"


def test_a_conversation_no_model_answered_yet_names_the_model_asked(client, alice):
    make_conversation(alice, "Not answered", settings={"provider": "loopback", "model": "asked-model"}, turns=())
    client.force_login(alice)
    assert client.get("/api/conversations").json()["items"][0]["model"] == "asked-model"
