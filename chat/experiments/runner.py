"""Running a run set: its cells claimed from the database and run as tasks of this process, at most N per provider.

The same BatchRunner runs cells wherever they run: in the Daphne process that got the "run" request
(the embedded default, `alone`), or in every worker process (`manage.py experimentworker`) when
PLAYGROUND_EXPERIMENT_WORKERS is on. A runner claims one pending cell at a time (chat/experiments/cells.py),
streams it through the adapter (so TTFT is measured), judges it, and writes it once when it ends; frames go
to the experiment's group (`exp.<id>`), from any process. Cancel stops it: no cell is claimed any more,
running ones are cancelled, which closes their upstream HTTP streams. The last runner out ends the run set.
"""
import asyncio
import datetime
import json
import logging
import time

from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from chat import engine
from chat.db import db
from chat.experiments import backoff, cells, outcome, stats, store
from chat.experiments import resume as resuming
from chat.models import ExperimentBatch, ExperimentRun
from chat.workbench import evaluators
from providers.streaming import ReplyState

log = logging.getLogger(__name__)

_by_experiment: dict[int, "BatchRunner"] = {}
SYNC_SLACK = datetime.timedelta(seconds=2)  # rows another process stored are read again this far back
# A progress frame (its table and matrix are over every run) follows each run up to this many runs; in larger
# run sets, at most one every PROGRESS_SECONDS: otherwise the frames alone grow with the square of the runs.
PROGRESS_EVERY_RUN, PROGRESS_SECONDS = 200, 0.5


def group_name(experiment_id: int) -> str:
    return f"exp.{experiment_id}"


def running(experiment_id: int) -> "BatchRunner | None":
    """The run set of this experiment going on in this process, if any."""
    return _by_experiment.get(experiment_id)


def default_concurrency() -> int:
    return settings.PLAYGROUND_EXPERIMENT_CONCURRENCY


def poll_seconds() -> float:
    """How often a runner looks for a cancel asked through another process (and for cells others stored)."""
    return settings.PLAYGROUND_EXPERIMENT_POLL_SECONDS


def in_workers() -> bool:
    """Cells run in worker processes (`manage.py experimentworker`), not in the server that got the request."""
    return settings.PLAYGROUND_EXPERIMENT_WORKERS


async def launch(experiment_id: int, user) -> "BatchRunner":
    """Store a new run set and start it (here, or in the workers); raises store.Busy if one is going already."""
    batch, _, _ = await db(store.start_batch)(experiment_id, user)
    return await _begin(batch.pk)


async def resume(experiment_id: int, number: int, user) -> "BatchRunner":
    """Run the unfinished runs of an interrupted or cancelled run set again; raises store.Busy,
    resume.NotResumable or ExperimentBatch.DoesNotExist."""
    batch = await db(resuming.resume_batch)(experiment_id, number, user)
    return await _begin(batch.pk)


async def _begin(batch_id: int) -> "BatchRunner":
    runner = await BatchRunner.load(batch_id, get_channel_layer(), alone=not in_workers())
    await runner.announce()
    if runner.alone:
        runner.start()
    return runner


def _load(batch_id: int) -> tuple[ExperimentBatch, list[dict]]:
    batch = ExperimentBatch.objects.select_related("started_by").get(pk=batch_id)
    return batch, ExperimentRun.rows_of(batch.runs.order_by("id"))


