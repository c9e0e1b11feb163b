"""Text completion end to end over the chat socket: a raw prompt (no chat history, no system prompt) sent to
/v1/completions, streamed back as text with each token's logprobs on stream.end, stored as two `completion`
messages; refused before anything is stored for a model without the capability, or with what only a chat has;
a provider failure keeps the partial completion with its status."""
import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat.models import Message
from providers.models import ProviderModel
from tests.chat.wsclient import connect, frames_until_end, of_type, send_frame
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


@pytest.fixture
def completer(provider):
    """The loopback provider, declared to serve text completion."""
    provider.supports_completions = True
    provider.save()
    return provider


def completion_frame(prompt: str, **extra) -> dict:
    return send_frame(prompt, mode="completion", **extra)


@sync_to_async
def fetched(user, path: str):
    client = Client()
    client.force_login(user)
    return client.get(path)


async def test_a_raw_prompt_is_continued_streamed_stored_and_read_back_with_its_logprobs(alice, completer, openai_fake):
    openai_fake.enqueue(Reply.text_of("A chat answer."), Reply.text_of(" there lived a fox.", pieces=3))
    ws = await connect(alice)
    chat = send_frame("Hello?", system="Be brief.")
    await ws.send_json_to(chat)
    conversation_id = (await frames_until_end(ws, chat["request_id"]))[0]["conversation_id"]
    frame = completion_frame("Once upon a time", conversation_id=conversation_id,
                             params={"max_tokens": 12, "temperature": 0.7, "stop": ["\n\n"], "logprobs": 2})
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    created = of_type(frames, "message.created")[0]["message"]
    assert created["mode"] == "completion" and created["content"] == "Once upon a time"
    assert "".join(f["content"] for f in of_type(frames, "stream.delta")) == " there lived a fox."
    end = frames[-1]
    assert end["status"] == "complete" and end["content"] == " there lived a fox." and end["message"]["mode"] == "completion"
    assert "".join(t["token"] for t in end["logprobs"]) == " there lived a fox."
    assert [len(t["top"]) for t in end["logprobs"]] == [2, 2, 2]
    sent = openai_fake.chat_requests()[-1]
    assert sent.path == "/v1/completions"  # only the prompt: no system prompt, no earlier chat turns
    assert sent.body["prompt"] == "Once upon a time" and "messages" not in sent.body
    assert (sent.body["max_tokens"], sent.body["temperature"], sent.body["stop"], sent.body["logprobs"]) == (
        12, 0.7, ["\n\n"], 2)
    history = (await fetched(alice, f"/api/conversations/{conversation_id}")).json()["messages"]
    prompt, reply = history[-2:]
    assert (prompt["mode"], prompt["role"], reply["mode"], reply["role"]) == ("completion", "user", "completion", "assistant")
    assert reply["logprobs"] == end["logprobs"] and reply["content"] == " there lived a fox."
    assert history[0]["mode"] == "chat"
    await ws.disconnect()


async def test_echo_sends_the_prompt_back_and_regenerate_continues_the_same_prompt(alice, completer, openai_fake):
    openai_fake.enqueue(Reply.text_of(" is prime."), Reply.text_of(" is odd."))
    ws = await connect(alice)
    frame = completion_frame("Seven", params={"echo": True})
    await ws.send_json_to(frame)
    end = (await frames_until_end(ws, frame["request_id"]))[-1]
    assert end["content"] == "Seven is prime." and openai_fake.chat_requests()[-1].body["echo"] is True
    await ws.send_json_to({"type": "chat.regenerate", "request_id": "again", "conversation_id": end["conversation_id"],
                           "message_id": end["message_id"]})
    again = (await frames_until_end(ws, "again"))[-1]
    assert again["content"] == "Seven is odd." and again["message"]["mode"] == "completion"
    assert openai_fake.chat_requests()[-1].body["prompt"] == "Seven"
    await ws.disconnect()


async def test_a_model_without_the_capability_is_refused_and_nothing_is_stored(alice, provider, openai_fake):
    ws = await connect(alice)
    await ws.send_json_to(completion_frame("Once upon a time"))
    error = await ws.receive_json_from()
    assert error["type"] == "error" and error["code"] == "bad_request"
    assert "does not serve text completion" in error["message"] and "Loopback · fake-model" in error["message"]
    assert not await Message.objects.aexists() and openai_fake.chat_requests() == []
    await ws.disconnect()


async def test_a_model_override_refuses_it_on_a_provider_that_serves_it(alice, completer, openai_fake):
    @sync_to_async
    def override():  # as the admin saves it: the model cache is cleared
        row = ProviderModel.objects.get(provider=completer)
        row.supports_completions = False
        row.save()

    await override()
    ws = await connect(alice)
    await ws.send_json_to(completion_frame("Once"))
    error = await ws.receive_json_from()
    assert "does not serve text completion" in error["message"] and not await Message.objects.aexists()
    await ws.disconnect()


async def test_tools_and_a_response_format_are_refused_in_completion_mode(alice, completer, openai_fake):
    ws = await connect(alice)
    for extra, said in (({"tools": [WEATHER]}, "Tools do not apply"),
                        ({"response_format": {"type": "json_object"}}, "response format")):
        await ws.send_json_to(completion_frame("Once", **extra))
        error = await ws.receive_json_from()
        assert error["code"] == "bad_request" and said in error["message"]
    assert not await Message.objects.aexists() and openai_fake.chat_requests() == []
    await ws.disconnect()


