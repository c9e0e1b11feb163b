"""Images on a chat.send: stored on the user's message, shown in its summaries, sent to the provider; refused for a
foreign image or a model without vision, before anything is stored."""
import base64

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.models import Attachment, Conversation, Message
from providers.models import ProviderModel
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply
from tests.images.pictures import picture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@sync_to_async
def uploaded(user, fmt="PNG") -> dict:
    client = Client()
    client.force_login(user)
    response = client.post("/api/images", {"image": SimpleUploadedFile("p", picture(fmt), content_type="")})
    assert response.status_code == 201, response.content
    return response.json()


async def test_a_sent_image_is_stored_shown_and_sent_as_an_image_url_part(alice, bob, provider, openai_fake):
    image = await uploaded(alice)
    openai_fake.enqueue(Reply.text_of("A red square."))
    ws = await connect(alice)
    frame = send_frame("What is this?", images=[image["id"]])
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    created = of_type(frames, "message.created")[0]["message"]
    shown = [{"id": image["id"], "width": 4, "height": 3, "url": image["url"]}]
    assert created["images"] == shown
    content = openai_fake.chat_requests()[-1].body["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    assert content[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(
        await sync_to_async(lambda: Attachment.objects.get().file.open("rb").read())()).decode()
    conversation = await Conversation.objects.aget()
    assert (await Attachment.objects.aget()).conversation_id == conversation.pk
    client = Client()
    await sync_to_async(client.force_login)(bob)  # a teammate reading the team conversation sees it too
    history = (await sync_to_async(client.get)(f"/api/conversations/{conversation.pk}")).json()["messages"]
    assert next(m for m in history if m["role"] == "user")["images"] == shown
    assert (await sync_to_async(client.get)(image["url"])).status_code == 200
    await ws.disconnect()


async def test_the_next_turn_sends_the_earlier_image_again(alice, provider, openai_fake):
    image = await uploaded(alice)
    openai_fake.enqueue(Reply.text_of("A square."), Reply.text_of("Red."))
    ws = await connect(alice)
    first = send_frame("What is this?", images=[image["id"]])
    await ws.send_json_to(first)
    conversation_id = (await frames_until_end(ws, first["request_id"]))[0]["conversation_id"]
    again = send_frame("Which colour?", conversation_id=conversation_id)
    await ws.send_json_to(again)
    await frames_until_end(ws, again["request_id"])
    messages = openai_fake.chat_requests()[-1].body["messages"]
    assert messages[0]["content"][1]["type"] == "image_url" and messages[-1]["content"] == "Which colour?"
    await ws.disconnect()


async def test_someone_elses_or_an_unknown_image_is_refused_and_nothing_stored(alice, bob, provider):
    image = await uploaded(bob)
    ws = await connect(alice)
    for ids in ([image["id"]], [987654]):
        await ws.send_json_to(send_frame("Look", images=ids))
        error = await ws.receive_json_from()
        assert error["type"] == "error" and error["code"] == "bad_request" and str(ids[0]) in error["message"]
    assert not await Message.objects.aexists()
    assert (await Attachment.objects.aget()).conversation_id is None
    await ws.disconnect()


async def test_a_model_without_vision_refuses_images_before_anything_is_stored(alice, provider, openai_fake):
    await ProviderModel.objects.filter(provider=provider).aupdate(supports_vision=False)
    image = await uploaded(alice)
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Look", images=[image["id"]]))
    error = await ws.receive_json_from()
    assert error["code"] == "bad_request" and "does not take images" in error["message"]
    assert not await Message.objects.aexists() and openai_fake.chat_requests() == []
    await ws.disconnect()


async def test_a_malformed_images_field_is_a_bad_frame(alice, provider):
    ws = await connect(alice)
    for images in ("1", [1, 1], ["x"], list(range(11))):
        await ws.send_json_to(send_frame("Look", images=images))
        error = await ws.receive_json_from()
        assert error["type"] == "error" and "images" in error["message"]
    await ws.disconnect()


async def test_an_image_is_reused_within_its_conversation_only(alice, provider, openai_fake):
    """An edited message keeps its images: the page sends their ids again, which this conversation may reuse."""
    image = await uploaded(alice)
    openai_fake.enqueue(Reply.text_of("A square."), Reply.text_of("Still a square."))
    ws = await connect(alice)
    first = send_frame("What is this?", images=[image["id"]])
    await ws.send_json_to(first)
    conversation_id = (await frames_until_end(ws, first["request_id"]))[0]["conversation_id"]
    edit = send_frame("What is this, in one word?", conversation_id=conversation_id, root=True, images=[image["id"]])
    await ws.send_json_to(edit)
    frames = await frames_until_end(ws, edit["request_id"])
    assert of_type(frames, "message.created")[0]["message"]["images"][0]["id"] == image["id"]
    assert openai_fake.chat_requests()[-1].body["messages"][-1]["content"][1]["type"] == "image_url"
    await ws.send_json_to(send_frame("Elsewhere", images=[image["id"]]))  # a new conversation: refused
    error = await ws.receive_json_from()
    assert error["type"] == "error" and error["code"] == "bad_request"
    assert await Conversation.objects.acount() == 1
    await ws.disconnect()
