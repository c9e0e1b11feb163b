"""Running a run set: every request a task of this process, at most N open per provider.

A BatchRunner is owned by the process that received the "run" request and
does not depend on any page staying open. Each run streams through the
adapter (so TTFT is measured), is validated, and is written once when it ends;
frames go to the experiment's group (`exp.<id>`), pre-encoded, for every
watching socket. Cancel stops it at once: runs waiting for a slot never start,
running ones are cancelled, which closes their upstream HTTP streams.
"""
import asyncio
import json
import logging
import time

from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from chat import engine
from chat.db import db
from chat.experiments import backoff, stats, store
from chat.experiments import resume as resuming
from chat.models import ExperimentBatch, ExperimentRun
from chat.workbench import evaluators
from providers.streaming import ReplyState

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
    batch, jobs, failed = await db(store.start_batch)(experiment_id, user)
    runner = BatchRunner(batch, jobs, failed, get_channel_layer())
    runner.start()
    return runner


async def resume(experiment_id: int, number: int, user) -> "BatchRunner":
    """Run the unfinished runs of an interrupted or cancelled run set here; raises store.Busy,
    resume.NotResumable or ExperimentBatch.DoesNotExist."""
    batch, jobs, done = await db(resuming.resume_batch)(experiment_id, number, user)
    runner = BatchRunner(batch, jobs, done, get_channel_layer())
    runner.start()
    return runner


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
            self.rows[job.run_id] = _run_of(batch.pk, job).as_row()
        self.semaphores: dict[str, asyncio.Semaphore] = {}
        self.streams: dict[int, asyncio.Task] = {}
        self.cancelled = False
        self.reason = ""  # why it stopped early, when it did (the cost cap)
        self.spent = sum((row["cost"] or 0) + (row["judge_cost"] or 0) for row in failed)
        self.began = time.monotonic()
        self._publishing = asyncio.Lock()
        self.task: asyncio.Task | None = None

    # Lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        _by_experiment[self.experiment_id] = self
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"experiment batch {self.batch.pk}")
        self.task.add_done_callback(_report_failure)

    def cancel(self, reason: str = "") -> bool:
        """Stop now: waiting runs never start, running ones are cancelled (their streams closed)."""
        if self.cancelled or self.task is None or self.task.done():
            return False
        self.cancelled, self.reason = True, reason
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
        status = ExperimentBatch.COMPLETE
        if self.cancelled:
            status = ExperimentBatch.BUDGET if self.reason else ExperimentBatch.CANCELLED
        try:
            await db(store.finish_batch)(self.batch.pk, status, self.reason)
        finally:
            if _by_experiment.get(self.experiment_id) is self:
                _by_experiment.pop(self.experiment_id, None)
        for row in self.rows.values():
            if row["status"] == "pending":
                row.update(status=ExperimentRun.CANCELLED, error_code="cancelled",
                           error_message=self.reason or "Cancelled before it started.")
        self.batch.status, self.batch.reason = status, self.reason
        await self.publish_progress(status)

    async def _watch_cancel(self) -> None:
        """A cancel asked through another process is stored on the batch; look for it now and then."""
        while not self.cancelled:
            await asyncio.sleep(poll_seconds())
            if await db(store.cancel_requested)(self.batch.pk):
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
                result = await stream
            except asyncio.CancelledError:  # cancelled before it began streaming
                if asyncio.current_task().cancelling():
                    raise
                result = ReplyState(), engine.Ending(engine.CANCELLED), timezone.now()
            finally:
                self.streams.pop(job.run_id, None)
        fields = final_fields(job, result)
        if self.spec.get("evaluators"):
            fields.update(await self._judge(job, fields))
        await db(store.finish_run)(job.run_id, fields)
        row = _run_of(self.batch.pk, job, **fields).as_row()
        self.spent += (row["cost"] or 0) + (row["judge_cost"] or 0)
        cap = self.spec.get("cost_cap")
        if cap and self.spent >= cap:
            self.cancel(f"Stopped at the cost cap: ${self.spent:.4f} spent of ${cap:g}.")
        async with self._publishing:  # frames in the order runs finished: `done` only grows
            self.rows[job.run_id] = row
            await self.publish({"type": "experiment.run", "batch_id": self.batch.pk, "run": row})
            await self.publish_progress(ExperimentBatch.RUNNING)

    async def _stream(self, job: store.RunJob) -> tuple[ReplyState, engine.Ending, object]:
        started = timezone.now()
        state, ending, _ = await backoff.run(job.plan)  # a 429 waits and retries, holding its slot
        return state, ending, started

    async def _judge(self, job: store.RunJob, fields: dict) -> dict:
        """The evaluators' verdicts on a finished run; a judge waits for a slot of its own provider."""
        configs = self.spec["evaluators"]
        if fields["status"] != ExperimentRun.COMPLETE:
            why = fields["error_message"] or fields["status"]
            return {"verdicts": evaluators.failed_run(configs, f"No output to judge: {why}")}
        tokens = [fields["prompt_tokens"], fields["completion_tokens"]]
        case = {**job.case, "output": fields["output"], "tool_calls": fields["tool_calls"],
                "duration_ms": fields["duration_ms"], "cost": fields["cost"],
                "tokens": sum(tokens) if None not in tokens else None}
        verdicts, spent = await evaluators.evaluate_all(configs, case, self._slot)
        return {"verdicts": verdicts, "judge_tokens": spent["tokens"], "judge_cost": spent["cost"]}

    def _slot(self, provider: str) -> asyncio.Semaphore:
        return self.semaphores.setdefault(provider, asyncio.Semaphore(self.limit))

    # Frames ------------------------------------------------------------------------------------

    def stats(self) -> list[dict]:
        return stats.table(list(self.rows.values()), self.spec)

    async def publish(self, frame: dict) -> None:
        frame["experiment_id"] = self.experiment_id
        await self.layer.group_send(group_name(self.experiment_id), {"type": "chat.frame", "text": json.dumps(frame)})

    async def publish_progress(self, status: str) -> None:
        frame = {"type": "experiment.progress", "batch_id": self.batch.pk, "batch": self.batch.number,
                 "done": self.done, "total": self.batch.total, "running": len(self.streams),
                 "status": status, "stats": self.stats()}
        if self.spec.get("evaluators") or self.spec.get("prompt_versions") or self.spec.get("cost_cap"):
            frame.update(self.so_far(status))
        await self.publish(frame)

    def so_far(self, status: str) -> dict:
        """Pass rate and spend so far, the time left at the pace so far, and why it stopped early."""
        rows = [r for r in self.rows.values() if r["status"] not in ("pending", "running")]
        verdicts = [v for r in rows for v in r.get("verdicts") or []]
        passed = sum(1 for v in verdicts if v["passed"])
        left = self.batch.total - self.done
        pace = (time.monotonic() - self.began) / self.done if self.done else None
        return {"pass_pct": stats.percent(passed, len(verdicts)), "spent": round(self.spent, 8),
                "matrix": stats.matrix(list(self.rows.values()), self.spec),
                "eta_seconds": round(pace * left, 1) if pace is not None and status == "running" else None,
                "reason": self.reason}


