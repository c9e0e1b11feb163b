"""Who may do what over the websocket: alice (owner), bob (teammate), charlie (outsider)."""
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat.models import Conversation, Message
from playground.asgi import application
from tests.chat.wsclient import connect, frames_until_end, send_frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


async def _session_cookie(user) -> bytes:
    client = Client()
    await sync_to_async(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _handshake(headers) -> tuple[bool, int | None]:
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect()
    output = await communicator.receive_output(timeout=2)
    await communicator.disconnect()  # the consumer ends at once, instead of at wait()'s timeout
    return connected, output.get("code")


async def test_a_signed_in_teammate_connects_through_the_real_stack(bob):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[ORIGIN, (b"cookie", await _session_cookie(bob))])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "conversation.watch", "conversation_id": 999})
    assert (await communicator.receive_json_from())["code"] == "not_found"
    await communicator.disconnect()


async def test_no_session_is_refused_with_4401(alice):
    assert (await _handshake([ORIGIN]))[1] == 4401


async def test_an_outsider_whose_account_is_off_is_refused_with_4401(charlie):
    assert (await _handshake([ORIGIN, (b"cookie", await _session_cookie(charlie))]))[1] == 4401


async def test_a_foreign_origin_is_refused_with_4403(alice):
    cookie = await _session_cookie(alice)
    assert (await _handshake([(b"origin", b"http://evil.example"), (b"cookie", cookie)]))[1] == 4403


async def _alice_conversation(alice, visibility: str) -> int:
    ws = await connect(alice)
    frame = send_frame("Alice's question")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    await ws.disconnect()
    conversation_id = frames[0]["conversation_id"]
    await Conversation.objects.filter(pk=conversation_id).aupdate(visibility=visibility)
    return conversation_id


async def test_a_teammate_watches_a_team_conversation_but_cannot_write_to_it(alice, bob, provider):
    conversation_id = await _alice_conversation(alice, "team")
    ws = await connect(bob)
    await ws.send_json_to({"type": "conversation.watch", "conversation_id": conversation_id})
    assert (await ws.receive_json_from())["type"] == "conversation.state"
    await ws.send_json_to(send_frame("Bob was here", conversation_id=conversation_id))
    frame = await ws.receive_json_from()
    assert frame["code"] == "forbidden" and "fork" in frame["message"]
    answer = await Message.objects.aget(role="assistant")
    await ws.send_json_to({"type": "chat.regenerate", "request_id": "r", "conversation_id": conversation_id,
                           "message_id": answer.pk})
    assert (await ws.receive_json_from())["code"] == "forbidden"
    assert await Message.objects.acount() == 2
    await ws.disconnect()


async def test_a_private_conversation_is_invisible_to_a_teammate(alice, bob, provider):
    conversation_id = await _alice_conversation(alice, "private")
    ws = await connect(bob)
    for frame in ({"type": "conversation.watch", "conversation_id": conversation_id},
                  send_frame("Peek", conversation_id=conversation_id)):
        await ws.send_json_to(frame)
        error = await ws.receive_json_from()
        assert error["code"] == "not_found" and error["message"] == f"Conversation {conversation_id} does not exist."
    await ws.disconnect()


async def test_the_owner_writes_to_her_own_private_conversation(alice, provider):
    conversation_id = await _alice_conversation(alice, "private")
    ws = await connect(alice)
    frame = send_frame("Follow-up", conversation_id=conversation_id)
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert frames[-1]["status"] == "complete"
    await ws.disconnect()
