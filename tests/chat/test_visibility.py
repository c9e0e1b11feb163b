"""Who sees a new conversation is chosen: by the frame, else the owner's default, else the site's."""
import pytest

from chat.models import Conversation, Preferences
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _new_conversation(user, **extra) -> Conversation:
    ws = await connect(user)
    frame = send_frame("Hello", **extra)
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    await ws.disconnect()
    created = of_type(frames, "conversation.created")[0]
    conversation = await Conversation.objects.aget(pk=created["conversation_id"])
    assert created["conversation"]["visibility"] == conversation.visibility
    return conversation


async def test_a_new_conversation_is_visible_to_the_team_by_default(alice, provider):
    assert (await _new_conversation(alice)).visibility == "team"


async def test_the_site_default_comes_from_the_environment(alice, provider, settings):
    settings.PLAYGROUND_DEFAULT_VISIBILITY = "private"
    assert (await _new_conversation(alice)).visibility == "private"


async def test_a_users_own_default_wins_over_the_sites(alice, provider):
    await Preferences.objects.acreate(user=alice, default_visibility="private")
    assert (await _new_conversation(alice)).visibility == "private"


async def test_the_first_message_can_choose_the_visibility(alice, provider):
    assert (await _new_conversation(alice, visibility="private")).visibility == "private"


async def test_a_visibility_that_is_not_one_is_refused_and_nothing_is_stored(alice, provider):
    ws = await connect(alice)
    await ws.send_json_to(send_frame("Hello", visibility=["team"]))
    error = await ws.receive_json_from()
    assert error["type"] == "error" and error["code"] == "bad_request"
    assert not await Conversation.objects.aexists()
    await ws.disconnect()
