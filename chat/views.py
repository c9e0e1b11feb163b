"""Pages and JSON endpoints of the playground.

Reading a conversation needs `can_read` (a private one of someone else is a
404, like a missing id); changing it needs `can_write` (403 otherwise).
"""
from datetime import datetime

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chat import code_samples, export, search
from chat.json_views import api, error, json_body
from chat.history import branch
from chat.models import Conversation, Message
from providers.models import Provider

PAGE_SIZE = 50


def playground(request, conversation_id=None):
    """The playground for a signed-in user; the sign-in page for anyone else."""
    if not request.user.is_authenticated:
        return LoginView.as_view()(request)
    context = {"providers": provider_choices(), "initial_conversation": conversation_id,
               "me": {"id": request.user.pk, "username": request.user.get_username()},
               "max_frame_bytes": settings.PLAYGROUND_MAX_FRAME_BYTES}
    return render(request, "chat/playground.html", context)


def provider_choices() -> list[dict]:
    """Enabled providers and their enabled models, as the pickers show them: never a key or its hint."""
    choices = []
    for provider in Provider.objects.filter(enabled=True).prefetch_related("provider_models"):
        models = [_model_choice(m) for m in provider.provider_models.all() if m.enabled]
        choices.append({"slug": provider.slug, "name": provider.name, "models": models,
                        "default_model": provider.default_model or (models[0]["id"] if models else "")})
    return choices


def _model_choice(model) -> dict:
    price = None
    if model.input_price_per_mtok is not None and model.output_price_per_mtok is not None:
        price = {"input": float(model.input_price_per_mtok), "output": float(model.output_price_per_mtok)}
    caps = model.capabilities()
    return {"id": model.model_id, "name": model.display_name or model.model_id, "price": price,
            "capabilities": {"tools": caps.tools, "json_schema": caps.json_schema}, "context_window": model.context_window}


# Helpers ------------------------------------------------------------------------

def _readable(request, conversation_id: int) -> Conversation | None:
    conversation = Conversation.objects.select_related("owner").filter(pk=conversation_id).first()
    if conversation is None or not conversation.can_read(request.user):
        return None
    return conversation


def conversation_item(conversation: Conversation) -> dict:
    return {
        "id": conversation.pk, "title": conversation.title, "owner": conversation.owner.get_username(),
        "visibility": conversation.visibility, "model": (conversation.settings or {}).get("model"),
        "provider": (conversation.settings or {}).get("provider"), "updated": conversation.updated.isoformat(),
        "forked_from_id": conversation.forked_from_id,
    }


# The list ------------------------------------------------------------------------

def _cursor(conversation: Conversation) -> str:
    return f"{conversation.updated.isoformat()}|{conversation.pk}"


def _before(queryset, cursor: str):
    try:
        stamp, pk = cursor.rsplit("|", 1)
        updated, pk = datetime.fromisoformat(stamp), int(pk)
    except ValueError:
        return None
    return queryset.filter(Q(updated__lt=updated) | Q(updated=updated, id__lt=pk))


