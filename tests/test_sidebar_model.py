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


def test_the_provider_list_says_why_a_provider_has_no_models_and_links_admins(client, alice, bob):
    from providers.models import Provider

    Provider.objects.create(name="Empty", slug="empty", kind="openai", base_url="http://127.0.0.1:9/v1")
    client.force_login(bob)
    empty = next(p for p in client.get("/api/providers").json()["providers"] if p["slug"] == "empty")
    assert empty["models"] == [] and "Fetch models" in empty["empty_reason"] and "admin_url" not in empty
    client.force_login(alice)
    empty = next(p for p in client.get("/api/providers").json()["providers"] if p["slug"] == "empty")
    assert empty["admin_url"].startswith("/admin/providers/provider/")


def test_a_model_choice_says_whether_it_reasons_and_which_controls_its_api_takes(client, alice, provider):
    provider.provider_models.update(supports_reasoning=True)
    client.force_login(alice)
    choice = client.get("/api/providers").json()["providers"][0]["models"][0]
    assert choice["capabilities"]["reasoning"] is True and "reasoning_effort" in choice["capabilities"]["reasoning_controls"]
