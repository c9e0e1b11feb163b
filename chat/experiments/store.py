"""Persistence of experiments, run sets and runs (synchronous ORM; the runner calls it off the event loop).

Writes: a batch is created with all its runs `pending` in one transaction;
each run is written once when it ends; the batch once when it ends.
"""
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from chat.errors import Refused
from chat.frames import Settings
from chat.images import neutral_images
from chat.models import Experiment, ExperimentBatch, ExperimentRun
from chat.requests import Plan, plan
from providers import types


class Busy(Exception):
    """The experiment already has a run set going."""


@dataclass
class RunJob:
    """One request of a batch, planned beforehand."""

    run_id: int
    repeat: int
    plan: Plan

    provider = property(lambda self: self.plan.provider_slug)
    model = property(lambda self: self.plan.model)


@dataclass
class Target:
    """A (provider, model) planned and ready to send to, or the reason it cannot be."""

    provider: str
    model: str
    plan: Plan | None = None
    error: Refused | None = None


def settings_of(spec: dict, provider: str | None = None, model: str | None = None) -> Settings:
    return Settings(provider=provider, model=model, system=spec.get("system") or None,
                    params=spec.get("params") or {}, tools=spec.get("tools") or [],
                    tool_choice=spec.get("tool_choice"), response_format=spec.get("response_format"))


def neutral_messages(spec: dict) -> list[types.Message]:
    out = [types.Message("system", spec["system"])] if spec.get("system") else []
    return out + [types.Message(m["role"], m["content"], images=neutral_images(m.get("images") or []))
                  for m in spec["messages"]]


def prepare_target(spec: dict, provider_slug: str, model_id: str, user=None) -> Target:
    """Plan a target now (a provider may have been disabled since the experiment was saved); with `user`,
    its runs are counted against their quotas."""
    try:
        planned = plan(settings_of(spec, provider_slug, model_id), neutral_messages(spec), user, spec["repeats"])
    except Refused as refused:
        return Target(provider_slug, model_id, error=refused)
    return Target(planned.provider_slug, planned.model, planned)


def _order(spec: dict) -> list[tuple[int, dict]]:
    """(repeat, target) in the order runs start: every model's first repeat, then every second one..."""
    return [(repeat, target) for repeat in range(1, spec["repeats"] + 1) for target in spec["targets"]]


@transaction.atomic
def _create_batch(experiment: Experiment, user, spec: dict, targets: dict) -> tuple[ExperimentBatch, list]:
    running = ExperimentBatch.objects.select_for_update().filter(experiment=experiment, status=ExperimentBatch.RUNNING)
    if running.exists():
        raise Busy()
    number = (experiment.batches.aggregate(n=Max("number"))["n"] or 0) + 1
    batch = ExperimentBatch.objects.create(experiment=experiment, number=number, started_by=user, spec=spec,
                                           total=spec["repeats"] * len(spec["targets"]))
    now = timezone.now()
    runs = []
    for repeat, wanted in _order(spec):
        target = targets[(wanted["provider"], wanted["model"])]
        run = ExperimentRun(batch=batch, provider=target.provider, model=target.model, repeat=repeat)
        if target.error is not None:
            run.status, run.error_code, run.error_message = ExperimentRun.ERROR, target.error.code, target.error.message
            run.started = run.finished = now
        runs.append(run)
    return batch, ExperimentRun.objects.bulk_create(runs)


def start_batch(experiment_id: int, user) -> tuple[ExperimentBatch, list[RunJob], list[dict]]:
    """A new run set stored with its pending runs; returns it, the jobs to run, and the rows that failed at once."""
    experiment = Experiment.objects.get(pk=experiment_id)
    spec = experiment.spec()
    targets = {(t["provider"], t["model"]): prepare_target(spec, t["provider"], t["model"], user) for t in spec["targets"]}
    try:
        batch, runs = _create_batch(experiment, user, spec, targets)
    except IntegrityError:  # another process numbered a batch at the same moment
        raise Busy() from None
    if any(run.pk is None for run in runs):  # backends that do not return ids from bulk_create
        runs = list(batch.runs.order_by("id"))
    Experiment.objects.filter(pk=experiment.pk).update(updated=timezone.now())
    jobs, failed = [], []
    for run in runs:
        if run.status != ExperimentRun.PENDING:
            failed.append(run.as_row())
            continue
        jobs.append(RunJob(run_id=run.pk, repeat=run.repeat, plan=targets[(run.provider, run.model)].plan))
    return batch, jobs, failed


def finish_run(run_id: int, fields: dict) -> None:
    """A run's one write."""
    ExperimentRun.objects.filter(pk=run_id).update(**fields)


def finish_batch(batch_id: int, status: str) -> None:
    """The batch's last write: runs that never started are marked cancelled."""
    now = timezone.now()
    with transaction.atomic():
        ExperimentRun.objects.filter(batch_id=batch_id, status=ExperimentRun.PENDING).update(
            status=ExperimentRun.CANCELLED, error_code="cancelled", error_message="Cancelled before it started.",
            finished=now)
        ExperimentBatch.objects.filter(pk=batch_id).update(status=status, finished=now)


def cancel_requested(batch_id: int) -> bool:
    return ExperimentBatch.objects.filter(pk=batch_id, cancel_requested=True).exists()


def request_cancel(batch_id: int) -> None:
    ExperimentBatch.objects.filter(pk=batch_id, status=ExperimentBatch.RUNNING).update(cancel_requested=True)

