"""Experiment pages and JSON endpoints.

Experiments are shared with the team: everyone signed in sees and runs them;
only the owner edits or deletes one. A run set may be cancelled by the
experiment's owner, the person who started it, or an admin. Running and
cancelling are async views: the run set's cells are claimed by a task of this
process's event loop (or, with PLAYGROUND_EXPERIMENT_WORKERS, by the workers)
and outlive the request.
"""
from channels.db import database_sync_to_async
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chat import pages
from chat.experiments import export, run_views, runner, spec, stats, store
from chat.errors import ApiError
from chat.json_views import afound, api, found, json_object, query, whole_number
from chat.models import Experiment, ExperimentBatch
from chat.views import provider_choices

PREVIEW_CHARS = 500
NO_EXPERIMENT = "No such experiment."


def _experiments():
    return Experiment.objects.select_related("owner").prefetch_related(
        Prefetch("batches", queryset=ExperimentBatch.objects.order_by("-number"), to_attr="newest_batches"))


def item(experiment: Experiment) -> dict:
    batches = getattr(experiment, "newest_batches", None)
    last = batches[0] if batches else experiment.batches.order_by("-number").first()
    return {"id": experiment.pk, "name": experiment.name, "owner": experiment.owner.get_username(),
            "targets": experiment.targets, "repeats": experiment.repeats, "updated": experiment.updated.isoformat(),
            "last_batch": store.batch_summary(last) if last else None}


def _preview(row: dict) -> dict:
    output = row["output"]
    return {**row, "output": output[:PREVIEW_CHARS], "output_truncated": len(output) > PREVIEW_CHARS}


def detail(experiment: Experiment, user, number: int | None = None) -> dict:
    """The experiment, its run sets, and one run set (the newest, or `number`) with its table and runs."""
    batches = list(experiment.batches.select_related("started_by").order_by("number"))
    chosen = next((b for b in batches if b.number == number), None) if number else (batches[-1] if batches else None)
    rows = export.ordered_rows(chosen) if chosen else []
    return {
        "experiment": {**export.definition(experiment), "can_edit": experiment.can_edit(user)},
        "batches": [store.batch_summary(b) for b in batches],
        "batch": store.batch_summary(chosen) if chosen else None,
        "stats": stats.table(rows, chosen.spec if chosen else experiment.spec()),
        "matrix": stats.matrix(rows, chosen.spec if chosen else experiment.spec()),
        "labels": run_views.labels(chosen.spec if chosen else experiment.spec()),
        "runs": [_preview(r) for r in rows],
        "default_concurrency": runner.default_concurrency(),
    }


# Pages ---------------------------------------------------------------------------------

@login_required
def experiments_page(request):
    listed = [{**item(e), "updated_at": e.updated} for e in _experiments()]
    context = {"experiments": listed, "providers": provider_choices(request.user),
               "default_concurrency": runner.default_concurrency(), "max_repeats": Experiment.MAX_REPEATS,
               "workbench": run_views.form_choices(request.user)}
    return render(request, "chat/experiments.html", context)


@login_required
def experiment_page(request, experiment_id: int):
    experiment = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    if experiment is None:
        return pages.missing(request, "experiment", "experiments", "Experiments",
                             f"Experiment {experiment_id} does not exist (it may have been deleted).")
    context = {"experiment": experiment, "can_edit": experiment.can_edit(request.user),
               "providers": provider_choices(request.user), "default_concurrency": runner.default_concurrency(),
               "max_repeats": Experiment.MAX_REPEATS, "workbench": run_views.form_choices(request.user)}
    return render(request, "chat/experiments_detail.html", context)


# The list and one experiment -----------------------------------------------------------------

@api
@require_http_methods(["GET", "POST"])
def experiments(request):
    if request.method == "GET":
        return JsonResponse({"items": [item(e) for e in _experiments()]})
    fields = _clean(json_object(request), user=request.user)
    experiment = Experiment.objects.create(owner=request.user, **fields)
    return JsonResponse(detail(experiment, request.user), status=201)


