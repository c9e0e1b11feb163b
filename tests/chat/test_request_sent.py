"""A turn is stored once its replies' requests are written (not while they are being written), and at once when
a request cannot be written yet."""
import asyncio

import pytest

from chat.models import Message
from providers import http
from providers.streaming import collect
from tests.chat.wsclient import connect, frames_until, send_frame
from tests.conftest import loopback_provider
from tests.fakes.script import Reply
from tests.test_adapter_openai import adapter_for, hello

pytestmark = pytest.mark.asyncio


class SilentServer:
    """Takes TCP connections and never says a word: a TLS handshake with it never ends."""

    def __init__(self):
        self.open = 0

    async def _hold(self, reader, writer):
        self.open += 1
        try:
            await reader.read()  # until the client goes
        finally:
            self.open -= 1
            writer.close()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.base_url = f"https://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"
        return self

    async def __aexit__(self, *exc):
        self.server.close()


async def _streamed(adapter, sent: asyncio.Event):
    http.on_request_sent.set(sent.set)  # this task's own context, as a reply's task sets it
    return await collect(adapter.stream_chat(hello()))


async def test_a_reply_is_told_its_request_is_written_before_the_answer_comes(openai_fake):
    openai_fake.enqueue(Reply.text_of("an answer that takes its time", stall_before=1.0))
    sent = asyncio.Event()
    reply = asyncio.ensure_future(_streamed(adapter_for(openai_fake.base_url), sent))
    await asyncio.wait_for(sent.wait(), 5)
    assert not reply.done()  # written, and the provider is still thinking
    assert await asyncio.to_thread(openai_fake.wait_for, lambda: len(openai_fake.chat_requests()) == 1, 5)
    assert (await reply).content == "an answer that takes its time"


async def test_a_request_whose_connection_does_not_open_is_not_told_it_was_written():
    async with SilentServer() as silent:
        sent = asyncio.Event()
        reply = asyncio.ensure_future(_streamed(adapter_for(silent.base_url), sent))
        async with asyncio.timeout(5):
            while not silent.open:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        assert not sent.is_set() and not reply.done()
        reply.cancel()


@pytest.mark.django_db(transaction=True)
async def test_the_message_is_stored_at_once_when_the_request_cannot_be_written_yet(alice):
    async with SilentServer() as silent:
        await asyncio.to_thread(loopback_provider, silent.base_url, slug="silent")
        ws = await connect(alice)
        frame = send_frame("Are you there?", provider="silent")
        await ws.send_json_to(frame)
        created = await frames_until(ws, "message.created")
        assert created[-1]["message"]["content"] == "Are you there?"
        assert silent.open == 1  # the request is still waiting for its connection
        assert await Message.objects.filter(role=Message.USER, content="Are you there?").aexists()
        await ws.send_json_to({"type": "chat.cancel", "request_id": frame["request_id"]})
        end = await frames_until(ws, "stream.end")
        assert end[-1]["status"] == "cancelled"
        await ws.disconnect()
