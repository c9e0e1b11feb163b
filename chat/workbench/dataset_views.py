"""Dataset pages and JSON endpoints: list, create, rows (add, edit, remove), import, export.

Reading a dataset needs `can_read`, changing it `can_write` (chat/workbench/models.Shared). Rows are
never edited in place (chat/workbench/datasets.py): each change is a new dataset version.
"""
from channels.db import database_sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from chat import pages
from chat.errors import ApiError
from chat.views import provider_choices
from chat.json_views import api, json_object, query, whole_number
from chat.workbench import dataset_io, datasets, generate
from chat.workbench.dataset_io import NAME
from chat.workbench.models import Dataset

MAX_ADD = 1000


# Pages ----------------------------------------------------------------------------------------

@login_required
def datasets_page(request):
    return render(request, "workbench/datasets.html", {"datasets": _listed(request.user)})


@login_required
def dataset_page(request, dataset_id: int):
    dataset = Dataset.objects.select_related("owner").filter(pk=dataset_id).first()
    if dataset is None or not dataset.can_read(request.user):
        return pages.missing(request, "dataset", "datasets", "Datasets",
                             f"Dataset {dataset_id} does not exist, or it is private to someone else.")
    return render(request, "workbench/datasets_detail.html",
                  {"dataset": dataset, "can_write": dataset.can_write(request.user),
                   "max_rows": dataset_io.max_rows(), "max_bytes": dataset_io.max_bytes(),
                   "providers": provider_choices(request.user)})


# The list and one dataset ---------------------------------------------------------------------

def _listed(user) -> list[dict]:
    live = Count("rows", filter=Q(rows__removed__isnull=True))
    return [datasets.summary(d, user, d.live) for d in datasets.visible(user).annotate(live=live)]


def clean_fields(data: dict, partial: bool = False) -> dict:
    """name, description, visibility and (when creating) columns of a dataset; a 400 naming what is wrong."""
    fields = {}
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
            raise ApiError(400, "name must be text of 1 to 200 characters.")
        fields["name"] = name.strip()
    if "description" in data:
        if not isinstance(data["description"], str):
            raise ApiError(400, "description must be text.")
        fields["description"] = data["description"]
    if "visibility" in data:
        if data["visibility"] not in (Dataset.PRIVATE, Dataset.TEAM):
            raise ApiError(400, "visibility must be private or team.")
        fields["visibility"] = data["visibility"]
    if "columns" in data and not partial:
        columns = data["columns"]
        if not isinstance(columns, list) or not all(isinstance(c, str) and NAME.match(c) for c in columns):
            raise ApiError(400, "columns must list variable names (letters, digits and _).")
        fields["columns"] = list(dict.fromkeys(columns))
    return fields


@api
@require_http_methods(["GET", "POST"])
def dataset_list(request):
    if request.method == "GET":
        return JsonResponse({"items": _listed(request.user)})
    dataset = Dataset.objects.create(owner=request.user, **clean_fields(json_object(request)))
    return JsonResponse(datasets.summary(dataset, request.user, 0), status=201)


@api
@require_http_methods(["GET", "PATCH", "DELETE"])
def dataset_detail(request, dataset_id: int):
    """GET: the dataset and its rows live at `?version=` (the current one by default), `?tag=` filtering them."""
    if request.method == "GET":
        dataset = datasets.readable(request.user, dataset_id)
        version = query(request, "version", whole_number)
        if version is not None and not 1 <= version <= dataset.version:
            raise ApiError(400, f"version must be 1 to {dataset.version}.")
        rows = list(datasets.rows_at(dataset, version))
        tag = query(request, "tag", default="")
        shown = [r for r in rows if tag in r.tags] if tag else rows
        return JsonResponse({"dataset": datasets.summary(dataset, request.user, len(rows)),
                             "version": version or dataset.version, "tags": sorted({t for r in rows for t in r.tags}),
                             "rows": [datasets.row_dict(r) for r in shown]})
    dataset = datasets.writable(request.user, dataset_id)
    if request.method == "DELETE":
        if dataset.owner_id != request.user.pk:
            raise ApiError(403, "Only the owner deletes a dataset.")
        dataset.delete()
        return HttpResponse(status=204)
    for name, value in clean_fields(json_object(request), partial=True).items():
        setattr(dataset, name, value)
    dataset.save()
    return JsonResponse(datasets.summary(dataset, request.user))


# Rows -------------------------------------------------------------------------------------------

