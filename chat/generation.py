"""One Generation per assistant reply.

A cancellable task owned by this process: it opens the provider stream,
coalesces deltas into frames, publishes them to the conversation's group,
checkpoints the text at most every PLAYGROUND_CHECKPOINT_SECONDS, and
finalizes the message once. It does not depend on any socket staying open.
"""
import asyncio
import json
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass, field

from django.conf import settings

from chat import store
from chat.db import db
from chat.validation import validate_json_text, validate_tool_calls
from providers.streaming import ToolCallAssembler, replay
from providers.types import PROVIDER_ERROR, ChatRequest, Finish, ProviderError, TextDelta, ToolCallDelta, Usage

log = logging.getLogger(__name__)

_by_request: dict[str, "Generation"] = {}
_by_conversation: dict[int, set["Generation"]] = {}


def group_name(conversation_id: int) -> str:
    return f"conv.{conversation_id}"


async def publish(layer, conversation_id: int, frame: dict) -> None:
    """Send a frame to everyone watching a conversation (encoded once for all of them)."""
    frame["conversation_id"] = conversation_id
    await layer.group_send(group_name(conversation_id), {"type": "chat.frame", "text": json.dumps(frame)})


def control_group(conversation_id: int) -> str:
    return f"ctl.conv.{conversation_id}"


async def cancel_elsewhere(layer, conversation_id: int, request_id: str) -> None:
    """Ask whichever process runs a reply to stop it (scale-out: several Daphne processes)."""
    await layer.group_send(control_group(conversation_id), {"type": "generation.cancel", "request_id": request_id})


def coalesce_interval() -> float:
    """The shortest gap between two delta frames of one reply, widened when many replies stream.

    Each frame costs the process the same whatever it carries, so under load fewer, fuller frames keep
    every stream flowing (the cap stays well under what a reader notices as a stall).
    """
    base = settings.PLAYGROUND_COALESCE_SECONDS
    load = len(_by_request) / settings.PLAYGROUND_COALESCE_STREAMS
    return min(settings.PLAYGROUND_COALESCE_MAX_SECONDS, base * max(1.0, load))


def find(request_id: str) -> "Generation | None":
    return _by_request.get(request_id)


def running_in(conversation_id: int) -> set["Generation"]:
    """The replies streaming in a conversation in this process (several when comparing models)."""
    return _by_conversation.get(conversation_id, set())


@dataclass
class Job:
    """Everything a reply needs, resolved and authorized beforehand; its row exists once stored."""

    request_id: str
    adapter: object
    provider_slug: str
    model: str
    request: ChatRequest
    stream: bool = True
    fallback: str | None = None
    tools: list = field(default_factory=list)  # the OpenAI-shaped tools, for validation
    json_schema: dict | None = None  # for structured replies
    structured: bool = False
    settings: dict = field(default_factory=dict)  # stored on the message
    price: object = None  # ProviderModel, for cost
    conversation_id: int | None = None
    parent_id: int | None = None
    message_id: int | None = None  # the assistant row, created with the turn


