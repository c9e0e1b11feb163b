"""Persistence of experiments, run sets and runs (synchronous ORM; the runner calls it off the event loop).

Writes: a batch is created with all its runs `pending` in one transaction;
each run is written once when it ends; the batch once when it ends.
"""
from dataclasses import dataclass, field, replace

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from chat.errors import Refused
from chat.experiments import workbench
from chat.frames import Settings
from chat.images import neutral_images
from chat.models import Experiment, ExperimentBatch, ExperimentRun
from chat.requests import Plan, plan
from chat.workbench import evaluators
from chat.workbench.models import PromptVersion
from providers import types


class Busy(Exception):
    """The experiment already has a run set going."""


@dataclass
class RunJob:
    """One request of a batch, planned beforehand."""

    run_id: int
    repeat: int
    plan: Plan
    version_id: int | None = None
    row_id: int | None = None
    case: dict = field(default_factory=dict)  # what evaluators read beside the reply: expected, input, tags

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
        planned = plan(settings_of(spec, provider_slug, model_id), neutral_messages(spec), user,
                       spec["repeats"] * requests_per_run(spec))
    except Refused as refused:
        return Target(provider_slug, model_id, error=refused)
    return Target(planned.provider_slug, planned.model, planned)


def requests_per_run(spec: dict) -> int:
    """Requests each run makes: its own and one per LLM judge (all counted against the quotas when it starts)."""
    return 1 + sum(1 for e in spec.get("evaluators") or [] if e["kind"] == "judge")


def _order(spec: dict) -> list[tuple[int, dict]]:
    """(repeat, target) in the order runs start: every model's first repeat, then every second one..."""
    return [(repeat, target) for repeat in range(1, spec["repeats"] + 1) for target in spec["targets"]]


@dataclass
class Cell:
    """One run to store: what it is (model, repeat, version, row), and its plan or the reason it has none."""

    provider: str
    model: str
    repeat: int
    plan: Plan | None = None
    error: Refused | None = None
    version_id: int | None = None
    row_id: int | None = None
    case: dict = field(default_factory=dict)


def _plain_cells(spec: dict, user) -> list[Cell]:
    """A plain experiment: its one prompt to every model, `repeats` times."""
    targets = {(t["provider"], t["model"]): prepare_target(spec, t["provider"], t["model"], user) for t in spec["targets"]}
    return [Cell(target.provider, target.model, repeat, target.plan, target.error)
            for repeat, wanted in _order(spec) for target in [targets[(wanted["provider"], wanted["model"])]]]


def sources(spec: dict) -> list[tuple[int | None, list[dict], Settings]]:
    """(version id, messages with {{variables}}, settings) for each prompt version, or the experiment's own prompt."""
    if not spec.get("prompt_versions"):
        own = [{"role": "system", "content": spec["system"]}] if spec.get("system") else []
        return [(None, own + spec["messages"], settings_of(spec))]
    found = {v.pk: v for v in PromptVersion.objects.filter(pk__in=spec["prompt_versions"])}
    return [(pk, found[pk].messages, workbench.settings_of(found[pk])) for pk in spec["prompt_versions"] if pk in found]


def cell_plan(settings: Settings, target: Target, messages: list[dict], row) -> tuple[Plan | None, Refused | None, dict]:
    values = row.values if row is not None else {}
    try:
        sent = workbench.cell_messages(messages, values)
        planned = plan(replace(settings, provider=target.provider, model=target.model), sent)
    except workbench.Missing as missing:
        return None, Refused("missing_variable", missing.args[0]), {}
    except Refused as refused:
        return None, refused, {}
    case = {"input": workbench.input_text(sent), "expected": row.expected if row is not None else "",
            "tags": row.tags if row is not None else []}
    return planned, None, case


def _workbench_cells(spec: dict, user, rows: list) -> list[Cell]:
    """Prompt versions × models × dataset rows × repeats; every request counted against the user's quotas."""
    cells = []
    per_target = spec["repeats"] * max(1, len(rows)) * requests_per_run(spec)
    for version_id, messages, settings in sources(spec):
        for wanted in spec["targets"]:
            try:
                target = Target(wanted["provider"], wanted["model"])
                checked = plan(replace(settings, provider=target.provider, model=target.model), [], user, per_target)
                target = Target(checked.provider_slug, checked.model)
            except Refused as refused:
                target.error = refused
            for row in rows or [None]:
                planned, error, case = cell_plan(settings, target, messages, row) if not target.error \
                    else (None, target.error, {})
                for repeat in range(1, spec["repeats"] + 1):
                    cells.append(Cell(target.provider, target.model, repeat, planned, error, version_id,
                                      row.pk if row is not None else None, case))
    return sorted(cells, key=lambda c: c.repeat)  # stable: every cell's first repeat before any second one


