"""With PLAYGROUND_GATEWAY_SAVE_CONVERSATIONS on, a gateway request becomes its user's private conversation."""
import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, override_settings

from chat.gateway import tokens
from chat.gateway.models import ApiRequest
from chat.models import Conversation, Message

pytestmark = [pytest.mark.django_db(transaction=True)]
BODY = {"model": "loopback/fake-model", "messages": [{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": "What is 2+2?"}]}


async def _post(token: str):
    return await AsyncClient().post("/v1/chat/completions", BODY, content_type="application/json",
                                    headers={"Authorization": f"Bearer {token}"})


@override_settings(PLAYGROUND_GATEWAY_SAVE_CONVERSATIONS=True)
async def test_a_saved_request_is_a_private_conversation_marked_as_from_the_api(bob, provider, openai_fake):
    _, token = await sync_to_async(tokens.create)(bob, "notebook")
    answer = await _post(token)
    assert answer.status_code == 200
    conversation = await Conversation.objects.aget()
    assert conversation.owner_id == bob.pk and conversation.visibility == "private"
    assert conversation.title.startswith("API · What is 2+2?") and conversation.settings["system"] == "Be brief."
    rows = [m async for m in Message.objects.filter(conversation=conversation).order_by("id")]
    assert [(m.role, m.content) for m in rows] == [("user", "What is 2+2?"),
                                                   ("assistant", "Hello from the loopback provider.")]
    assert rows[1].parent_id == rows[0].pk and rows[1].usage["total_tokens"] == 17
    assert (await ApiRequest.objects.aget()).conversation_id == conversation.pk


async def test_by_default_nothing_but_the_usage_row_is_stored(bob, provider, openai_fake):
    _, token = await sync_to_async(tokens.create)(bob, "notebook")
    assert (await _post(token)).status_code == 200
    assert await Conversation.objects.acount() == 0 and await ApiRequest.objects.acount() == 1
