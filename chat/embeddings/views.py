"""The Embeddings page and its JSON endpoints.

POST /api/embeddings runs one model (or two, to compare) on the texts and
keeps the result as the caller's draft; saving gives it a title and a
visibility. Results are read by their owner, and saved team results by the
team; only the owner saves or deletes one.
"""
import asyncio

from channels.db import database_sync_to_async
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chat.embeddings import export, report, runs, sources, store
from chat.errors import ApiError
from chat.json_views import api, json_object, one_of, query, whole_number
from chat.views import provider_choices
from providers.models import ProviderModel


@login_required
def embeddings_page(request, result_id: int | None = None):
    context = {"providers": provider_choices(request.user, ProviderModel.EMBEDDING), "result_id": result_id,
               "min_texts": runs.MIN_TEXTS, "max_texts": runs.MAX_TEXTS, "max_chars": runs.MAX_TEXT_CHARS}
    return render(request, "chat/embeddings.html", context)


def _targets(user, body: dict) -> list[runs.Target]:
    """The model asked for, and the one to compare it with if any: resolved, then admitted by the quotas."""
    named = [(body.get("provider"), body.get("model"))]
    other = body.get("compare")
    if other is not None:
        if not isinstance(other, dict):
            raise ApiError(400, "compare must be an object: {provider, model}.")
        named.append((other.get("provider"), other.get("model")))
    return runs.admitted(user, named)


def _kept(user, texts: list[str], results: list[dict], source: dict | None) -> dict:
    return report.report(store.keep(user, texts, results, source), user)


def _texts(user, body: dict) -> tuple[list[str], dict | None]:
    """The texts typed, or those of a dataset column (`source`), with the record of where they came from."""
    if body.get("source") is None:
        return runs.texts_of(body.get("texts")), None
    texts, source = sources.from_request(user, body["source"])
    if body.get("texts") is not None and body["texts"] != texts:
        raise ApiError(400, "texts differ from the dataset column's: send the texts alone, or the source alone.")
    return runs.texts_of(texts), source


@api
@require_http_methods(["POST"])
async def embed(request):
    """{provider, model, texts | source: {dataset, column, version?}, compare?: {provider, model}}: the result,
    kept as a draft (201)."""
    body = json_object(request)
    user = await request.auser()
    texts, source = await database_sync_to_async(_texts)(user, body)
    targets = await database_sync_to_async(_targets)(user, body)
    outcomes = await asyncio.gather(*(runs.run(target, texts, runs.recorder(user)) for target in targets),
                                    return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return JsonResponse(await database_sync_to_async(_kept)(user, texts, list(outcomes), source), status=201)


@api
@require_http_methods(["GET"])
def dataset_texts(request):
    """?dataset=ID&column=NAME&version=N: the texts a dataset column gives (the first 50 non-empty values), and
    where they came from, for the page to show before running."""
    texts, source = sources.column_texts(request.user, query(request, "dataset", whole_number),
                                         query(request, "column"), query(request, "version", whole_number))
    return JsonResponse({"texts": texts, "source": source})


@api
@require_http_methods(["GET"])
def results(request):
    return JsonResponse({"items": [report.summary(row) for row in store.listed(request.user)]})


@api
@require_http_methods(["GET", "PATCH", "DELETE"])
def result(request, result_id: int):
    """GET one result; PATCH {title?, visibility?} saves it; DELETE removes it (owner only)."""
    if request.method == "GET":
        return JsonResponse(report.report(store.readable(request.user, result_id), request.user))
    row = store.writable(request.user, result_id)
    if request.method == "DELETE":
        row.delete()
        return HttpResponse(status=204)
    return JsonResponse(report.report(store.save(row, json_object(request)), request.user))


def _with_vectors(request) -> bool:
    return query(request, "vectors", one_of("0", "1"), "0") == "1"


@api
@require_http_methods(["GET"])
def export_csv(request, result_id: int):
    row = store.readable(request.user, result_id)
    response = HttpResponse(export.as_csv(row, request.user, _with_vectors(request)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(row, "csv")}"'
    return response


@api
@require_http_methods(["GET"])
def export_json(request, result_id: int):
    row = store.readable(request.user, result_id)
    response = JsonResponse(export.as_json(row, request.user, _with_vectors(request)), json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="{export.filename(row, "json")}"'
    return response
