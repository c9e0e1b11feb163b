"""The one-process channel layer, made cheap enough for the reply hot path.

Channels' InMemoryChannelLayer sweeps every channel and group for expired
messages on each group_send and receive, deep-copies each message and makes
a task per recipient: at hundreds of streams that work grows with the square
of the number of sockets. This keeps its semantics (capacity, expiry, groups)
but sweeps at most once a second, copies messages shallowly (ours carry only
strings) and puts them on the queues directly.

A socket in this process can also take one type of message straight from
`group_send` (`deliver_directly`): a reply's frames then go to the socket in
the publishing task, without a queue, a wake-up of the socket's receive loop
and a new task per frame. `DirectDelivery` does this for both layers, this one
and the one over Redis (`playground/redis_layer.py`).
"""
import asyncio
import logging
import time
import weakref

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

SWEEP_SECONDS = 1.0
log = logging.getLogger(__name__)


class DirectDelivery:
    """Lets a socket in this process take one type of group message straight from `group_send`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._direct: dict[str, tuple[str, weakref.WeakMethod, asyncio.AbstractEventLoop]] = {}

    def deliver_directly(self, channel: str, message_type: str, handler) -> None:
        """Group messages of `message_type` for `channel` are awaited on `handler` (a bound async method that
        does not wait on anything: it runs in the sender's task) instead of being queued; a sender on another
        event loop still queues."""
        self._direct[channel] = (message_type, weakref.WeakMethod(handler), asyncio.get_running_loop())

    def stop_delivering(self, channel: str) -> None:
        self._direct.pop(channel, None)

    def takes_directly(self, channel: str, message_type: str) -> bool:
        direct = self._direct.get(channel)
        return direct is not None and direct[0] == message_type

    async def _deliver(self, channel: str, message: dict) -> bool:
        """Whether the message went straight to the channel's handler (a failure there is its socket's alone)."""
        direct = self._direct.get(channel)
        if direct is None or direct[0] != message["type"] or direct[2] is not asyncio.get_running_loop():
            return False
        handler = direct[1]()
        if handler is None:
            return False
        try:
            await handler(message)
        except Exception:
            log.exception("Delivering a %s message to %s failed", message["type"], channel)
        return True


class LocalChannelLayer(DirectDelivery, InMemoryChannelLayer):
    _last_sweep = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._last_sweep >= SWEEP_SECONDS:
            self._last_sweep = now
            super()._clean_expired()

    def _put(self, channel: str, message: dict) -> None:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        try:
            queue.put_nowait((time.time() + self.expiry, dict(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        self._put(channel, message)

    async def group_send(self, group, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            if self._direct and await self._deliver(channel, message):
                continue
            try:
                self._put(channel, message)
            except ChannelFull:
                pass  # a client that reads nothing for `capacity` frames misses frames, as with Channels' own
