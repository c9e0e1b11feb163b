"""Reasoning end to end: streamed to the socket apart from the answer, stored, and sent back on the next
turns in the shape the provider requires (Gemini's thought signatures; never to an OpenAI-compatible server)."""
import pytest

from chat.models import Message
from providers.models import ProviderModel
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.conftest import loopback_provider
from tests.fakes.gemini import GeminiFake
from tests.fakes.script import Reply, ScriptedCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


@pytest.fixture
def gemini_fake():
    with GeminiFake() as fake:
        yield fake


@pytest.fixture
def thinking_gemini(db, gemini_fake):
    provider = loopback_provider(gemini_fake.base_url, kind="gemini", slug="gemini-loop")
    ProviderModel.objects.filter(provider=provider).update(supports_reasoning=True)
    return provider


async def test_a_gemini_tool_loop_streams_thoughts_and_sends_every_signature_back(alice, thinking_gemini, gemini_fake):
    gemini_fake.enqueue(
        Reply(reasoning=["Oslo is ", "in Norway."], tool_calls=[ScriptedCall("", "get_weather", ['{"city": "Oslo"}'])],
              finish="tool_calls"),
        Reply(text=["3 °C ", "in Oslo."], reasoning=["It is cold."]),
        Reply.text_of("Wrap up."),
    )
    ws = await connect(alice)
    first = send_frame("Weather in Oslo?", provider="gemini-loop", tools=[WEATHER])
    await ws.send_json_to(first)
    frames = await frames_until_end(ws, first["request_id"])
    assert "".join(f["content"] for f in of_type(frames, "stream.reasoning")) == "Oslo is in Norway."
    conversation_id, call = frames[0]["conversation_id"], frames[-1]["tool_calls"][0]
    await ws.send_json_to({"type": "chat.tool_result", "request_id": "tr1", "conversation_id": conversation_id,
                           "results": [{"tool_call_id": call["id"], "content": '{"temp_c": 3}'}]})
    frames = await frames_until_end(ws, "tr1")
    assert frames[-1]["content"] == "3 °C in Oslo." and frames[-1]["reasoning"] == "It is cold."
    stored = await Message.objects.filter(role="assistant").order_by("-id").afirst()
    assert stored.reasoning == "It is cold." and stored.content == "3 °C in Oslo."
    again = send_frame("Thanks!", conversation_id=conversation_id, provider="gemini-loop", tools=[WEATHER])
    await ws.send_json_to(again)
    assert (await frames_until_end(ws, again["request_id"]))[-1]["status"] == "complete"
    contents = gemini_fake.chat_requests()[-1].body["contents"]
    model_parts = [p for c in contents if c["role"] == "model" for p in c["parts"]]
    assert model_parts[0]["thoughtSignature"] == "sig-get_weather"
    assert model_parts[1]["text"] == "3 °C in Oslo." and model_parts[1]["thoughtSignature"].startswith("sig-text-")
    assert all(p.get("thought") is None for p in model_parts)  # thoughts themselves are not sent back
    assert gemini_fake.chat_requests()[0].body["generationConfig"]["thinkingConfig"] == {"includeThoughts": True}
    await ws.disconnect()


async def test_reasoning_from_an_openai_compatible_server_is_stored_apart_and_never_sent_back(alice, provider, openai_fake):
    openai_fake.enqueue(Reply(text=["42."], reasoning=["six ", "sevens"]), Reply.text_of("48."))
    ws = await connect(alice)
    first = send_frame("6 x 7?")
    await ws.send_json_to(first)
    frames = await frames_until_end(ws, first["request_id"])
    assert (frames[-1]["content"], frames[-1]["reasoning"]) == ("42.", "six sevens")
    again = send_frame("6 x 8?", conversation_id=frames[0]["conversation_id"])
    await ws.send_json_to(again)
    assert (await frames_until_end(ws, again["request_id"]))[-1]["content"] == "48."
    assert openai_fake.chat_requests()[-1].body["messages"][1] == {"role": "assistant", "content": "42."}
    await ws.disconnect()


async def test_reasoning_controls_reach_a_thinking_model_and_are_refused_when_malformed(alice, thinking_gemini,
                                                                                       gemini_fake):
    gemini_fake.enqueue(Reply(text=["Done."], reasoning=["Thinking hard."]))
    ws = await connect(alice)
    frame = send_frame("Think first.", provider="gemini-loop", params={"thinking_budget": 2048})
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert "".join(f["content"] for f in of_type(frames, "stream.reasoning")) == "Thinking hard."
    sent = gemini_fake.chat_requests()[-1].body["generationConfig"]["thinkingConfig"]
    assert sent["thinkingBudget"] == 2048 and sent["includeThoughts"] is True
    for params in ({"think": "yes"}, {"reasoning_effort": "maximal"}, {"thinking_budget": -1}):
        await ws.send_json_to(send_frame("Again", provider="gemini-loop", params=params))
        assert (await ws.receive_json_from())["code"] == "bad_request"
    await ws.disconnect()