async def test_malformed_completion_settings_are_bad_frames(alice, completer):
    ws = await connect(alice)
    for extra, said in (({"mode": "poem"}, "`mode`"), ({"params": {"logprobs": 99}}, "params.logprobs"),
                        ({"params": {"logprobs": True}}, "params.logprobs"), ({"params": {"echo": "yes"}}, "params.echo")):
        await ws.send_json_to(send_frame("Once", **{"mode": "completion", **extra}))
        error = await ws.receive_json_from()
        assert error["type"] == "error" and said in error["message"]
    assert not await Message.objects.aexists()
    await ws.disconnect()


@pytest.mark.parametrize("failure, code", [
    (Reply.fail(401, "invalid key"), "provider_auth"),
    (Reply.fail(429, "slow down", retry_after=0), "rate_limited"),
    (Reply.fail(500, "upstream exploded"), "provider_error"),
])
async def test_a_provider_error_is_stored_on_the_completion_with_its_status(alice, completer, openai_fake, failure, code):
    openai_fake.enqueue(*[failure] * 3)
    ws = await connect(alice)
    frame = completion_frame("Once")
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert frames[-2]["status"] == "error" and frames[-1]["type"] == "error" and frames[-1]["code"] == code
    stored = await Message.objects.aget(role="assistant")
    assert (stored.status, stored.mode, stored.error_code) == ("error", "completion", code)
    await ws.disconnect()


async def test_a_dropped_stream_keeps_the_partial_completion_and_its_logprobs(alice, completer, openai_fake):
    openai_fake.enqueue(Reply.text_of("one two three four five six", pieces=6, drop_after=4))
    ws = await connect(alice)
    frame = completion_frame("Count:", params={"logprobs": 1})
    await ws.send_json_to(frame)
    end = (await frames_until_end(ws, frame["request_id"]))[-2]
    assert end["status"] == "error" and end["content"].startswith("one two")
    stored = await Message.objects.aget(role="assistant")
    assert stored.status == "error" and stored.content == end["content"]
    assert "".join(t["token"] for t in stored.logprobs) == stored.content
    await ws.disconnect()


async def test_export_and_view_code_show_the_completion(alice, completer, openai_fake):
    openai_fake.enqueue(Reply.text_of(" a fox.", pieces=2))
    ws = await connect(alice)
    frame = completion_frame("There was", params={"logprobs": 1, "max_tokens": 5})
    await ws.send_json_to(frame)
    end = (await frames_until_end(ws, frame["request_id"]))[-1]
    await ws.disconnect()
    conversation_id = end["conversation_id"]
    exported = (await fetched(alice, f"/api/conversations/{conversation_id}/export.json")).json()
    assert [m["mode"] for m in exported["messages"]] == ["completion", "completion"]
    assert exported["messages"][1]["logprobs"][0]["token"] == " a f"
    assert exported["conversation"]["settings"]["mode"] == "completion"
    markdown = (await fetched(alice, f"/api/conversations/{conversation_id}/export.md")).content.decode()
    assert "## Prompt (text completion)" in markdown and "## Completion · fake-model" in markdown
    assert "- **Mode:** text completion" in markdown and "```\n a fox.\n```" in markdown
    code = (await fetched(alice, f"/api/conversations/{conversation_id}/code?message_id={end['message_id']}")).json()
    assert code["url"].endswith("/v1/completions") and code["body"]["prompt"] == "There was"
    assert code["body"]["logprobs"] == 1 and "messages" not in code["body"]
    assert "client.completions.create(" in code["python"] and "client.completions.create(" in code["javascript"]
    assert "/v1/completions" in code["curl"] and "sk-test" not in str(code)


async def test_a_provider_that_cannot_stream_gets_the_completion_whole_with_its_logprobs(alice, completer, openai_fake):
    @sync_to_async
    def no_streaming():
        completer.supports_streaming = False
        completer.save()

    await no_streaming()
    openai_fake.enqueue(Reply.text_of(" whole.", pieces=2))
    ws = await connect(alice)
    frame = completion_frame("All at once:", params={"logprobs": 2, "echo": True})
    await ws.send_json_to(frame)
    end = (await frames_until_end(ws, frame["request_id"]))[-1]
    assert end["content"] == "All at once: whole." and "stream" not in openai_fake.chat_requests()[-1].body
    assert end["logprobs"][0]["logprob"] is None and "".join(t["token"] for t in end["logprobs"]) == end["content"]
    await ws.disconnect()


@pytest.fixture
def ollama(db):
    from tests.conftest import loopback_provider
    from tests.fakes.ollama import OllamaFake

    with OllamaFake() as fake:
        provider = loopback_provider(fake.base_url, kind="ollama", slug="ollama-loop", name="Ollama")
        provider.supports_completions = True
        provider.save()
        yield fake


async def test_ollama_continues_the_raw_prompt_and_says_it_has_no_logprobs(alice, ollama):
    ollama.enqueue(Reply.text_of(" a fox.", pieces=2))
    ws = await connect(alice)
    frame = completion_frame("There was", provider="ollama-loop", params={"logprobs": 2, "max_tokens": 4})
    await ws.send_json_to(frame)
    frames = await frames_until_end(ws, frame["request_id"])
    assert of_type(frames, "stream.start")[0]["fallback"] == "logprobs not sent: the Ollama API has no such control"
    assert frames[-1]["content"] == " a fox." and frames[-1]["logprobs"] is None
    sent = ollama.chat_requests()[-1]
    assert sent.path == "/api/generate" and sent.body["raw"] is True and sent.body["prompt"] == "There was"
    assert sent.body["options"]["num_predict"] == 4
    await ws.disconnect()
