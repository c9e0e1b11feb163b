"""Resuming a run set that a restart interrupted (or a person cancelled): its unfinished runs are planned again
from the run set's own spec (the same versions, rows and models) and run by a new BatchRunner in this process;
runs that finished are kept as they are. One run set of an experiment runs at a time.
"""

from django.db import transaction
from django.utils import timezone

from chat.errors import Refused
from chat.experiments import store, workbench
from chat.gateway import quotas
from chat.models import ExperimentBatch, ExperimentRun
from chat.workbench.models import DatasetRow, PromptVersion

RESUMABLE = (ExperimentBatch.INTERRUPTED, ExperimentBatch.CANCELLED)
UNFINISHED = (ExperimentRun.INTERRUPTED, ExperimentRun.CANCELLED, ExperimentRun.PENDING)


FRESH = {"output": "", "reasoning": "", "finish_reason": "", "valid": None, "validation_errors": [], "tool_calls": [],
         "tool_calls_valid": None, "prompt_tokens": None, "completion_tokens": None, "ttft_ms": None,
         "duration_ms": None, "cost": None, "fallback": "", "error_code": "", "error_message": "", "started": None,
         "finished": None, "verdicts": [], "judge_tokens": None, "judge_cost": None}


class NotResumable(Exception):
    """The run set ended on its own (complete, or at its cost cap): there is nothing to resume."""


def _planner(spec: dict):
    """A function planning one stored run again: (run) -> Cell."""
    versions = {v.pk: v for v in PromptVersion.objects.filter(pk__in=spec.get("prompt_versions") or [])}
    rows = {r.pk: r for r in DatasetRow.objects.filter(pk__in=spec.get("rows") or [])}
    workbench_run = bool(spec.get("prompt_versions")) or spec.get("dataset") is not None

    def cell(run: ExperimentRun) -> store.Cell:
        made = store.Cell(run.provider, run.model, run.repeat, version_id=run.prompt_version_id, row_id=run.row_id)
        if not workbench_run:
            target = store.prepare_target(spec, run.provider, run.model)
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


def _claim(batch_id: int, experiment_id: int) -> ExperimentBatch:
    with transaction.atomic():
        batches = ExperimentBatch.objects.select_for_update().filter(experiment_id=experiment_id)
        if batches.filter(status=ExperimentBatch.RUNNING).exists():
            raise store.Busy()
        batch = batches.get(pk=batch_id)
        if batch.status not in RESUMABLE:
            raise NotResumable()
        batch.status, batch.finished, batch.reason, batch.cancel_requested = ExperimentBatch.RUNNING, None, "", False
        batch.save(update_fields=["status", "finished", "reason", "cancel_requested"])
    return ExperimentBatch.objects.select_related("started_by").get(pk=batch_id)


def resume_batch(experiment_id: int, number: int, user) -> tuple[ExperimentBatch, list[store.RunJob], list[dict]]:
    """The run set made running again, the jobs of its unfinished runs, and the rows of those already done;
    raises ExperimentBatch.DoesNotExist, store.Busy or NotResumable."""
    found = ExperimentBatch.objects.get(experiment_id=experiment_id, number=number)
    if found.status not in RESUMABLE:
        raise NotResumable()
    spec = found.spec
    unfinished = list(found.runs.filter(status__in=UNFINISHED).order_by("repeat", "id"))
    quotas.admit(user, len(unfinished) * store.requests_per_run(spec))
    planner = _planner(spec)
    cells = [planner(run) for run in unfinished]
    batch = _claim(found.pk, experiment_id)
    now, jobs = timezone.now(), []
    for run, cell in zip(unfinished, cells):
        if cell.error is not None:
            ExperimentRun.objects.filter(pk=run.pk).update(
                status=ExperimentRun.ERROR, error_code=cell.error.code, error_message=cell.error.message, finished=now)
            continue
        ExperimentRun.objects.filter(pk=run.pk).update(status=ExperimentRun.PENDING, **FRESH)
        jobs.append(store.RunJob(run_id=run.pk, repeat=run.repeat, plan=cell.plan, version_id=cell.version_id,
                                 row_id=cell.row_id, case=cell.case))
    pending = {job.run_id for job in jobs}
    done = [run.as_row() for run in batch.runs.order_by("id") if run.pk not in pending]
    return batch, jobs, done