@api
@require_http_methods(["GET", "PATCH", "DELETE"])
def experiment(request, experiment_id: int):
    experiment = found(Experiment.objects.select_related("owner"), NO_EXPERIMENT, pk=experiment_id)
    if request.method == "GET":
        return JsonResponse(detail(experiment, request.user, query(request, "batch", whole_number)))
    if not experiment.can_edit(request.user):
        raise ApiError(403, "Only the owner can change this experiment; run it, or export it and make your own.")
    if request.method == "DELETE":
        if experiment.batches.filter(status=ExperimentBatch.RUNNING).exists():
            raise ApiError(409, "A run set is going; cancel it before deleting the experiment.")
        experiment.delete()
        return HttpResponse(status=204)
    for name, value in _clean(json_object(request), current=experiment, user=request.user).items():
        setattr(experiment, name, value)
    experiment.save()
    return JsonResponse(detail(experiment, request.user))


def _clean(data: dict, current: Experiment | None = None, user=None) -> dict:
    try:
        return spec.clean(data, current=current, user=user)
    except spec.Invalid as invalid:
        raise ApiError(400, str(invalid)) from None


@api
@require_http_methods(["GET"])
def cell_runs(request, experiment_id: int, number: int):
    """Every run of one model (of one prompt version) in one run set, outputs in full (`?provider=&model=&version=`)."""
    batch = found(ExperimentBatch.objects, "No such run set.", experiment_id=experiment_id, number=number)
    runs = batch.runs.filter(provider=query(request, "provider", default=""), model=query(request, "model", default=""))
    version = query(request, "version", whole_number)
    if version is not None:
        runs = runs.filter(prompt_version_id=version)
    return JsonResponse({"batch": store.batch_summary(batch),
                         "runs": [r.as_row() for r in runs.order_by("repeat", "id")]})


def _exported(request, experiment_id: int) -> tuple[Experiment, list[ExperimentBatch]]:
    """The experiment and its run sets to export: all, or the one `?batch=` names; a 404 when missing."""
    missing = "No such experiment or run set."
    experiment = found(Experiment.objects.select_related("owner"), missing, pk=experiment_id)
    batches = experiment.batches.select_related("started_by").order_by("number")
    number = query(request, "batch", whole_number)
    if number is not None:
        batches = batches.filter(number=number)
        if not batches:
            raise ApiError(404, missing)
    return experiment, list(batches)


@api
@require_http_methods(["GET"])
def export_csv(request, experiment_id: int):
    experiment, batches = _exported(request, experiment_id)
    response = HttpResponse(export.as_csv(experiment, batches), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(experiment, "csv")}"'
    return response


@api
@require_http_methods(["GET"])
def export_json(request, experiment_id: int):
    experiment, batches = _exported(request, experiment_id)
    response = JsonResponse(export.as_json(experiment, batches), json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="{export.filename(experiment, "json")}"'
    return response


# Running and cancelling (async: the run set is a task of this event loop) --------------------------

@api
@require_http_methods(["POST"])
async def run(request, experiment_id: int):
    """A new run set, started in this process (or left to the workers); 202 with the batch at once."""
    await afound(Experiment.objects, NO_EXPERIMENT, pk=experiment_id)
    try:
        started = await runner.launch(experiment_id, await request.auser())
    except store.Busy:
        raise ApiError(409, "This experiment is running already; cancel it or wait for it to finish.") from None
    return JsonResponse({"batch": store.batch_summary(started.batch)}, status=202)


def _cancellable(user, experiment_id: int) -> ExperimentBatch:
    batch = found(ExperimentBatch.objects.select_related("experiment"), "Nothing of this experiment is running.",
                  experiment_id=experiment_id, status=ExperimentBatch.RUNNING)
    if user.pk not in (batch.experiment.owner_id, batch.started_by_id) and not user.is_staff:
        raise ApiError(403, "Only the experiment's owner or the person who started this run set can cancel it.")
    return batch


@api
@require_http_methods(["POST"])
async def cancel(request, experiment_id: int):
    """Stop the running set: here at once, or (run by another process) within its poll interval."""
    batch = await database_sync_to_async(_cancellable)(await request.auser(), experiment_id)
    local = runner.running(experiment_id)
    if local is not None and local.batch.pk == batch.pk:
        local.cancel()
    else:
        await database_sync_to_async(store.request_cancel)(batch.pk)
    return JsonResponse({"batch": batch.pk, "cancelling": True}, status=202)