class BatchRunner:
    def __init__(self, batch: ExperimentBatch, rows: list[dict], layer, alone: bool = True):
        self.experiment_id = batch.experiment_id
        self.batch = batch
        self.spec = batch.spec
        self.layer = layer
        self.alone = alone  # the only process running this run set: no limit to share with others
        self.limit = batch.spec.get("concurrency") or default_concurrency()
        self.rows: dict[int, dict] = {row["id"]: row for row in rows}
        self.semaphores: dict[str, asyncio.Semaphore] = {}
        self.streams: dict[int, asyncio.Task] = {}
        self.cancelled = self.draining = False
        self.ran, self.claimed = 0, set()  # cells this runner stored; cells it claimed and has not stored yet
        self.reason = ""  # why it stopped early, when it did (the cost cap)
        self.began, self.done_at_start, self.synced = time.monotonic(), self.done, timezone.now()
        self.progressed = 0.0  # when the last progress frame went out
        self._publishing = asyncio.Lock()
        self.task: asyncio.Task | None = None

    @classmethod
    async def load(cls, batch_id: int, layer, alone: bool = True) -> "BatchRunner":
        batch, rows = await db(_load)(batch_id)
        return cls(batch, rows, layer, alone)

    # Lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        _by_experiment[self.experiment_id] = self
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"experiment batch {self.batch.pk}")
        self.task.add_done_callback(_report_failure)

    def cancel(self, reason: str = "") -> bool:
        """Stop now: no cell is claimed any more, running ones are cancelled (their streams closed)."""
        if self.cancelled or self.task is None or self.task.done():
            return False
        self.cancelled, self.reason = True, reason
        for stream in list(self.streams.values()):
            stream.cancel()
        return True

    def drain(self) -> None:
        """Claim nothing more, let the running cells end (a worker shutting down); others carry on."""
        self.draining = True

    @property
    def done(self) -> int:
        return sum(1 for row in self.rows.values() if row["status"] in cells.ENDED)

    async def run(self) -> None:
        watcher = asyncio.get_running_loop().create_task(self._watch_cancel())
        try:
            plan_cell = await db(cells.planner)(self.spec)
            # twice as many lanes as slots: while one lane judges and stores its cell, another streams
            lanes = [asyncio.get_running_loop().create_task(self._lane(provider, plan_cell))
                     for provider in await db(cells.providers)(self.batch.pk) for _ in range(2 * self.limit)]
            for result in await asyncio.gather(*lanes, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("Experiment run failed unexpectedly", exc_info=result)
        finally:
            watcher.cancel()
            await self._finish()

    async def _finish(self) -> None:
        try:
            ended = await db(cells.finalize)(self.batch.pk, self.cancelled, self.reason)
        finally:
            if _by_experiment.get(self.experiment_id) is self:
                _by_experiment.pop(self.experiment_id, None)
        if ended is None:  # another process still runs cells of it: the last one out ends it
            return
        status, self.reason = ended
        await self._sync()
        for row in self.rows.values():
            if row["status"] == ExperimentRun.PENDING:
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
            await self._sync()

    async def _sync(self) -> None:
        """Take in the runs other processes stored, so frames count them."""
        if self.alone:
            return
        since, self.synced = self.synced - SYNC_SLACK, timezone.now()
        for row in await db(cells.finished_since)(self.batch.pk, since):
            self.rows[row["id"]] = row

    # One cell -------------------------------------------------------------------------------

    async def _lane(self, provider: str, plan_cell) -> None:
        """Claim this provider's cells one after another and run them, until none is left."""
        while not (self.cancelled or self.draining):
            fields, job = None, None
            async with self._slot(provider):
                if self.cancelled or self.draining:
                    return
                run = await db(cells.claim)(self.batch.pk, provider, None if self.alone else self.limit)
                if isinstance(run, ExperimentRun):
                    self.claimed.add(run.pk)
                    cell = await db(plan_cell)(run)
                    if cell.error is not None:
                        fields = outcome.unplanned_fields(cell, self.spec)
                    else:
                        job = store.RunJob(run_id=run.pk, repeat=run.repeat, plan=cell.plan,
                                           version_id=cell.version_id, row_id=cell.row_id, case=cell.case)
                        fields = outcome.final_fields(job, await self._stream(job))
            if run is None:
                return
            if run == cells.WAIT:  # the provider's limit is taken by cells of other processes
                await asyncio.sleep(poll_seconds() / 4)
                continue
            await self._store(run, job, fields)

    async def _stream(self, job: store.RunJob) -> tuple[ReplyState, engine.Ending, object]:
        started = timezone.now()
        stream = asyncio.get_running_loop().create_task(backoff.run(job.plan), name=f"experiment run {job.run_id}")
        self.streams[job.run_id] = stream
        self.rows[job.run_id]["status"] = ExperimentRun.RUNNING
        try:
            state, ending, _ = await stream  # a 429 waits and retries, holding its slot
        except asyncio.CancelledError:  # cancelled before it began streaming
            if asyncio.current_task().cancelling():
                raise
            state, ending = ReplyState(), engine.Ending(engine.CANCELLED)
        finally:
            self.streams.pop(job.run_id, None)
        return state, ending, started

    async def _store(self, run: ExperimentRun, job: store.RunJob | None, fields: dict) -> None:
        if job is not None and self.spec.get("evaluators"):
            fields.update(await self._judge(job, fields))
        stopped = await db(cells.finish)(self.batch.pk, run.pk, fields, self.spec.get("cost_cap"))
        self.ran += 1
        self.claimed.discard(run.pk)
        for name, value in fields.items():
            setattr(run, name, value)
        row = run.as_row()
        async with self._publishing:  # frames in the order runs finished: `done` only grows
            self.rows[run.pk] = row
            if stopped and not self.cancelled:
                self.cancel(stopped)
            await self.publish({"type": "experiment.run", "batch_id": self.batch.pk, "run": row})
            if self.batch.total <= PROGRESS_EVERY_RUN or time.monotonic() - self.progressed >= PROGRESS_SECONDS:
                await self.publish_progress(ExperimentBatch.RUNNING)

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

    @property
    def spent(self) -> float:
        return sum((row["cost"] or 0) + (row["judge_cost"] or 0) for row in self.rows.values())

    def stats(self) -> list[dict]:
        return stats.table(list(self.rows.values()), self.spec)

    async def announce(self) -> None:
        """The run set's first frames: its runs as stored, and progress at nought."""
        await self.publish({"type": "experiment.batch", "batch": store.batch_summary(self.batch),
                            "runs": list(self.rows.values()), "stats": self.stats()})
        await self.publish_progress(ExperimentBatch.RUNNING)

    async def publish(self, frame: dict) -> None:
        frame["experiment_id"] = self.experiment_id
        await self.layer.group_send(group_name(self.experiment_id), {"type": "chat.frame", "text": json.dumps(frame)})

    async def publish_progress(self, status: str) -> None:
        self.progressed = time.monotonic()
        frame = {"type": "experiment.progress", "batch_id": self.batch.pk, "batch": self.batch.number,
                 "done": self.done, "total": self.batch.total, "running": len(self.streams),
                 "status": status, "stats": self.stats()}
        if self.spec.get("evaluators") or self.spec.get("prompt_versions") or self.spec.get("cost_cap"):
            frame.update(self.so_far(status))
        await self.publish(frame)

    def so_far(self, status: str) -> dict:
        """Pass rate and spend so far, the time left at the pace so far, and why it stopped early."""
        rows = [r for r in self.rows.values() if r["status"] in cells.ENDED]
        verdicts = [v for r in rows for v in r.get("verdicts") or []]
        passed = sum(1 for v in verdicts if v["passed"])
        left, here = self.batch.total - self.done, self.done - self.done_at_start
        pace = (time.monotonic() - self.began) / here if here > 0 else None
        return {"pass_pct": stats.percent(passed, len(verdicts)), "spent": round(self.spent, 8),
                "matrix": stats.matrix(list(self.rows.values()), self.spec),
                "eta_seconds": round(pace * left, 1) if pace is not None and status == "running" else None,
                "reason": self.reason}


def _report_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Experiment %s failed", task.get_name(), exc_info=task.exception())
