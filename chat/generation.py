"""One Generation per assistant reply: relay, coalesce, checkpoint, store.

A cancellable task owned by this process. The engine (chat/engine.py) runs the
reply's plan into a ReplyState; the Generation coalesces what arrives into
frames for the conversation's group, checkpoints the text at most every
PLAYGROUND_CHECKPOINT_SECONDS, and finalizes the message once. It does not
depend on any socket staying open, and whatever fails, the reply ends in a
final status and its watchers get `stream.end`.
"""
import asyncio
import functools
import json
import logging
import time
from dataclasses import dataclass

from django.conf import settings

from chat import engine, running, store
from chat.db import db, grouped
from chat.models import Message
from chat.requests import Plan
from providers import http
from providers.streaming import ReplyState
from providers.types import PROVIDER_ERROR, ProviderError, TextDelta, ToolCallDelta

log = logging.getLogger(__name__)

# A delta frame carries at most this many characters: JSON escapes a character into at most 12 bytes,
# so a frame stays far below Daphne's 1 MiB outgoing limit and channels-redis' message size.
DELTA_PIECE_CHARS = 16 * 1024
LENGTH_CAP = "max_reply_chars"  # the finish reason of a reply cut at PLAYGROUND_MAX_REPLY_CHARS
# How long a turn's commit waits for its replies' requests to be written (see `until_sent`).
SEND_FIRST_SECONDS = 0.01


def group_name(conversation_id: int) -> str:
    return f"conv.{conversation_id}"


async def publish(layer, conversation_id: int, frame: dict) -> None:
    """Send a frame to everyone watching a conversation (encoded once for all of them)."""
    frame["conversation_id"] = conversation_id
    await layer.group_send(group_name(conversation_id), {"type": "chat.frame", "text": json.dumps(frame)})


async def until_sent(replies: list["Generation"]) -> None:
    """Wait, at most SEND_FIRST_SECONDS, until each reply's upstream request is written.

    Storing a turn is a few milliseconds of the ORM in another thread, holding the interpreter most of that
    time: started at once, it slowed the requests on their way out by about a millisecond (the provider's
    time to first token starts only once it has the request). A request on a kept connection is written
    within a millisecond; one that needs a new connection does not hold the commit back longer than this.
    """
    try:
        async with asyncio.timeout(SEND_FIRST_SECONDS):
            for reply in replies:
                await reply.sent.wait()
    except TimeoutError:
        pass


def control_group(conversation_id: int) -> str:
    return f"ctl.conv.{conversation_id}"


async def cancel_elsewhere(layer, conversation_id: int, user_id: int | None, request_id: str | None) -> None:
    """Ask whichever process runs a reply to stop it (scale-out: several Daphne processes).

    With `request_id` None every reply of the conversation stops (it was deleted).
    """
    await layer.group_send(control_group(conversation_id),
                           {"type": "generation.cancel", "user_id": user_id, "request_id": request_id})


async def stop_conversation(layer, conversation_id: int) -> None:
    """Stop every reply of a conversation, here and in other processes, and tell its watchers it is gone."""
    for reply in list(running.in_conversation(conversation_id)):
        reply.cancel()
    if settings.PLAYGROUND_CROSS_PROCESS_CANCEL:
        await cancel_elsewhere(layer, conversation_id, None, None)
    await publish(layer, conversation_id, {"type": "conversation.deleted"})


@dataclass(frozen=True)
class Pace:
    """The settings a reply consults for every delta, read once when it starts: each read of `settings` costs
    about a microsecond (Django's lazy settings object), five of them per delta."""

    coalesce: float
    coalesce_streams: int
    coalesce_max: float
    checkpoint: float
    max_chars: int

    @classmethod
    def now(cls) -> "Pace":
        return cls(settings.PLAYGROUND_COALESCE_SECONDS, settings.PLAYGROUND_COALESCE_STREAMS,
                   settings.PLAYGROUND_COALESCE_MAX_SECONDS, settings.PLAYGROUND_CHECKPOINT_SECONDS,
                   settings.PLAYGROUND_MAX_REPLY_CHARS)


