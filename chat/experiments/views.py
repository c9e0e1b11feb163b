"""Experiment pages and JSON endpoints.

Experiments are shared with the team: everyone signed in sees and runs them;
only the owner edits or deletes one. A run set may be cancelled by the
experiment's owner, the person who started it, or an admin. Running and
cancelling are async views: the run set is a task of this process's event loop
and outlives the request.
"""
from functools import wraps

from channels.db import database_sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chat.experiments import export, runner, spec, stats, store
from chat.json_views import api, error, json_body
from chat.models import Experiment, ExperimentBatch
from chat.views import provider_choices

PREVIEW_CHARS = 500


def page(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)
    return wrapped


def _experiments():
    return Experiment.objects.select_related("owner").prefetch_related(
        Prefetch("batches", queryset=ExperimentBatch.objects.order_by("-number"), to_attr="newest_batches"))


def item(experiment: Experiment) -> dict:
    batches = getattr(experiment, "newest_batches", None)
    last = batches[0] if batches else experiment.batches.order_by("-number").first()
    return {"id": experiment.pk, "name": experiment.name, "owner": experiment.owner.get_username(),
            "targets": experiment.targets, "repeats": experiment.repeats, "updated": experiment.updated.isoformat(),
            "last_batch": runner.batch_summary(last) if last else None}


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
        "batches": [runner.batch_summary(b) for b in batches],
        "batch": runner.batch_summary(chosen) if chosen else None,
        "stats": stats.table(rows, chosen.spec if chosen else experiment.spec()),
        "runs": [_preview(r) for r in rows],
        "default_concurrency": runner.default_concurrency(),
    }


# Pages ---------------------------------------------------------------------------------

@page
def experiments_page(request):
    listed = [{**item(e), "updated_at": e.updated} for e in _experiments()]
    context = {"experiments": listed, "providers": provider_choices(),
               "default_concurrency": runner.default_concurrency(), "max_repeats": Experiment.MAX_REPEATS}
    return render(request, "chat/experiments.html", context)


@page
def experiment_page(request, experiment_id: int):
    experiment = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    if experiment is None:
        return render(request, "chat/experiments_missing.html", {"experiment_id": experiment_id}, status=404)
    context = {"experiment": experiment, "can_edit": experiment.can_edit(request.user),
               "providers": provider_choices(), "default_concurrency": runner.default_concurrency(),
               "max_repeats": Experiment.MAX_REPEATS}
    return render(request, "chat/experiments_detail.html", context)


# The list and one experiment -----------------------------------------------------------------

@api
@require_http_methods(["GET", "POST"])
def experiments(request):
    if request.method == "GET":
        return JsonResponse({"items": [item(e) for e in _experiments()]})
    data = json_body(request)
    if data is None:
        return error(400, "Send a JSON object.")
    try:
        fields = spec.clean(data)
    except spec.Invalid as invalid:
        return error(400, str(invalid))
    experiment = Experiment.objects.create(owner=request.user, **fields)
    return JsonResponse(detail(experiment, request.user), status=201)


@api
@require_http_methods(["GET", "PATCH", "DELETE"])
def experiment(request, experiment_id: int):
    found = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    if found is None:
        return error(404, "No such experiment.")
    if request.method == "GET":
        number = request.GET.get("batch", "")
        return JsonResponse(detail(found, request.user, int(number) if number.isdigit() else None))
    if not found.can_edit(request.user):
        return error(403, "Only the owner can change this experiment; run it, or export it and make your own.")
    if request.method == "DELETE":
        if found.batches.filter(status=ExperimentBatch.RUNNING).exists():
            return error(409, "A run set is going; cancel it before deleting the experiment.")
        found.delete()
        return HttpResponse(status=204)
    return _update(request, found)


def _update(request, found: Experiment) -> JsonResponse:
    data = json_body(request)
    if data is None:
        return error(400, "Send a JSON object.")
    try:
        fields = spec.clean(data, current=found)
    except spec.Invalid as invalid:
        return error(400, str(invalid))
    for name, value in fields.items():
        setattr(found, name, value)
    found.save()
    return JsonResponse(detail(found, request.user))


@api
@require_http_methods(["GET"])
def cell_runs(request, experiment_id: int, number: int):
    """Every run of one model in one run set, outputs in full (`?provider=&model=`)."""
    batch = ExperimentBatch.objects.filter(experiment_id=experiment_id, number=number).first()
    if batch is None:
        return error(404, "No such run set.")
    runs = batch.runs.filter(provider=request.GET.get("provider", ""), model=request.GET.get("model", ""))
    return JsonResponse({"batch": runner.batch_summary(batch),
                         "runs": [r.as_row() for r in runs.order_by("repeat", "id")]})


def _batches_for_export(request, experiment: Experiment) -> list[ExperimentBatch] | None:
    batches = experiment.batches.select_related("started_by").order_by("number")
    number = request.GET.get("batch", "")
    if number:
        batches = batches.filter(number=int(number)) if number.isdigit() else batches.none()
        if not batches:
            return None
    return list(batches)


@api
@require_http_methods(["GET"])
def export_csv(request, experiment_id: int):
    found = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    batches = _batches_for_export(request, found) if found else None
    if batches is None:
        return error(404, "No such experiment or run set.")
    response = HttpResponse(export.as_csv(found, batches), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(found, "csv")}"'
    return response


@api
@require_http_methods(["GET"])
def export_json(request, experiment_id: int):
    found = Experiment.objects.select_related("owner").filter(pk=experiment_id).first()
    batches = _batches_for_export(request, found) if found else None
    if batches is None:
        return error(404, "No such experiment or run set.")
    response = JsonResponse(export.as_json(found, batches), json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="{export.filename(found, "json")}"'
    return response


# Running and cancelling (async: the run set is a task of this event loop) --------------------------

@require_http_methods(["POST"])
async def run(request, experiment_id: int):
    """A new run set, started in this process; 202 with the batch at once."""
    user = await request.auser()
    if not user.is_authenticated:
        return error(403, "Sign in first.")
    if not await Experiment.objects.filter(pk=experiment_id).aexists():
        return error(404, "No such experiment.")
    try:
        started = await runner.launch(experiment_id, user)
    except store.Busy:
        return error(409, "This experiment is running already; cancel it or wait for it to finish.")
    return JsonResponse({"batch": runner.batch_summary(started.batch)}, status=202)


def _cancellable(user, experiment_id: int) -> tuple[int, str] | ExperimentBatch:
    batch = ExperimentBatch.objects.select_related("experiment").filter(
        experiment_id=experiment_id, status=ExperimentBatch.RUNNING).first()
    if batch is None:
        return 404, "Nothing of this experiment is running."
    if user.pk not in (batch.experiment.owner_id, batch.started_by_id) and not user.is_staff:
        return 403, "Only the experiment's owner or the person who started this run set can cancel it."
    return batch


@require_http_methods(["POST"])
async def cancel(request, experiment_id: int):
    """Stop the running set: here at once, or (run by another process) within its poll interval."""
    user = await request.auser()
    if not user.is_authenticated:
        return error(403, "Sign in first.")
    found = await database_sync_to_async(_cancellable)(user, experiment_id)
    if isinstance(found, tuple):
        return error(*found)
    local = runner.running(experiment_id)
    if local is not None and local.batch.pk == found.pk:
        local.cancel()
    else:
        await database_sync_to_async(store.request_cancel)(found.pk)
    return JsonResponse({"batch": found.pk, "cancelling": True}, status=202)

