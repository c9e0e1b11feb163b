"""Who may stop a reply: alice (owner), bob (teammate), charlie (outsider, switched off).

A private conversation of someone else answers `not_found` to a cancel, as to every other frame:
the answer must not reveal that it exists.
"""
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat.models import Conversation, Message
from playground.asgi import application
from tests.chat.wsclient import connect, frames_until_end, send_frame
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)


async def _conversation_of(alice, visibility: str) -> int:
    ws = await connect(alice)
    frame = send_frame("Alice's question")
    await ws.send_json_to(frame)
    conversation_id = (await frames_until_end(ws, frame["request_id"]))[0]["conversation_id"]
    await ws.disconnect()
    await Conversation.objects.filter(pk=conversation_id).aupdate(visibility=visibility)
    return conversation_id


async def _cancel(ws, conversation_id: int, request_id: str = "someone-elses") -> dict | None:
    """The error answering a cancel, or None when it was accepted (a watch sent after it is answered first)."""
    await ws.send_json_to({"type": "chat.cancel", "request_id": request_id, "conversation_id": conversation_id})
    await ws.send_json_to({"type": "conversation.watch", "conversation_id": 987654})
    answer = await ws.receive_json_from()
    if answer["type"] == "error" and "987654" in answer["message"]:
        return None
    assert (await ws.receive_json_from())["code"] == "not_found"
    return answer


async def test_a_cancel_on_someone_elses_private_conversation_answers_not_found(alice, bob, provider):
    conversation_id = await _conversation_of(alice, "private")
    ws = await connect(bob)
    error = await _cancel(ws, conversation_id)
    assert error["code"] == "not_found" and error["message"] == f"Conversation {conversation_id} does not exist."
    await ws.send_json_to({"type": "chat.cancel", "request_id": "x", "conversation_id": 999999})
    missing = await ws.receive_json_from()
    assert (missing["code"], missing["message"]) == ("not_found", "Conversation 999999 does not exist.")
    await ws.disconnect()


async def test_a_cancel_on_a_team_conversation_is_forbidden_to_a_teammate(alice, bob, provider):
    conversation_id = await _conversation_of(alice, "team")
    ws = await connect(bob)
    assert (await _cancel(ws, conversation_id))["code"] == "forbidden"
    await ws.disconnect()


async def test_the_owner_cancels_in_her_own_private_conversation(alice, provider):
    conversation_id = await _conversation_of(alice, "private")
    ws = await connect(alice)
    assert await _cancel(ws, conversation_id) is None
    await ws.disconnect()


async def test_a_teammate_naming_a_running_private_reply_gets_not_found_and_the_reply_goes_on(
        alice, bob, provider, openai_fake):
    conversation_id = await _conversation_of(alice, "private")
    openai_fake.enqueue(Reply.text_of("y" * 40, pieces=20, delay=0.02))
    owner = await connect(alice)
    frame = send_frame("Go on", conversation_id=conversation_id)
    await owner.send_json_to(frame)
    while (await owner.receive_json_from())["type"] != "stream.start":
        pass
    teammate = await connect(bob)
    await teammate.send_json_to({"type": "chat.cancel", "request_id": frame["request_id"]})
    assert (await teammate.receive_json_from())["code"] == "not_found"
    end = (await frames_until_end(owner, frame["request_id"]))[-1]
    assert end["status"] == "complete" and end["content"] == "y" * 40
    await owner.disconnect()
    await teammate.disconnect()


async def test_an_outsider_whose_account_is_off_cannot_even_connect_to_cancel(charlie):
    client = Client()
    await sync_to_async(client.force_login)(charlie)
    ws = WebsocketCommunicator(application, "/ws/chat/", headers=[
        (b"origin", b"http://127.0.0.1:8000"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())])
    await ws.connect()
    assert (await ws.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}
    await ws.wait()
    assert await Message.objects.acount() == 0
