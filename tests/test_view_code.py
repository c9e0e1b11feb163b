"""View code works for every wire format, and a malformed query parameter is a 400 with a JSON error."""
import json

import pytest

from chat.models import Conversation, Message
from tests.conftest import TEST_KEY, loopback_provider
from tests.fakes.registry import CASES

pytestmark = pytest.mark.django_db
KINDS = [case.kind for case in CASES]


def conversation_with_a_reply(owner, slug: str) -> tuple[Conversation, Message]:
    settings = {"provider": slug, "model": "fake-model", "params": {"temperature": 0.3}}
    conversation = Conversation.objects.create(owner=owner, title="Code", visibility=Conversation.TEAM,
                                               settings=settings)
    question = Message.objects.create(conversation=conversation, role="user", content="Hello there", author=owner)
    reply = Message.objects.create(conversation=conversation, parent=question, role="assistant", content="Hi!",
                                   provider=slug, model="fake-model", finish_reason="stop", request=settings)
    return conversation, reply


@pytest.fixture(params=CASES, ids=str)
def kind_provider(request):
    case = request.param
    with case.fake_class() as fake:
        yield case.kind, loopback_provider(fake.base_url, slug=f"loop-{case.kind}", kind=case.kind)


def test_view_code_of_a_reply_works_for_every_wire_format(client, alice, kind_provider):
    kind, provider = kind_provider
    conversation, reply = conversation_with_a_reply(alice, provider.slug)
    client.force_login(alice)
    response = client.get(f"/api/conversations/{conversation.pk}/code", {"message_id": reply.pk})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["provider"] == provider.slug and data["env_var"] == "PLAYGROUND_KEY"
    assert "$PLAYGROUND_KEY" in data["curl"] and "os.environ['PLAYGROUND_KEY']" in data["python"]
    assert "Hello there" in data["curl"]
    assert TEST_KEY not in json.dumps(data)


@pytest.mark.parametrize("message_id", ["abc", "-1", "0", "1.5", "99999999999999999999999", "١٢", " 7"])
def test_a_malformed_message_id_is_a_400_with_a_json_error(client, alice, provider, message_id):
    conversation, _ = conversation_with_a_reply(alice, provider.slug)
    client.force_login(alice)
    response = client.get(f"/api/conversations/{conversation.pk}/code", {"message_id": message_id})
    assert response.status_code == 400
    assert "message_id" in response.json()["error"]