def _report_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Experiment %s failed", task.get_name(), exc_info=task.exception())


def _run_of(batch_id: int, job: store.RunJob, **fields) -> ExperimentRun:
    return ExperimentRun(pk=job.run_id, batch_id=batch_id, provider=job.provider, model=job.model, repeat=job.repeat,
                         prompt_version_id=job.version_id, row_id=job.row_id, **fields)


def final_fields(job: store.RunJob, result: tuple[ReplyState, engine.Ending, object]) -> dict:
    """The run's stored fields: output, verdicts, usage, timings, cost, error."""
    state, ending, started = result
    judged = engine.verdicts(state, job.plan, ending)
    complete = ending.status == ExperimentRun.COMPLETE
    structured, usage, error = judged["structured"], judged["usage"] or {}, ending.error
    if usage.get("estimated"):  # run statistics compare reported figures only
        usage, judged["cost"] = {}, None
    return {
        "status": ending.status, "output": judged["content"], "reasoning": judged["reasoning"],
        "finish_reason": judged["finish_reason"],
        "valid": structured["valid"] if structured else None,
        "validation_errors": structured["errors"] if structured else [], "tool_calls": judged["tool_calls"],
        "tool_calls_valid": _tool_verdict(job, judged["tool_calls"]) if complete else None,
        "prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": usage.get("completion_tokens"),
        "ttft_ms": judged["metrics"]["ttft_ms"], "duration_ms": judged["metrics"]["duration_ms"],
        "cost": judged["cost"], "fallback": job.plan.fallback or "", "error_code": error.code if error else "",
        "error_message": error.message if error else "", "started": started, "finished": timezone.now(),
    }


def _tool_verdict(job: store.RunJob, calls: list[dict]) -> bool | None:
    """None without tools; else True when at least one call was made and every call is valid."""
    if not job.plan.tools or job.plan.tool_choice == "none":
        return None
    return bool(calls) and all(call["validation"]["valid"] for call in calls)


def batch_summary(batch: ExperimentBatch) -> dict:
    started_by = batch.started_by.get_username() if batch.started_by_id and batch.started_by else None
    return {"id": batch.pk, "number": batch.number, "status": batch.status, "total": batch.total,
            "started_by": started_by, "created": batch.created.isoformat() if batch.created else None,
            "finished": batch.finished.isoformat() if batch.finished else None, "reason": batch.reason}
