"""The cells of a run set as a queue in the database (synchronous ORM; runners call it off the event loop).

Every cell is an `ExperimentRun` row. A process runs a cell only after claiming it: the one
UPDATE … WHERE status='pending' that turns it `running` succeeds for one claimer only, so each
cell runs exactly once however many processes claim from the same run set. Claims of one run set
take its row lock first, which makes the per-provider limit hold across processes too.
"""
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from chat.errors import Refused
from chat.experiments import store, workbench
from chat.experiments.resume import FRESH
from chat.models import ExperimentBatch, ExperimentRun
from chat.workbench.models import DatasetRow, PromptVersion

WAIT = "wait"  # a claim found pending cells, but the provider has its limit of cells running already
ENDED = (ExperimentRun.COMPLETE, ExperimentRun.ERROR, ExperimentRun.CANCELLED, ExperimentRun.INTERRUPTED)


def planner(spec: dict):
    """A function planning one stored run from the run set's own spec: (run) -> store.Cell."""
    versions = {v.pk: v for v in PromptVersion.objects.filter(pk__in=spec.get("prompt_versions") or [])}
    rows = {r.pk: r for r in DatasetRow.objects.filter(pk__in=spec.get("rows") or [])}
    workbench_run = bool(spec.get("prompt_versions")) or spec.get("dataset") is not None
    targets: dict[tuple[str, str], store.Target] = {}

    def cell(run: ExperimentRun) -> store.Cell:
        made = store.Cell(run.provider, run.model, run.repeat, version_id=run.prompt_version_id, row_id=run.row_id)
        if not workbench_run:
            key = (run.provider, run.model)
            target = targets[key] = targets.get(key) or store.prepare_target(spec, run.provider, run.model)
            made.plan, made.error = target.plan, target.error
            return made
        version = versions.get(run.prompt_version_id)
        if spec.get("prompt_versions") and version is None:
            made.error = Refused("not_found", "Its prompt version was deleted.")
            return made
        messages, settings = ((version.messages, workbench.settings_of(version)) if version else
                              (store.sources(spec)[0][1], store.settings_of(spec)))
        target = store.Target(run.provider, run.model)
        made.plan, made.error, made.case = store.cell_plan(settings, target, messages, rows.get(run.row_id))
        return made

    return cell


def providers(batch_id: int) -> list[str]:
    """The providers that still have pending cells in this run set."""
    runs = ExperimentRun.objects.filter(batch_id=batch_id, status=ExperimentRun.PENDING)
    return sorted(set(runs.values_list("provider", flat=True).distinct()))


def claim(batch_id: int, provider: str, limit: int | None) -> ExperimentRun | str | None:
    """The next pending cell of this provider, now `running` and ours; WAIT when `limit` cells of it are running
    (in any process); None when none is left or the run set is stopping."""
    with transaction.atomic():
        batch = ExperimentBatch.objects.select_for_update().filter(pk=batch_id).values(
            "status", "cancel_requested").first()
        if batch is None or batch["status"] != ExperimentBatch.RUNNING or batch["cancel_requested"]:
            return None
        runs = ExperimentRun.objects.filter(batch_id=batch_id, provider=provider)
        run = runs.filter(status=ExperimentRun.PENDING).order_by("repeat", "id").first()
        if run is None:
            return None
        if limit is not None and runs.filter(status=ExperimentRun.RUNNING).count() >= limit:
            return WAIT
        now = timezone.now()
        if not ExperimentRun.objects.filter(pk=run.pk, status=ExperimentRun.PENDING).update(
                status=ExperimentRun.RUNNING, started=now):
            return WAIT  # taken a moment ago (SQLite has no row locks): look again
        run.status, run.started = ExperimentRun.RUNNING, now
        return run


