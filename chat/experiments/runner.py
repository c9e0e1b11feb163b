"""Running a run set: every request a task of this process, at most N open per provider.

A BatchRunner is owned by the process that received the "run" request and
does not depend on any page staying open. Each run streams through the
adapter (so TTFT is measured), is validated, and is written once when it ends;
frames go to the experiment's group (`exp.<id>`), pre-encoded, for every
watching socket. Cancel stops it at once: runs waiting for a slot never start,
running ones are cancelled, which closes their upstream HTTP streams.
"""
import asyncio
import contextvars
import json
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from chat.experiments import stats, store
from chat.models import ExperimentBatch, ExperimentRun
from chat.validation import validate_json_text, validate_tool_calls
from providers.streaming import ToolCallAssembler, replay
from providers.types import PROVIDER_ERROR, Finish, ProviderError, TextDelta, ToolCallDelta, Usage

log = logging.getLogger(__name__)

_by_experiment: dict[int, "BatchRunner"] = {}


def group_name(experiment_id: int) -> str:
    return f"exp.{experiment_id}"


def running(experiment_id: int) -> "BatchRunner | None":
    """The run set of this experiment going on in this process, if any."""
    return _by_experiment.get(experiment_id)


def default_concurrency() -> int:
    return settings.PLAYGROUND_EXPERIMENT_CONCURRENCY


def poll_seconds() -> float:
    """How often a runner looks for a cancel asked through another process."""
    return settings.PLAYGROUND_EXPERIMENT_POLL_SECONDS


async def launch(experiment_id: int, user) -> "BatchRunner":
    """Store a new run set and start it here; raises store.Busy if one is going already."""
    batch, jobs, failed = await database_sync_to_async(store.start_batch)(experiment_id, user)
    runner = BatchRunner(batch, jobs, failed, get_channel_layer())
    runner.start()
    return runner


@dataclass
class Outcome:
    """What one request produced, before validation."""

    started: object
    t0: float
    first: float | None = None
    text: list[str] = field(default_factory=list)
    tools: ToolCallAssembler = field(default_factory=ToolCallAssembler)
    usage: Usage | None = None
    finish_reason: str = ""
    status: str = ExperimentRun.COMPLETE
    error: ProviderError | None = None