class Generation:
    def __init__(self, job: Job, layer):
        self.job = job
        self.layer = layer
        self.message_id = job.message_id
        self.text: list[str] = []
        self.length = 0
        self.tools = ToolCallAssembler()
        self._pending_text: list[str] = []
        self._pending_tools: dict[int, dict] = {}
        self._flush_lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._flush_task: asyncio.Task | None = None
        self._last_flush = 0.0
        self._checkpoint_task: asyncio.Task | None = None
        self._last_checkpoint = time.perf_counter()
        self._finishing = False
        self.task: asyncio.Task | None = None

    # Lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        _by_request[self.job.request_id] = self
        _by_conversation.setdefault(self.job.conversation_id, set()).add(self)
        loop = asyncio.get_running_loop()
        self.task = loop.create_task(self.run(), name=f"generation {self.job.request_id}")
        if settings.PLAYGROUND_CROSS_PROCESS_CANCEL:
            self._listener = loop.create_task(self._listen_for_cancel())
            self.task.add_done_callback(lambda _: self._listener.cancel())

    async def _listen_for_cancel(self) -> None:
        channel = await self.layer.new_channel()
        group = control_group(self.job.conversation_id)
        await self.layer.group_add(group, channel)
        try:
            while True:
                message = await self.layer.receive(channel)
                if message.get("request_id") == self.job.request_id:
                    self.cancel()
        finally:
            await asyncio.shield(self.layer.group_discard(group, channel))

    def cancel(self) -> bool:
        """Stop now: the upstream request is closed and the partial reply kept."""
        if self.task is None or self.task.done() or self._finishing:
            return False
        self.task.cancel()
        return True

    def snapshot(self) -> dict:
        return {"request_id": self.job.request_id, "message_id": self.message_id, "content": "".join(self.text),
                "tool_calls": [_call_dict(c) for c in self.tools.calls()],
                "provider": self.job.provider_slug, "model": self.job.model}

    async def run(self) -> None:
        job = self.job
        self.timing = {"started": time.perf_counter(), "first": None}
        outcome = {"status": "complete", "finish_reason": None, "usage": None, "error": None}
        try:
            await self.publish({"type": "stream.start", "request_id": job.request_id, "message_id": self.message_id,
                                "parent_id": job.parent_id, "provider": job.provider_slug, "model": job.model,
                                "fallback": job.fallback})
            await self._consume(outcome)
        except asyncio.CancelledError:
            outcome.update(status="cancelled", finish_reason="cancelled")
        except ProviderError as error:
            outcome.update(status="error", finish_reason="error", error=error)
        except Exception:
            log.exception("Generation %s failed", job.request_id)
            outcome.update(status="error", finish_reason="error",
                           error=ProviderError(PROVIDER_ERROR, "The playground failed while streaming this reply."))
        self._finishing = True
        try:
            await self._finish(outcome)
        finally:
            _by_request.pop(job.request_id, None)
            running = _by_conversation.get(job.conversation_id, set())
            running.discard(self)
            if not running:
                _by_conversation.pop(job.conversation_id, None)

    async def _consume(self, outcome: dict) -> None:
        job = self.job
        events = job.adapter.stream_chat(job.request) if job.stream else self._whole_reply()
        async with aclosing(events) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    self._on_text(event.text)
                elif isinstance(event, ToolCallDelta):
                    self._on_tool_call(event)
                elif isinstance(event, Usage):
                    outcome["usage"] = event
                    continue
                elif isinstance(event, Finish):
                    outcome["finish_reason"] = event.reason
                    continue
                await self._coalesce()
                self._maybe_checkpoint()

    async def _whole_reply(self):
        result = await self.job.adapter.chat(self.job.request)
        async for event in replay(result):
            yield event

    # Stream events ------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        if self.timing["first"] is None:
            self.timing["first"] = time.perf_counter()
        self.text.append(text)
        self._pending_text.append(text)

    def _on_tool_call(self, delta: ToolCallDelta) -> None:
        if self.timing["first"] is None:
            self.timing["first"] = time.perf_counter()
        self.tools.add(delta)
        pending = self._pending_tools.setdefault(delta.index, {"id": None, "name": None, "arguments": []})
        pending["id"] = pending["id"] or delta.id
        pending["name"] = pending["name"] or delta.name
        pending["arguments"].append(delta.arguments_delta)

    # Frames ----------------------------------------------------------------------------

    async def publish(self, frame: dict) -> None:
        await publish(self.layer, self.job.conversation_id, frame)

    async def _coalesce(self) -> None:
        """The first delta after a quiet spell goes at once; later ones at most once per interval.

        Flushing happens inline while tokens flow; a timer only catches what is left when the
        provider goes quiet, so a fast stream costs no task per frame.
        """
        wait = self._last_flush + coalesce_interval() - time.perf_counter()
        if wait <= 0:
            await self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if (self._pending_text or self._pending_tools) and not self._finishing:
            self._flush_task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        async with self._flush_lock:
            if self._pending_text:
                text = "".join(self._pending_text)
                self._pending_text.clear()
                offset = self.length
                self.length += len(text)
                await self.publish({"type": "stream.delta", "request_id": self.job.request_id,
                                    "message_id": self.message_id, "content": text, "offset": offset})
            tools, self._pending_tools = self._pending_tools, {}
            for index, piece in sorted(tools.items()):
                await self.publish({"type": "stream.tool_call", "request_id": self.job.request_id,
                                    "message_id": self.message_id, "index": index, "id": piece["id"],
                                    "name": piece["name"], "arguments_delta": "".join(piece["arguments"])})
            self._last_flush = time.perf_counter()

    # Persistence ------------------------------------------------------------------------------

    def _maybe_checkpoint(self) -> None:
        now = time.perf_counter()
        if now - self._last_checkpoint < settings.PLAYGROUND_CHECKPOINT_SECONDS:
            return
        if self._checkpoint_task is not None and not self._checkpoint_task.done():
            return
        self._last_checkpoint = now
        calls = [_call_dict(c) for c in self.tools.calls()]
        self._checkpoint_task = asyncio.get_running_loop().create_task(
            db(store.checkpoint_reply)(self.message_id, "".join(self.text), calls))

    async def _finish(self, outcome: dict) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self._flush()
        if self._checkpoint_task is not None:
            await asyncio.gather(self._checkpoint_task, return_exceptions=True)
        fields = self._final_fields(outcome)
        summary = await db(store.finalize_reply)(self.message_id, self.job.conversation_id, **fields)
        await self.publish({
            "type": "stream.end", "request_id": self.job.request_id, "message_id": self.message_id,
            "status": fields["status"], "finish_reason": fields["finish_reason"], "content": fields["content"],
            "html": summary["html"], "tool_calls": fields["tool_calls"], "structured": fields["structured"],
            "usage": fields["usage"], "metrics": fields["metrics"], "cost": fields["cost"],
            "fallback": self.job.fallback, "message": summary,
        })
        error = outcome["error"]
        if error is not None:
            await self.publish({"type": "error", "request_id": self.job.request_id, **error.as_frame()})

    def _final_fields(self, outcome: dict) -> dict:
        job = self.job
        content = "".join(self.text)
        calls = validate_tool_calls([_call_dict(c) for c in self.tools.calls()], job.tools) if self.tools else []
        structured = None
        if job.structured and outcome["status"] == "complete" and not calls:
            structured = validate_json_text(content, job.json_schema)
        usage = outcome["usage"].as_dict() if outcome["usage"] else None
        error = outcome["error"]
        return {
            "content": content, "tool_calls": calls, "status": outcome["status"],
            "finish_reason": outcome["finish_reason"] or "", "usage": usage, "metrics": self._metrics(usage),
            "cost": job.price.cost(usage["prompt_tokens"], usage["completion_tokens"]) if usage and job.price else None,
            "structured": structured, "error_code": error.code if error else "",
            "error_message": error.message if error else "",
        }

    def _metrics(self, usage: dict | None) -> dict:
        end = time.perf_counter()
        first = self.timing["first"]
        started = self.timing["started"]
        metrics = {"ttft_ms": round((first - started) * 1000, 1) if first else None,
                   "duration_ms": round((end - started) * 1000, 1), "tokens_per_s": None}
        tokens = (usage or {}).get("completion_tokens")
        if first and tokens and end - first > 0:
            metrics["tokens_per_s"] = round(tokens / (end - first), 1)
        return metrics


def _call_dict(call) -> dict:
    data = {"id": call.id, "name": call.name, "arguments": call.arguments}
    if call.extra:
        data["extra"] = call.extra
    return data