def finalize(batch_id: int, cancelled: bool, reason: str) -> tuple[str, str] | None:
    """End the run set when no cell is running and none is left to run (or it was cancelled): returns
    (status, reason), or None when another process still runs cells (the last one out ends it)."""
    with transaction.atomic():
        batch = ExperimentBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != ExperimentBatch.RUNNING:
            return None
        runs = ExperimentRun.objects.filter(batch_id=batch_id)
        if runs.filter(status=ExperimentRun.RUNNING).exists():
            return None
        cancelled = cancelled or batch.cancel_requested
        if not cancelled and runs.filter(status=ExperimentRun.PENDING).exists():
            return None
        reason = reason or batch.reason
        status = ExperimentBatch.COMPLETE
        if cancelled:
            status = ExperimentBatch.BUDGET if reason else ExperimentBatch.CANCELLED
        store.finish_batch(batch_id, status, reason)
    return status, reason


def release(run_ids) -> int:
    """Cells a stopping worker claimed but could not finish go back to pending, for another worker."""
    return ExperimentRun.objects.filter(pk__in=list(run_ids), status=ExperimentRun.RUNNING).update(
        status=ExperimentRun.PENDING, **FRESH)


def spent(batch_id: int) -> float:
    """What the run set's stored runs and their judges cost so far, whichever process ran them."""
    sums = ExperimentRun.objects.filter(batch_id=batch_id).aggregate(runs=Sum("cost"), judges=Sum("judge_cost"))
    return (sums["runs"] or 0) + (sums["judges"] or 0)


def finish(batch_id: int, run_id: int, fields: dict, cap: float | None) -> str | None:
    """Store a finished cell. With a cost cap, the spend is checked in the same transaction, under the run set's
    lock that `claim` takes, and the run set stopped when the cap is reached: no process claims a cell between
    this one ending and the stop. Returns the reason it stopped, or None (also when it was stopping already)."""
    with transaction.atomic():
        going = cap is not None and ExperimentBatch.objects.select_for_update().filter(
            pk=batch_id, status=ExperimentBatch.RUNNING, cancel_requested=False).values_list("pk", flat=True).first()
        store.finish_run(run_id, fields)
        if not going:
            return None
        so_far = spent(batch_id)
        if so_far < cap:
            return None
        reason = f"Stopped at the cost cap: ${so_far:.4f} spent of ${cap:g}."
        stop(batch_id, reason)
        return reason


def stop(batch_id: int, reason: str) -> None:
    """Ask every process running this run set to stop, with the reason it stopped (the cost cap)."""
    ExperimentBatch.objects.filter(pk=batch_id, status=ExperimentBatch.RUNNING).update(
        cancel_requested=True, reason=reason[:300])


def finished_since(batch_id: int, since) -> list[dict]:
    """Rows of the runs that ended at or after `since` (those another process stored, for progress frames)."""
    return ExperimentRun.rows_of(ExperimentRun.objects.filter(batch_id=batch_id, status__in=ENDED, finished__gte=since))


def open_batches() -> list[int]:
    """Run sets a worker can help with: running, with a pending cell, or with no cell running (to be ended)."""
    runs = ExperimentRun.objects.filter(batch=OuterRef("pk"))
    return list(ExperimentBatch.objects.filter(status=ExperimentBatch.RUNNING).filter(
        Exists(runs.filter(status=ExperimentRun.PENDING)) | ~Exists(runs.filter(status=ExperimentRun.RUNNING)),
    ).order_by("pk").values_list("pk", flat=True))


def live(experiment_id: int) -> dict | None:
    """The running run set of an experiment as stored: {batch_id, running (run ids), done, total}, or None."""
    batch = ExperimentBatch.objects.filter(experiment_id=experiment_id, status=ExperimentBatch.RUNNING).first()
    if batch is None:
        return None
    runs = ExperimentRun.objects.filter(batch=batch)
    return {"batch_id": batch.pk, "total": batch.total,
            "running": sorted(runs.filter(status=ExperimentRun.RUNNING).values_list("pk", flat=True)),
            "done": runs.filter(status__in=ENDED).count()}
