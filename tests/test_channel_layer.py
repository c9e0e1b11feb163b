"""The one-process channel layer: a socket's frames can skip the queue; everything else is queued as before."""
import pytest

from playground.channel_layer import LocalChannelLayer


class Socket:
    def __init__(self, fail: bool = False):
        self.frames: list[str] = []
        self.fail = fail

    async def chat_frame(self, message):
        if self.fail:
            raise ConnectionError("the socket is gone")
        self.frames.append(message["text"])


@pytest.fixture
async def layer():
    layer = LocalChannelLayer(capacity=10)
    yield layer
    await layer.flush()


async def _member(layer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def test_frames_go_straight_to_the_socket_in_order_and_other_messages_are_queued(layer):
    socket, channel = Socket(), await _member(layer, "conv.1")
    layer.deliver_directly(channel, "chat.frame", socket.chat_frame)
    for n in range(3):
        await layer.group_send("conv.1", {"type": "chat.frame", "text": f"frame {n}"})
    await layer.group_send("conv.1", {"type": "signin.end"})
    assert socket.frames == ["frame 0", "frame 1", "frame 2"]
    assert await layer.receive(channel) == {"type": "signin.end"}  # the only message on the queue


async def test_a_failing_socket_does_not_stop_the_sender_or_the_other_watchers(layer, caplog):
    broken, watcher = Socket(fail=True), Socket()
    for socket in (broken, watcher):
        layer.deliver_directly(await _member(layer, "conv.2"), "chat.frame", socket.chat_frame)
    await layer.group_send("conv.2", {"type": "chat.frame", "text": "hello"})
    assert watcher.frames == ["hello"]
    assert "the socket is gone" in caplog.text


async def test_a_socket_that_stopped_or_is_gone_gets_its_frames_queued(layer):
    stopped, gone = Socket(), Socket()
    stopped_channel, gone_channel = await _member(layer, "conv.3"), await _member(layer, "conv.3")
    layer.deliver_directly(stopped_channel, "chat.frame", stopped.chat_frame)
    layer.deliver_directly(gone_channel, "chat.frame", gone.chat_frame)
    layer.stop_delivering(stopped_channel)
    del gone
    await layer.group_send("conv.3", {"type": "chat.frame", "text": "queued"})
    assert stopped.frames == []
    for channel in (stopped_channel, gone_channel):
        assert (await layer.receive(channel))["text"] == "queued"
