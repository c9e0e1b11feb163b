"""The team's saved tool sets and response schemas (JSON endpoints).

Anyone signed in reads and uses them; the one who saved an item, or an admin,
changes or deletes it. Everything is checked before it is saved.
"""
from django.db import IntegrityError
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from chat.errors import ApiError
from chat.json_views import api, found, json_body
from chat.models import SavedSchema, ToolSet
from chat.tool_checks import tool_errors, tools_errors
from chat.validation import check_schema


def _toolset(item: ToolSet) -> dict:
    return {"id": item.pk, "name": item.name, "owner": item.owner.get_username(), "tools": item.tools,
            "mocks": item.mocks, "updated": item.updated.isoformat()}


def _schema(item: SavedSchema) -> dict:
    return {"id": item.pk, "name": item.name, "owner": item.owner.get_username(), "schema": item.schema,
            "strict": item.strict, "updated": item.updated.isoformat()}


def _toolset_fields(data: dict) -> tuple[dict, dict]:
    errors = tools_errors(data.get("tools", []))
    mocks = data.get("mocks") or {}
    if not isinstance(mocks, dict) or not all(isinstance(v, str) for v in mocks.values()):
        errors["mocks"] = "Mocks map a tool name to its canned result (text or JSON as text)."
    return {"tools": data.get("tools", []), "mocks": mocks}, errors


def _schema_fields(data: dict) -> tuple[dict, dict]:
    problems = check_schema(data.get("schema"))
    errors = {"schema": "; ".join(problems)} if problems else {}
    return {"schema": data.get("schema"), "strict": bool(data.get("strict", True))}, errors


KINDS = {
    "toolsets": (ToolSet, _toolset, _toolset_fields),
    "schemas": (SavedSchema, _schema, _schema_fields),
}


@api
@require_http_methods(["GET", "POST"])
def collection(request, kind: str):
    model, describe, fields_of = KINDS[kind]
    if request.method == "GET":
        return JsonResponse({"items": [describe(i) for i in model.objects.select_related("owner")]})
    data = json_body(request)
    if data is None:
        return JsonResponse({"errors": {"body": "Send a JSON object."}}, status=400)
    fields, errors = fields_of(data)
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "Give it a name."
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    try:
        item = model.objects.create(name=name[:100], owner=request.user, **fields)
    except IntegrityError:
        return JsonResponse({"errors": {"name": f"{name!r} is taken; pick another name."}}, status=400)
    return JsonResponse(describe(item), status=201)


@api
@require_http_methods(["GET", "PUT", "DELETE"])
def item(request, kind: str, pk: int):
    model, describe, fields_of = KINDS[kind]
    saved = found(model.objects.select_related("owner"), pk=pk)
    if request.method == "GET":
        return JsonResponse(describe(saved))
    if saved.owner_id != request.user.pk and not request.user.is_staff:
        raise ApiError(403, "Only the one who saved it, or an admin, can change it.")
    if request.method == "DELETE":
        saved.delete()
        return JsonResponse({"deleted": pk})
    data = json_body(request)
    if data is None:
        return JsonResponse({"errors": {"body": "Send a JSON object."}}, status=400)
    fields, errors = fields_of(data)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    for name, value in fields.items():
        setattr(saved, name, value)
    saved.save()
    return JsonResponse(describe(saved))


@api
@require_http_methods(["POST"])
def check(request, kind: str):
    """Check a tool or schema as it is typed, before anything is sent or saved."""
    data = json_body(request)
    if data is None:
        return JsonResponse({"valid": False, "errors": {"body": "Not a JSON object."}})
    errors = tool_errors(data.get("tool")) if kind == "tool" else _schema_fields(data)[1]
    return JsonResponse({"valid": not errors, "errors": errors})
