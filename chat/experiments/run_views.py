"""The workbench side of the experiment pages: what the form offers (prompt versions, datasets, evaluator
kinds), the labels a results page needs (versions, dataset rows), and comparing two run sets."""
from django.db.models import Q
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from chat.errors import ApiError
from chat.experiments import compare as comparing
from chat.experiments import export, resume, runner, store
from chat.json_views import afound, api, found, query, whole_number
from chat.models import Experiment, ExperimentBatch
from chat.workbench.evaluators import EVALUATORS
from chat.workbench.models import Dataset, DatasetRow, Prompt, PromptVersion


def _readable(model, user):
    return model.objects.filter(Q(owner=user) | Q(visibility=model.TEAM))


def form_choices(user) -> dict:
    """Prompt versions and datasets the user may read, and the evaluator kinds with an example config each."""
    prompts = _readable(Prompt, user).prefetch_related("versions")
    return {
        "versions": [{"id": v.pk, "label": f"{p.name} v{v.number}", "note": v.note}
                     for p in prompts for v in p.versions.all()],
        "datasets": [{"id": d.pk, "label": f"{d.name} (version {d.version})"} for d in _readable(Dataset, user)],
        "evaluator_kinds": [{"kind": k.kind, "label": k.label, "example": k.example} for k in EVALUATORS],
    }


def labels(spec: dict) -> dict:
    """{versions: {id: "Prompt vN"}, rows: {id: {values, expected, tags}}} for the run set's spec."""
    versions = PromptVersion.objects.select_related("prompt").filter(pk__in=spec.get("prompt_versions") or [])
    rows = DatasetRow.objects.filter(pk__in=spec.get("rows") or [])
    return {"versions": {v.pk: f"{v.prompt.name} v{v.number}" for v in versions},
            "rows": {r.pk: {"values": r.values, "expected": r.expected, "tags": r.tags} for r in rows}}


def _batch(experiment: Experiment, number: int | None, what: str) -> ExperimentBatch:
    if number is None:
        raise ApiError(400, f"Say which run set to compare ({what}=number).")
    return found(experiment.batches, f"No run set {number} in this experiment.", number=number)


@api
@require_http_methods(["GET"])
def compare(request, experiment_id: int):
    """`?a=&b=`: run set b against run set a."""
    experiment = found(Experiment.objects, "No such experiment.", pk=experiment_id)
    before = _batch(experiment, query(request, "a", whole_number), "a")
    after = _batch(experiment, query(request, "b", whole_number), "b")
    result = comparing.compare(export.ordered_rows(before), export.ordered_rows(after))
    rows = labels({"rows": [c["row"] for c in result["regressed"] + result["improved"] if isinstance(c["row"], int)]})
    return JsonResponse({"a": before.number, "b": after.number, **result, "row_labels": rows["rows"]})


@api
@require_http_methods(["POST"])
async def resume_batch(request, experiment_id: int, number: int):
    """Run the unfinished runs of an interrupted or cancelled run set again (here, or in the workers); 202."""
    await afound(Experiment.objects, "No such experiment.", pk=experiment_id)
    try:
        started = await runner.resume(experiment_id, number, await request.auser())
    except ExperimentBatch.DoesNotExist:
        raise ApiError(404, f"No run set {number} in this experiment.") from None
    except store.Busy:
        raise ApiError(409, "This experiment is running already; cancel it or wait for it to finish.") from None
    except resume.NotResumable:
        raise ApiError(409, "Only an interrupted or cancelled run set can be resumed; run the experiment again.") from None
    return JsonResponse({"batch": store.batch_summary(started.batch)}, status=202)