@api
@require_http_methods(["POST"])
def rows(request, dataset_id: int):
    """POST {rows: [{values, expected, tags}]} (or one row): added in one new version."""
    dataset = datasets.writable(request.user, dataset_id)
    data = json_object(request)
    raw = data["rows"] if "rows" in data else [data]
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ADD:
        raise ApiError(400, f"rows must list 1 to {MAX_ADD} rows.")
    cleaned = [datasets.clean_row(r) for r in raw]
    for row in cleaned:
        if any(not NAME.match(name) for name in row["values"]) or not any(v not in ("", None) for v in row["values"].values()):
            raise ApiError(400, "Each row needs a value for at least one variable (names: letters, digits and _).")
    added = datasets.add_rows(dataset, cleaned)
    return JsonResponse({"version": dataset.version, "rows": [datasets.row_dict(r) for r in added]}, status=201)


@api
@require_http_methods(["PATCH", "DELETE"])
def row(request, dataset_id: int, row_id: int):
    """PATCH: a new row replacing this one (its id changes); DELETE: the row leaves the dataset's next version."""
    dataset = datasets.writable(request.user, dataset_id)
    if request.method == "DELETE":
        datasets.remove_row(dataset, row_id)
        return JsonResponse({"version": dataset.version, "removed": row_id})
    data = json_object(request)
    cleaned = datasets.clean_row(data)
    changes = {name: cleaned[name] for name in ("values", "expected", "tags") if name in data}
    if "values" in changes and not any(v not in ("", None) for v in changes["values"].values()):
        raise ApiError(400, "A row needs a value for at least one variable.")
    new = datasets.edit_row(dataset, row_id, changes)
    return JsonResponse({"version": dataset.version, "replaced": row_id, "row": datasets.row_dict(new)})


# Import and export ------------------------------------------------------------------------------

@api
@require_http_methods(["POST"])
def import_file(request, dataset_id: int):
    """POST {name, text}: a preview (columns, first rows, count, a suggested mapping); with `mapping` too:
    every row stored in one version, or a 400 listing each bad row by line number and nothing stored."""
    dataset = datasets.writable(request.user, dataset_id)
    try:
        data = json_object(request)
    except RequestDataTooBig:
        raise ApiError(400, f"The file is over {dataset_io.max_bytes():,} bytes.") from None
    name, text = data.get("name") or "", data.get("text")
    if not isinstance(name, str) or not isinstance(text, str):
        raise ApiError(400, "Send {name, text}: the file's name and its text.")
    try:
        parsed = dataset_io.parse(name, text)
        if "mapping" not in data:
            return JsonResponse(parsed.preview())
        imported = dataset_io.rows(parsed, data["mapping"])
    except dataset_io.BadFile as bad:
        return JsonResponse({"error": bad.message, "problems": bad.problems}, status=400)
    datasets.add_rows(dataset, imported)
    return JsonResponse({"version": dataset.version, "imported": len(imported)}, status=201)


@api
@require_http_methods(["GET"])
def export(request, dataset_id: int, extension: str):
    """The live rows (or those of `?version=`) as CSV or JSONL."""
    dataset = datasets.readable(request.user, dataset_id)
    version = query(request, "version", whole_number)
    live = datasets.rows_at(dataset, version)
    if extension == "csv":
        body, kind = dataset_io.as_csv(dataset.columns, live), "text/csv; charset=utf-8"
    else:
        body, kind = dataset_io.as_jsonl(dataset.columns, live), "application/jsonl; charset=utf-8"
    response = HttpResponse(body, content_type=kind)
    stem = slugify(dataset.name)[:60] or "dataset"
    response["Content-Disposition"] = f'attachment; filename="dataset-{stem}-v{version or dataset.version}.{extension}"'
    return response


# Generating test cases (shown for review; the ones kept are POSTed to rows) ------------------------

@api
@require_http_methods(["POST"])
async def generate_rows(request, dataset_id: int):
    """POST {provider, model, variables | prompt_version, description, count}: {model, rows} not yet stored."""
    user = await request.auser()
    data = json_object(request)
    await database_sync_to_async(datasets.writable)(user, dataset_id)
    prompt = ""
    if data.get("prompt_version") is not None:
        names, prompt = await database_sync_to_async(generate.prompt_variables)(user, data["prompt_version"])
        data = {**data, "variables": data.get("variables") or names}
    variables, description, count = generate.clean_request(data)
    provider = data.get("provider")
    if not isinstance(provider, str) or not provider or not isinstance(data.get("model") or "", str):
        raise ApiError(400, "Pick a provider and a model to write the cases.")
    return JsonResponse(await generate.cases(user, provider, data.get("model"), variables, description, count, prompt))
