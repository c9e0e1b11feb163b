"""The channel layer over Redis (REDIS_URL), for several processes: channels-redis's pub/sub layer, made cheap
enough for a reply's frames.

channels-redis publishes each message under one lock per Redis connection and waits for Redis's answer before
the next: a process then publishes at most one frame per round trip, and hundreds of streams queue behind each
other. Here messages are published in the order sent, and those sent while one is being written go together in
one pipelined round trip, without their senders waiting (pub/sub delivers at most once anyway: the sender that
writes gets Redis's error, messages written for others are logged and dropped).

A socket in this process can take a reply's frames straight from `group_send` (`DirectDelivery`), as on the
one-process layer. Redis still carries the frame to the other processes, and back to this one, which then skips
the sockets it served already: each message carries the id of the process that sent it and its type.
"""
import asyncio
import logging
import uuid

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

from playground.channel_layer import DirectDelivery

log = logging.getLogger(__name__)
MAX_WAITING = 10_000  # messages waiting for Redis; beyond it (Redis gone) the oldest are dropped
ORIGIN_BYTES = 16


class RedisChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = RedisLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer


class RedisLoopLayer(DirectDelivery, RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.origin = uuid.uuid4().bytes
        self._shards = [Shard(shard.host, self) for shard in self._shards]

    def _framed(self, message: dict) -> bytes:
        """The message as published: this process's id, its type, then the serialized message."""
        return b"".join((self.origin, message["type"].encode(), b"\0", self.channel_layer.serialize(message)))

    async def send(self, channel, message):
        await self._get_shard(channel).publish(channel, self._framed(message))

    async def group_send(self, group, message):
        group_channel = self._get_group_channel_name(group)
        if self._direct:
            for channel in list(self.groups.get(group_channel, ())):
                await self._deliver(channel, message)
        await self._get_shard(group_channel).publish(group_channel, self._framed(message))


class Shard(RedisSingleShardConnection):
    """One Redis connection's subscriptions, and its writer: what was sent meanwhile goes in one round trip."""

    def __init__(self, host, channel_layer):
        super().__init__(host, channel_layer)
        self._waiting: list[tuple[str, bytes]] = []
        self._writing = False
        self._rest = None

    async def publish(self, channel, message):
        """The first message after a quiet spell is written by its sender (so a short-lived event loop, as
        async_to_sync's, has sent it before it closes); messages sent meanwhile wait for that write to end
        and go together, written by a task of the shard while senders go on."""
        if len(self._waiting) >= MAX_WAITING:
            del self._waiting[: MAX_WAITING // 10]
            log.warning("Redis is not taking messages: %d dropped", MAX_WAITING // 10)
        self._waiting.append((channel, message))
        if self._writing:
            return
        self._writing = True
        try:
            await self._write_waiting()
        finally:
            if self._waiting:
                self._rest = asyncio.ensure_future(self._write_rest())
            else:
                self._writing = False

    async def _write_waiting(self):
        batch, self._waiting = self._waiting, []
        self._ensure_redis()
        pipe = self._redis.pipeline(transaction=False)
        for channel, data in batch:
            pipe.publish(channel, data)
        await pipe.execute()

    async def _write_rest(self):
        try:
            while self._waiting:
                try:
                    await self._write_waiting()
                except Exception:
                    log.exception("Publishing to Redis failed; the messages are dropped")
                    await asyncio.sleep(0.1)
        finally:
            self._writing = False

    async def flush(self):
        if self._rest is not None:
            self._rest.cancel()
            self._rest = None
        self._waiting, self._writing = [], False
        await super().flush()

    def _receive_message(self, message):
        if message is None:
            return
        name, data = message["channel"], message["data"]
        if isinstance(name, bytes):
            name = name.decode()
        layer = self.channel_layer
        origin, (message_type, _, data) = data[:ORIGIN_BYTES], data[ORIGIN_BYTES:].partition(b"\0")
        if name in layer.channels:
            layer.channels[name].put_nowait(data)
        elif name in layer.groups:
            served = origin == layer.origin  # this process's sockets that take the type directly have it already
            message_type = message_type.decode() if served else ""
            for channel in layer.groups[name]:
                if channel in layer.channels and not (served and layer.takes_directly(channel, message_type)):
                    layer.channels[channel].put_nowait(data)