class BatchRunner:
    def __init__(self, batch: ExperimentBatch, jobs: list[store.RunJob], failed: list[dict], layer):
        self.experiment_id = batch.experiment_id
        self.batch = batch
        self.spec = batch.spec
        self.jobs = jobs
        self.layer = layer
        self.limit = batch.spec.get("concurrency") or default_concurrency()
        self.rows: dict[int, dict] = {row["id"]: row for row in failed}
        for job in jobs:
            self.rows[job.run_id] = ExperimentRun(pk=job.run_id, batch_id=batch.pk, provider=job.provider,
                                                  model=job.model, repeat=job.repeat).as_row()
        self.semaphores: dict[str, asyncio.Semaphore] = {}
        self.streams: dict[int, asyncio.Task] = {}
        self.cancelled = False
        self._publishing = asyncio.Lock()
        self.task: asyncio.Task | None = None

    # Lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        _by_experiment[self.experiment_id] = self
        # A fresh context: the request that started it ends soon, and with it Django's per-request
        # thread-sensitive executor, which a copied context would keep pointing at.
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"experiment batch {self.batch.pk}",
                                                           context=contextvars.Context())
        self.task.add_done_callback(_report_failure)

    def cancel(self) -> bool:
        """Stop now: waiting runs never start, running ones are cancelled (their streams closed)."""
        if self.cancelled or self.task is None or self.task.done():
            return False
        self.cancelled = True
        for stream in list(self.streams.values()):
            stream.cancel()
        return True

    @property
    def done(self) -> int:
        return sum(1 for row in self.rows.values() if row["status"] not in ("pending", "running"))

    def snapshot(self) -> dict:
        return {"batch_id": self.batch.pk, "running": sorted(self.streams), "done": self.done,
                "total": self.batch.total}

    async def run(self) -> None:
        watcher = asyncio.get_running_loop().create_task(self._watch_cancel())
        try:
            await self.publish({"type": "experiment.batch", "batch": batch_summary(self.batch),
                                "runs": list(self.rows.values()), "stats": self.stats()})
            await self.publish_progress(ExperimentBatch.RUNNING)
            workers = [asyncio.get_running_loop().create_task(self._one(job)) for job in self.jobs]
            for result in await asyncio.gather(*workers, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("Experiment run failed unexpectedly", exc_info=result)
        finally:
            watcher.cancel()
            await self._finish()

    async def _finish(self) -> None:
        status = ExperimentBatch.CANCELLED if self.cancelled else ExperimentBatch.COMPLETE
        try:
            await database_sync_to_async(store.finish_batch)(self.batch.pk, status)
        finally:
            if _by_experiment.get(self.experiment_id) is self:
                _by_experiment.pop(self.experiment_id, None)
        for row in self.rows.values():
            if row["status"] == "pending":
                row.update(status=ExperimentRun.CANCELLED, error_code="cancelled",
                           error_message="Cancelled before it started.")
        self.batch.status = status
        await self.publish_progress(status)

    async def _watch_cancel(self) -> None:
        """A cancel asked through another process is stored on the batch; look for it now and then."""
        while not self.cancelled:
            await asyncio.sleep(poll_seconds())
            if await database_sync_to_async(store.cancel_requested)(self.batch.pk):
                self.cancel()

    # One run -------------------------------------------------------------------------------

    async def _one(self, job: store.RunJob) -> None:
        semaphore = self.semaphores.setdefault(job.provider, asyncio.Semaphore(self.limit))
        async with semaphore:
            if self.cancelled:
                return
            stream = asyncio.get_running_loop().create_task(self._stream(job), name=f"experiment run {job.run_id}")
            self.streams[job.run_id] = stream
            self.rows[job.run_id]["status"] = "running"
            try:
                outcome = await stream
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise
                outcome = Outcome(timezone.now(), time.perf_counter(), status=ExperimentRun.CANCELLED,
                                  finish_reason="cancelled")
            finally:
                self.streams.pop(job.run_id, None)
        fields = final_fields(job, outcome)
        await database_sync_to_async(store.finish_run)(job.run_id, fields)
        row = ExperimentRun(pk=job.run_id, batch_id=self.batch.pk, provider=job.provider, model=job.model,
                            repeat=job.repeat, **fields).as_row()
        async with self._publishing:  # frames in the order runs finished: `done` only grows
            self.rows[job.run_id] = row
            await self.publish({"type": "experiment.run", "batch_id": self.batch.pk, "run": row})
            await self.publish_progress(ExperimentBatch.RUNNING)

    async def _stream(self, job: store.RunJob) -> Outcome:
        outcome = Outcome(timezone.now(), time.perf_counter())
        try:
            events = job.adapter.stream_chat(job.request) if job.stream else _whole_reply(job)
            async with aclosing(events) as stream:
                async for event in stream:
                    _take(outcome, event)
        except asyncio.CancelledError:
            outcome.status, outcome.finish_reason = ExperimentRun.CANCELLED, "cancelled"
        except ProviderError as error:
            outcome.status, outcome.finish_reason, outcome.error = ExperimentRun.ERROR, "error", error
        except Exception:
            log.exception("Experiment run %s failed", job.run_id)
            outcome.status, outcome.finish_reason = ExperimentRun.ERROR, "error"
            outcome.error = ProviderError(PROVIDER_ERROR, "The playground failed while running this request.")
        return outcome

    # Frames ------------------------------------------------------------------------------------

    def stats(self) -> list[dict]:
        return stats.table(list(self.rows.values()), self.spec)

    async def publish(self, frame: dict) -> None:
        frame["experiment_id"] = self.experiment_id
        await self.layer.group_send(group_name(self.experiment_id), {"type": "chat.frame", "text": json.dumps(frame)})

    async def publish_progress(self, status: str) -> None:
        await self.publish({"type": "experiment.progress", "batch_id": self.batch.pk, "batch": self.batch.number,
                            "done": self.done, "total": self.batch.total, "running": len(self.streams),
                            "status": status, "stats": self.stats()})


def _report_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Experiment %s failed", task.get_name(), exc_info=task.exception())


def _take(outcome: Outcome, event) -> None:
    if isinstance(event, (TextDelta, ToolCallDelta)) and outcome.first is None:
        outcome.first = time.perf_counter()
    if isinstance(event, TextDelta):
        outcome.text.append(event.text)
    elif isinstance(event, ToolCallDelta):
        outcome.tools.add(event)
    elif isinstance(event, Usage):
        outcome.usage = event
    elif isinstance(event, Finish):
        outcome.finish_reason = event.reason


async def _whole_reply(job: store.RunJob):
    """For a provider that cannot stream this request: one reply, replayed as events."""
    result = await job.adapter.chat(job.request)
    async for event in replay(result):
        yield event


def final_fields(job: store.RunJob, outcome: Outcome) -> dict:
    """The run's stored fields: output, verdicts, usage, timings, cost, error."""
    content = "".join(outcome.text)
    complete = outcome.status == ExperimentRun.COMPLETE
    calls = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in outcome.tools.calls()]
    calls = validate_tool_calls(calls, job.tools) if calls else []
    verdict = validate_json_text(content, job.json_schema) if job.structured and complete else None
    usage = outcome.usage.as_dict() if outcome.usage else {}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    end = time.perf_counter()
    return {
        "status": outcome.status, "output": content, "finish_reason": outcome.finish_reason,
        "valid": verdict["valid"] if verdict else None, "validation_errors": verdict["errors"] if verdict else [],
        "tool_calls": calls, "tool_calls_valid": _tool_verdict(job, calls) if complete else None,
        "prompt_tokens": prompt, "completion_tokens": completion,
        "ttft_ms": round((outcome.first - outcome.t0) * 1000, 1) if outcome.first else None,
        "duration_ms": round((end - outcome.t0) * 1000, 1),
        "cost": job.price.cost(prompt, completion) if job.price is not None and usage else None,
        "fallback": job.fallback or "", "error_code": outcome.error.code if outcome.error else "",
        "error_message": outcome.error.message if outcome.error else "",
        "started": outcome.started, "finished": timezone.now(),
    }


def _tool_verdict(job: store.RunJob, calls: list[dict]) -> bool | None:
    """None without tools; else True when at least one call was made and every call is valid."""
    if not job.tools or job.tool_choice == "none":
        return None
    return bool(calls) and all(call["validation"]["valid"] for call in calls)


def batch_summary(batch: ExperimentBatch) -> dict:
    started_by = batch.started_by.get_username() if batch.started_by_id and batch.started_by else None
    return {"id": batch.pk, "number": batch.number, "status": batch.status, "total": batch.total,
            "started_by": started_by, "created": batch.created.isoformat() if batch.created else None,
            "finished": batch.finished.isoformat() if batch.finished else None}