def coalesce_interval(pace: Pace | None = None) -> float:
    """The shortest gap between two delta frames of one reply, widened when many replies stream.

    Each frame costs the process the same whatever it carries, so under load fewer, fuller frames keep
    every stream flowing (the cap stays well under what a reader notices as a stall).
    """
    pace = pace or Pace.now()
    load = running.count() / pace.coalesce_streams
    return min(pace.coalesce_max, pace.coalesce * max(1.0, load))


@dataclass
class Job:
    """A reply to run: its plan and who asked; its ids are filled in when its row is stored with the turn."""

    request_id: str
    user_id: int
    plan: Plan
    conversation_id: int | None = None
    parent_id: int | None = None
    message_id: int | None = None  # the assistant row, created with the turn
    row: Message | None = None  # that row as created
    compare_set: str = ""  # the frame's request id, for replies comparing models side by side


class Generation:
    def __init__(self, job: Job, layer):
        self.job = job
        self.layer = layer
        self.state = ReplyState()
        self.pace = Pace.now()
        self._sent = 0  # characters of text already in delta frames
        self._sent_reasoning = 0  # and of reasoning in reasoning frames
        self._pending_tools: dict[int, dict] = {}
        self._flush_lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._last_flush = 0.0
        self._checkpoint_task: asyncio.Task | None = None
        self._last_checkpoint = time.perf_counter()
        self._finishing = False
        self._capped = False
        self._stored = asyncio.Event()  # the turn is committed: the reply has its row and may be relayed
        self.sent = asyncio.Event()  # its upstream request is written (or it ended before writing one)
        self._abandoned = False
        self._cancel_when_stored = False  # a cancel that came while stream.start was being sent
        self.task: asyncio.Task | None = None

    # What chat.running knows a reply by
    user_id = property(lambda self: self.job.user_id)
    request_id = property(lambda self: self.job.request_id)
    conversation_id = property(lambda self: self.job.conversation_id)
    message_id = property(lambda self: self.job.message_id)

    # Lifecycle ------------------------------------------------------------------

    def open(self) -> None:
        """Send the request now; what comes back waits in the ReplyState until `announce`."""
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"generation {self.job.request_id}")

    async def announce(self) -> None:
        """The turn is stored: `stream.start` goes out, the reply can be found and cancelled, and relaying begins."""
        running.add(self)
        if settings.PLAYGROUND_CROSS_PROCESS_CANCEL:
            self._listener = asyncio.get_running_loop().create_task(self._listen_for_cancel())
            self.task.add_done_callback(lambda _: self._listener.cancel())
        plan = self.job.plan
        try:
            await self.publish({"type": "stream.start", "request_id": self.job.request_id,
                                "message_id": self.message_id, "parent_id": self.job.parent_id,
                                "provider": plan.provider_slug, "model": plan.model, "fallback": plan.fallback,
                                "mode": "completion" if plan.request.completion else "chat"})
        finally:
            self._stored.set()
            if self._cancel_when_stored:
                self.task.cancel()

    def abandon(self) -> None:
        """The turn could not be stored: close the upstream request and store nothing."""
        self._abandoned = True
        if self.task is not None:
            self.task.cancel()

    async def _listen_for_cancel(self) -> None:
        channel = await self.layer.new_channel()
        group = control_group(self.job.conversation_id)
        await self.layer.group_add(group, channel)
        try:
            while True:
                message = await self.layer.receive(channel)
                if message.get("request_id") is None or (
                        message.get("request_id") == self.job.request_id and message.get("user_id") == self.user_id):
                    self.cancel()
        finally:
            await asyncio.shield(self.layer.group_discard(group, channel))

    def cancel(self) -> bool:
        """Stop now: the upstream request is closed and the partial reply kept."""
        if self.task is None or self.task.done() or self._finishing:
            return False
        if self._stored.is_set():
            self.task.cancel()
        else:
            self._cancel_when_stored = True
        return True

    def snapshot(self) -> dict:
        return {"request_id": self.job.request_id, "message_id": self.message_id, "content": self.state.content,
                "reasoning": self.state.reasoning_text, "tool_calls": self.state.tool_calls(),
                "provider": self.job.plan.provider_slug, "model": self.job.plan.model}

    async def run(self) -> None:
        http.on_request_sent.set(self.sent.set)  # this task's own context
        try:
            ending = await engine.run(self.job.plan, self.state, self._on_output)
            if not await self._wait_until_stored():
                return
            if self._capped:
                ending = engine.Ending()
                self.state.finish_reason = LENGTH_CAP
            self._finishing = True
            await self._finish(ending)
        finally:
            self.sent.set()
            running.remove(self)

    async def _wait_until_stored(self) -> bool:
        """Wait for the turn's commit; False when it was abandoned instead."""
        if self._abandoned:
            return False
        try:
            await self._stored.wait()
        except asyncio.CancelledError:
            if self._abandoned:
                return False
            raise
        return True

    # Stream events ------------------------------------------------------------------

    async def _on_output(self, event) -> None:
        if not self._stored.is_set() and not await self._wait_until_stored():
            raise asyncio.CancelledError
        if isinstance(event, ToolCallDelta):
            pending = self._pending_tools.setdefault(event.index, {"id": None, "name": None, "arguments": []})
            pending["id"] = pending["id"] or event.id
            pending["name"] = pending["name"] or event.name
            pending["arguments"].append(event.arguments_delta)
        elif isinstance(event, TextDelta) and self.state.length > self.pace.max_chars:
            self._cap()
        await self._coalesce()
        self._maybe_checkpoint()

    def _cap(self) -> None:
        """A reply longer than PLAYGROUND_MAX_REPLY_CHARS is cut there and its upstream request closed."""
        limit = self.pace.max_chars
        text = self.state.content[:limit]
        self.state.text[:] = [text]
        self.state.length = len(text)
        self._capped = True
        self.task.cancel()

    # Frames ----------------------------------------------------------------------------

    async def publish(self, frame: dict) -> None:
        await publish(self.layer, self.job.conversation_id, frame)

    async def _coalesce(self) -> None:
        """The first delta after a quiet spell goes at once; later ones at most once per interval.

        Flushing happens inline while tokens flow; a timer only catches what is left when the
        provider goes quiet, so a fast stream costs no task per frame.
        """
        wait = self._last_flush + coalesce_interval(self.pace) - time.perf_counter()
        if wait <= 0:
            await self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._unflushed() and not self._finishing:
            asyncio.get_running_loop().create_task(self._flush())

    def _unflushed(self) -> bool:
        state = self.state
        return state.length > self._sent or state.reasoning_length > self._sent_reasoning or bool(self._pending_tools)

    async def _flush(self) -> None:
        async with self._flush_lock:
            if self.state.reasoning_length > self._sent_reasoning:
                self._sent_reasoning = await self._send_text("stream.reasoning", self.state.reasoning,
                                                             self._sent_reasoning)
            if self.state.length > self._sent:
                self._sent = await self._send_text("stream.delta", self.state.text, self._sent)
            tools, self._pending_tools = self._pending_tools, {}
            for index, piece in sorted(tools.items()):
                await self.publish({"type": "stream.tool_call", "request_id": self.job.request_id,
                                    "message_id": self.message_id, "index": index, "id": piece["id"],
                                    "name": piece["name"], "arguments_delta": "".join(piece["arguments"])})
            self._last_flush = time.perf_counter()

    async def _send_text(self, kind: str, pieces: list[str], sent: int) -> int:
        """Frames of `kind` for the text past `sent`, each under the frame size limit; returns the new `sent`.

        The pieces are joined in place once, so a long reply is not joined again at every frame.
        """
        if len(pieces) > 1:
            pieces[:] = ["".join(pieces)]
        text = pieces[0][sent:] if pieces else ""
        for start in range(0, len(text), DELTA_PIECE_CHARS):
            piece = text[start:start + DELTA_PIECE_CHARS]
            await self.publish({"type": kind, "request_id": self.job.request_id, "message_id": self.message_id,
                                "content": piece, "offset": sent})
            sent += len(piece)
        return sent

    # Persistence ------------------------------------------------------------------------------

    def _maybe_checkpoint(self) -> None:
        now = time.perf_counter()
        if now - self._last_checkpoint < self.pace.checkpoint:
            return
        if self._checkpoint_task is not None and not self._checkpoint_task.done():
            return
        self._last_checkpoint = now
        self._checkpoint_task = asyncio.get_running_loop().create_task(grouped(functools.partial(
            store.checkpoint_reply, self.message_id, self.state.content, self.state.tool_calls(),
            self.state.reasoning_text)))

    async def _finish(self, ending: engine.Ending) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            await self._flush()
            if self._checkpoint_task is not None:
                await asyncio.gather(self._checkpoint_task, return_exceptions=True)
            fields = self._final_fields(ending)
            summary = await grouped(functools.partial(store.finalize_reply, self.job.row, **fields))
        except Exception:
            log.exception("Reply %s failed while finishing", self.message_id)
            ending = engine.Ending(engine.ERROR, ProviderError(
                PROVIDER_ERROR, "The playground failed while storing this reply; the text so far is kept."))
            fields, summary = await self._fail(ending)
        # Its final row is written: the conversation is free before `stream.end` goes out (publishing may wait
        # for Redis after a watcher here already has the frame, and a client may answer it at once).
        running.remove(self)
        await self._publish_end(fields, summary)
        if ending.error is not None:
            await self.publish({"type": "error", "request_id": self.job.request_id, **ending.error.as_frame()})

    async def _fail(self, ending: engine.Ending) -> tuple[dict, dict | None]:
        """The last resort when finishing fails: the partial text stored as an error, if storing works at all."""
        fields = {"content": self.state.content, "reasoning": self.state.reasoning_text, "tool_calls": [],
                  "structured": None, "usage": None,
                  "metrics": None, "cost": None, "finish_reason": "error", "status": engine.ERROR,
                  "error_code": ending.error.code, "error_message": ending.error.message}
        try:
            return fields, await db(store.fail_reply)(self.message_id, fields["content"], ending.error)
        except Exception:
            log.exception("Reply %s could not be marked failed", self.message_id)
            return fields, None

    async def _publish_end(self, fields: dict, summary: dict | None) -> None:
        """`stream.end`, small enough for every socket: a reply too long for one frame is fetched over HTTP."""
        html = summary["html"] if summary else None
        frame = {
            "type": "stream.end", "request_id": self.job.request_id, "message_id": self.message_id,
            "status": fields["status"], "finish_reason": fields["finish_reason"], "content": fields["content"],
            "html": html, "reasoning": fields["reasoning"], "tool_calls": fields["tool_calls"],
            "structured": fields["structured"], "usage": fields["usage"], "metrics": fields["metrics"], "cost": fields["cost"],
            "fallback": self.job.plan.fallback, "logprobs": fields.get("logprobs"),
            "message": {k: v for k, v in (summary or {}).items() if k not in ("content", "html", "reasoning", "logprobs")},
        }
        logprobs = len(json.dumps(frame["logprobs"])) if frame["logprobs"] else 0
        if len(fields["content"]) + len(html or "") + len(fields["reasoning"]) + logprobs > settings.PLAYGROUND_MAX_END_CHARS:
            del frame["content"], frame["html"], frame["reasoning"], frame["logprobs"]
            frame["content_omitted"] = True
        try:
            await self.publish(frame)
        except Exception:
            log.exception("stream.end of reply %s could not be published", self.message_id)

    def _final_fields(self, ending: engine.Ending) -> dict:
        verdicts = engine.verdicts(self.state, self.job.plan, ending)
        error = ending.error
        return {**verdicts, "status": ending.status, "error_code": error.code if error else "",
                "error_message": error.message if error else ""}
