"""Resuming a run set that a restart interrupted (or a person cancelled): its unfinished runs become pending
again and are claimed like any cell (planned from the run set's own spec: the same versions, rows and models);
runs that finished are kept as they are. One run set of an experiment runs at a time.
"""

from django.db import transaction

from chat.experiments import store
from chat.gateway import quotas
from chat.models import ExperimentBatch, ExperimentRun

RESUMABLE = (ExperimentBatch.INTERRUPTED, ExperimentBatch.CANCELLED)
UNFINISHED = (ExperimentRun.INTERRUPTED, ExperimentRun.CANCELLED, ExperimentRun.PENDING, ExperimentRun.RUNNING)


FRESH = {"output": "", "reasoning": "", "finish_reason": "", "valid": None, "validation_errors": [], "tool_calls": [],
         "tool_calls_valid": None, "prompt_tokens": None, "completion_tokens": None, "ttft_ms": None,
         "duration_ms": None, "cost": None, "fallback": "", "error_code": "", "error_message": "", "started": None,
         "finished": None, "verdicts": [], "judge_tokens": None, "judge_cost": None}


class NotResumable(Exception):
    """The run set ended on its own (complete, or at its cost cap): there is nothing to resume."""


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


def resume_batch(experiment_id: int, number: int, user) -> ExperimentBatch:
    """The run set made running again with its unfinished runs pending (each is planned again when claimed);
    raises ExperimentBatch.DoesNotExist, store.Busy or NotResumable."""
    found = ExperimentBatch.objects.get(experiment_id=experiment_id, number=number)
    if found.status not in RESUMABLE:
        raise NotResumable()
    unfinished = found.runs.filter(status__in=UNFINISHED)
    quotas.admit(user, unfinished.count() * store.requests_per_run(found.spec))
    with transaction.atomic():
        batch = _claim(found.pk, experiment_id)
        unfinished.update(status=ExperimentRun.PENDING, **FRESH)
    return batch
