"""The channel layer over Redis: frames of many replies are published without queueing behind each other, a
socket in the sending process gets its frames once, and other processes get every message in order."""
import asyncio
import uuid

import pytest
import redis
from asgiref.sync import async_to_sync
from django.conf import settings

from playground.redis_layer import RedisChannelLayer

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: runs in make test's PostgreSQL + Redis pass")


class Socket:
    """What a socket that takes frames directly (chat.sockets) does with one: keeps it."""

    def __init__(self):
        self.frames = []

    async def chat_frame(self, message):
        self.frames.append(message["text"])


def _process(prefix):
    """A layer as one Daphne process has it (its own connections and id)."""
    return RedisChannelLayer(hosts=[settings.REDIS_URL], prefix=prefix)


async def _joined(layer, group):
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def _receive(layer, channel, count):
    async with asyncio.timeout(10):
        return [await layer.receive(channel) for _ in range(count)]


@pytest.fixture
async def processes():
    prefix = f"test{uuid.uuid4().hex[:8]}"  # the tests' groups are theirs alone
    here, there = _process(prefix), _process(prefix)
    yield here, there
    for layer in (here, there):
        await layer.flush()


async def test_own_socket_gets_each_frame_once_and_another_process_gets_every_message_in_order(processes):
    here, there = processes
    socket, group = Socket(), "conv.1"
    own = await _joined(here, group)
    here.deliver_directly(own, "chat.frame", socket.chat_frame)
    elsewhere = await _joined(there, group)

    async def reply(n):
        for i in range(10):
            await here.group_send(group, {"type": "chat.frame", "text": f"{n}:{i}"})

    await asyncio.gather(*(reply(n) for n in range(20)))
    await here.group_send(group, {"type": "signin.end"})  # a type the socket takes from its queue

    got = await _receive(there, elsewhere, 201)
    assert [m["type"] for m in got] == ["chat.frame"] * 200 + ["signin.end"]
    texts = [m["text"] for m in got[:200]]
    for n in range(20):
        assert [text for text in texts if text.startswith(f"{n}:")] == [f"{n}:{i}" for i in range(10)]
    assert sorted(socket.frames) == sorted(texts)  # each once, straight from group_send
    assert (await _receive(here, own, 1))[0]["type"] == "signin.end"  # Redis's copy of the frames was skipped


async def test_senders_do_not_wait_for_each_others_round_trip(processes):
    here, there = processes
    elsewhere = await _joined(there, "conv.2")
    finished = []

    async def send(label):
        await here.group_send("conv.2", {"type": "chat.frame", "text": label})
        finished.append(label)

    pauser = redis.Redis.from_url(settings.REDIS_URL)
    pauser.execute_command("CLIENT", "PAUSE", 300, "WRITE")  # PUBLISH waits: the first write takes 300 ms
    try:
        first = asyncio.ensure_future(send("first"))
        await asyncio.sleep(0)  # its write has started
        await asyncio.gather(*(send(f"then {i}") for i in range(50)))
        assert not first.done()  # 50 sends returned while the first write still waits for Redis
        await first
    finally:
        pauser.execute_command("CLIENT", "UNPAUSE")
        pauser.close()
    assert finished[-1] == "first"
    got = await _receive(there, elsewhere, 51)
    assert [m["text"] for m in got] == ["first", *(f"then {i}" for i in range(50))]


async def test_a_message_sent_from_a_short_lived_event_loop_arrives(processes):
    here, there = processes
    elsewhere = await _joined(there, "conv.3")

    async def cancel():
        await here.group_send("conv.3", {"type": "generation.cancel", "request_id": "r"})

    # async_to_sync outside a served request makes an event loop for the call and closes it after
    await asyncio.to_thread(async_to_sync(cancel))
    assert (await _receive(there, elsewhere, 1))[0] == {"type": "generation.cancel", "request_id": "r"}