@transaction.atomic
def _create_batch(experiment: Experiment, user, spec: dict, cells: list[Cell]) -> tuple[ExperimentBatch, list]:
    running = ExperimentBatch.objects.select_for_update().filter(experiment=experiment, status=ExperimentBatch.RUNNING)
    if running.exists():
        raise Busy()
    number = (experiment.batches.aggregate(n=Max("number"))["n"] or 0) + 1
    batch = ExperimentBatch.objects.create(experiment=experiment, number=number, started_by=user, spec=spec,
                                           total=len(cells))
    now = timezone.now()
    runs = []
    for cell in cells:
        run = ExperimentRun(batch=batch, provider=cell.provider, model=cell.model, repeat=cell.repeat,
                            prompt_version_id=cell.version_id, row_id=cell.row_id)
        if cell.error is not None:
            run.status, run.error_code, run.error_message = ExperimentRun.ERROR, cell.error.code, cell.error.message
            run.started = run.finished = now
            if spec.get("evaluators"):
                run.verdicts = evaluators.failed_run(spec["evaluators"], f"No output: {cell.error.message}")
        runs.append(run)
    return batch, ExperimentRun.objects.bulk_create(runs)


def start_batch(experiment_id: int, user) -> tuple[ExperimentBatch, list[RunJob], list[dict]]:
    """A new run set stored with its pending runs; returns it, the jobs to run, and the rows that failed at once."""
    experiment = Experiment.objects.get(pk=experiment_id)
    spec = experiment.spec()
    if spec.get("prompt_versions") or spec.get("dataset") is not None:
        rows = workbench.live_rows(spec.get("dataset"))
        if spec.get("dataset") is not None:  # exactly what it used, for later runs and comparisons
            spec.update(rows=[r.pk for r in rows], dataset_version=workbench.dataset_version(spec["dataset"]))
        cells = _workbench_cells(spec, user, rows)
    else:
        cells = _plain_cells(spec, user)
    try:
        batch, runs = _create_batch(experiment, user, spec, cells)
    except IntegrityError:  # another process numbered a batch at the same moment
        raise Busy() from None
    if any(run.pk is None for run in runs):  # backends that do not return ids from bulk_create
        runs = list(batch.runs.order_by("id"))
    Experiment.objects.filter(pk=experiment.pk).update(updated=timezone.now())
    jobs, failed = [], []
    for run, cell in zip(runs, cells):
        if run.status != ExperimentRun.PENDING:
            failed.append(run.as_row())
            continue
        jobs.append(RunJob(run_id=run.pk, repeat=run.repeat, plan=cell.plan, version_id=cell.version_id,
                           row_id=cell.row_id, case=cell.case))
    return batch, jobs, failed


def finish_run(run_id: int, fields: dict) -> None:
    """A run's one write."""
    ExperimentRun.objects.filter(pk=run_id).update(**fields)


def finish_batch(batch_id: int, status: str, reason: str = "") -> None:
    """The batch's last write: runs that never started are marked cancelled (with the batch's reason)."""
    now = timezone.now()
    with transaction.atomic():
        ExperimentRun.objects.filter(batch_id=batch_id, status=ExperimentRun.PENDING).update(
            status=ExperimentRun.CANCELLED, error_code="cancelled",
            error_message=reason or "Cancelled before it started.", finished=now)
        ExperimentBatch.objects.filter(pk=batch_id).update(status=status, finished=now, reason=reason)


def cancel_requested(batch_id: int) -> bool:
    return ExperimentBatch.objects.filter(pk=batch_id, cancel_requested=True).exists()


def request_cancel(batch_id: int) -> None:
    ExperimentBatch.objects.filter(pk=batch_id, status=ExperimentBatch.RUNNING).update(cancel_requested=True)


def batch_summary(batch: ExperimentBatch) -> dict:
    started_by = batch.started_by.get_username() if batch.started_by_id and batch.started_by else None
    return {"id": batch.pk, "number": batch.number, "status": batch.status, "total": batch.total,
            "started_by": started_by, "created": batch.created.isoformat() if batch.created else None,
            "finished": batch.finished.isoformat() if batch.finished else None, "reason": batch.reason}
