"""Side-by-side compare: one message, several models streaming at once, stored as sibling branches."""
import pytest

from chat.models import Message
from providers.models import ProviderModel
from tests.chat.wsclient import connect, of_type, send_frame
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_three_models_stream_concurrently_and_are_stored_as_siblings(alice, provider, openai_fake):
    for model_id in ("fake-model-mini", "fake-model-max"):
        await ProviderModel.objects.acreate(provider=provider, model_id=model_id)
    openai_fake.default_reply = Reply.text_of("one two three four five six seven eight", pieces=8, delay=0.03)
    targets = [{"provider": "loopback", "model": m} for m in ("fake-model", "fake-model-mini", "fake-model-max")]
    ws = await connect(alice)
    frame = send_frame("Compare me", compare=targets)
    await ws.send_json_to(frame)
    frames, ended = [], set()
    while len(ended) < 3:
        received = await ws.receive_json_from(timeout=10)
        frames.append(received)
        if received["type"] == "stream.end":
            ended.add(received["request_id"])
    assert ended == {f"{frame['request_id']}:{n}" for n in range(3)}
    deltas = [f["request_id"] for f in of_type(frames, "stream.delta")]
    first_end = next(i for i, f in enumerate(frames) if f["type"] == "stream.end")
    assert len(set(deltas[:first_end])) == 3  # every column was streaming before any finished
    question = of_type(frames, "message.created")[0]["message"]
    replies = [m async for m in Message.objects.filter(role="assistant").order_by("model")]
    assert [r.model for r in replies] == ["fake-model", "fake-model-max", "fake-model-mini"]
    assert {r.parent_id for r in replies} == {question["id"]}
    assert all(r.status == "complete" and r.content == "one two three four five six seven eight" for r in replies)
    assert sorted(r.body["model"] for r in openai_fake.chat_requests()) == ["fake-model", "fake-model-max", "fake-model-mini"]
    await ws.disconnect()


async def test_a_compare_of_one_model_or_five_is_refused(alice, provider):
    ws = await connect(alice)
    for count in (1, 5):
        await ws.send_json_to(send_frame("x", compare=[{"provider": "loopback", "model": "fake-model"}] * count))
        assert (await ws.receive_json_from())["code"] == "bad_request"
    await ws.disconnect()


async def test_a_compare_set_is_known_again_after_a_reload(alice, provider, openai_fake):
    await ProviderModel.objects.acreate(provider=provider, model_id="fake-model-mini")
    targets = [{"provider": "loopback", "model": m} for m in ("fake-model", "fake-model-mini")]
    ws = await connect(alice)
    frame = send_frame("Compare me", compare=targets)
    await ws.send_json_to(frame)
    ended = 0
    while ended < 2:
        ended += (await ws.receive_json_from(timeout=10))["type"] == "stream.end"
    await ws.send_json_to(send_frame("Just one now", conversation_id=(await Message.objects.afirst()).conversation_id))
    while (await ws.receive_json_from(timeout=10))["type"] != "stream.end":
        pass
    await ws.disconnect()
    summaries = [m.summary() async for m in Message.objects.filter(role="assistant").order_by("id")]
    assert [s["compare_set"] for s in summaries] == [frame["request_id"], frame["request_id"], None]