@api
@require_http_methods(["GET"])
def conversations(request):
    """GET ?scope=mine|team&q=&before=: newest first, 50 a page, keyset on (updated, id)."""
    scope = request.GET.get("scope", "mine")
    if scope == "team":
        queryset = Conversation.objects.filter(visibility=Conversation.TEAM).exclude(owner=request.user)
    elif scope == "mine":
        queryset = Conversation.objects.filter(owner=request.user)
    else:
        return error(400, "scope must be mine or team.")
    query = request.GET.get("q", "").strip()
    if query:
        matching = search.matching(query)
        found = Q(title__icontains=query)
        queryset = queryset.filter(found | matching if matching is not None else found)
    if request.GET.get("before"):
        queryset = _before(queryset, request.GET["before"])
        if queryset is None:
            return error(400, "before is not a cursor this endpoint gave.")
    page = list(queryset.select_related("owner").order_by("-updated", "-id")[:PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return JsonResponse({"items": [conversation_item(c) for c in page],
                         "next": _cursor(page[-1]) if more else None})


# One conversation ------------------------------------------------------------------

@api
@require_http_methods(["GET", "PATCH", "DELETE"])
def conversation(request, conversation_id: int):
    found = _readable(request, conversation_id)
    if found is None:
        return error(404, "No such conversation.")
    if request.method == "GET":
        return JsonResponse(conversation_detail(found, request.user))
    if not found.can_write(request.user):
        return error(403, "Only the owner can change this conversation.")
    if request.method == "DELETE":
        found.delete()
        return HttpResponse(status=204)
    return _update(found, (json_body(request) or {}), request.user)


def conversation_detail(conversation: Conversation, user) -> dict:
    messages = Message.summaries(conversation.messages.order_by("id"))
    return {"conversation": {**conversation_item(conversation), "settings": conversation.settings or {},
                             "created": conversation.created.isoformat()},
            "messages": messages, "current_leaf_id": messages[-1]["id"] if messages else None,
            "can_write": conversation.can_write(user)}


def _update(conversation: Conversation, data: dict, user) -> JsonResponse:
    fields = []
    if "title" in data:
        if not isinstance(data["title"], str) or len(data["title"].strip()) > 200:
            return error(400, "title must be text of at most 200 characters.")
        conversation.title = data["title"].strip()
        fields.append("title")
    if "visibility" in data:
        if data["visibility"] not in (Conversation.PRIVATE, Conversation.TEAM):
            return error(400, "visibility must be private or team.")
        conversation.visibility = data["visibility"]
        fields.append("visibility")
    if fields:
        conversation.save(update_fields=[*fields, "updated"])
    return JsonResponse(conversation_detail(conversation, user))


@api
@require_http_methods(["POST"])
def fork(request, conversation_id: int):
    """Copy the branch up to `message_id` (or the current leaf) into a new conversation of the caller."""
    original = _readable(request, conversation_id)
    if original is None:
        return error(404, "No such conversation.")
    leaf_id = (json_body(request) or {}).get("message_id") or original.latest_message_id()
    if not isinstance(leaf_id, int) or (leaf_id and not original.messages.filter(pk=leaf_id).exists()):
        return error(400, "message_id must be a message of this conversation.")
    copy = fork_conversation(original, leaf_id, request.user)
    return JsonResponse(conversation_detail(copy, request.user), status=201)


@transaction.atomic
def fork_conversation(original: Conversation, leaf_id: int | None, user) -> Conversation:
    title = f"{original.title or 'Conversation'} (fork)"[:200]
    copy = Conversation.objects.create(owner=user, title=title, visibility=original.visibility,
                                       settings=original.settings or {}, forked_from=original)
    path = [m.pk for m in branch(original.pk, leaf_id)]
    rows = Message.objects.in_bulk(path)  # whole rows: branch() may load only some fields
    parent = None
    for pk in path:
        parent = _copy_message(rows[pk], copy, parent)
    return copy


def _copy_message(message: Message, conversation: Conversation, parent: Message | None) -> Message:
    message.pk = None
    message.id = None
    message.conversation = conversation
    message.parent = parent
    if message.status == Message.STREAMING:
        message.status = Message.INTERRUPTED  # the copy never receives the rest
    message.save()
    return message


# Export and code ---------------------------------------------------------------------

@api
@require_http_methods(["GET"])
def export_json(request, conversation_id: int):
    found = _readable(request, conversation_id)
    if found is None:
        return error(404, "No such conversation.")
    response = JsonResponse(export.as_json(found), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{export.filename(found, "json")}"'
    return response


@api
@require_http_methods(["GET"])
def export_markdown(request, conversation_id: int):
    found = _readable(request, conversation_id)
    if found is None:
        return error(404, "No such conversation.")
    response = HttpResponse(export.as_markdown(found), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(found, "md")}"'
    return response


@api
@require_http_methods(["GET"])
def code(request, conversation_id: int):
    """The request behind an assistant message (?message_id=) or the next one of the current branch."""
    found = _readable(request, conversation_id)
    if found is None:
        return error(404, "No such conversation.")
    message_id = request.GET.get("message_id")
    try:
        sample = code_samples.for_conversation(found, int(message_id) if message_id else None,
                                               request.GET.get("content", ""))
    except code_samples.NoSample as problem:
        return error(400, str(problem))
    return JsonResponse(sample)
