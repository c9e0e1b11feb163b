"""Pages and JSON endpoints of the playground.

Reading a conversation needs `can_read` (a private one of someone else is a
404, like a missing id); changing it needs `can_write` (403 otherwise). The
JSON endpoints raise their errors; `chat.json_views.api` answers them.
"""
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from chat import code_samples, export, frames, generation, images, search
from chat.errors import ApiError
from chat.json_views import api, found, json_body, json_object, one_of, query, whole_number
from chat.history import branch
from chat.models import Conversation, Message, Pin
from chat.models.preferences import default_visibility
from providers.models import Provider, ProviderModel

PAGE_SIZE = 50
NO_CONVERSATION = "No such conversation."


def playground(request, conversation_id=None):
    """The playground for a signed-in user; the sign-in page for anyone else."""
    if not request.user.is_authenticated:
        return LoginView.as_view()(request)
    context = {"providers": provider_choices(request.user), "initial_conversation": conversation_id,
               "me": {"id": request.user.pk, "username": request.user.get_username()},
               "max_frame_bytes": settings.PLAYGROUND_MAX_FRAME_BYTES}
    return render(request, "chat/playground.html", context)


def provider_choices(user=None, purpose: str = ProviderModel.CHAT) -> list[dict]:
    """Enabled providers and their enabled models of `purpose`, as the pickers show them: never a key or its hint.

    A provider with no chat model to pick says why; for an admin, with the page where it is fixed. For
    embeddings, only the providers that have an embedding model are listed.
    """
    choices = []
    for provider in Provider.objects.filter(enabled=True).prefetch_related("provider_models"):
        models = [_model_choice(provider, m) for m in provider.provider_models.all() if m.enabled and m.purpose == purpose]
        if purpose != ProviderModel.CHAT:
            if models:
                choices.append({"slug": provider.slug, "name": provider.name, "models": models,
                                "default_model": models[0]["id"]})
            continue
        choice = {"slug": provider.slug, "name": provider.name, "models": models,
                  "default_model": provider.default_model or (models[0]["id"] if models else "")}
        if not choice["default_model"]:
            choice["empty_reason"] = (f"{provider.name} has no models listed yet: an admin fetches them with "
                                      "“Fetch models” on the provider's page.")
            if user is not None and user.is_staff:
                choice["admin_url"] = reverse("admin:providers_provider_change", args=[provider.pk])
        choices.append(choice)
    return choices


@api
@require_http_methods(["GET"])
def providers(request):
    """The provider choices now (the page asks again when it regains focus: a provider added meanwhile shows);
    `?purpose=embedding` for the embedding models."""
    purpose = query(request, "purpose", one_of(ProviderModel.CHAT, ProviderModel.EMBEDDING), ProviderModel.CHAT)
    return JsonResponse({"providers": provider_choices(request.user, purpose)})


def _model_choice(provider: Provider, model) -> dict:
    price = None
    if model.input_price_per_mtok is not None and model.output_price_per_mtok is not None:
        price = {"input": float(model.input_price_per_mtok), "output": float(model.output_price_per_mtok)}
    caps = model.capabilities()
    controls = list(provider.adapter(model).reasoning_controls()) if caps.reasoning else []
    return {"id": model.model_id, "name": model.display_name or model.model_id, "price": price,
            "capabilities": {"tools": caps.tools, "json_schema": caps.json_schema, "reasoning": caps.reasoning,
                             "reasoning_controls": controls, "vision": caps.vision, "completions": caps.completions,
                             "image_generation": caps.image_generation},
            "context_window": model.context_window,
            "image_price": float(model.price_per_image) if model.price_per_image is not None else None}


# Helpers ------------------------------------------------------------------------

def readable(request, conversation_id: int) -> Conversation:
    """The conversation if the user may read it; a 404 otherwise (a private one of someone else too)."""
    conversation = found(Conversation.objects.select_related("owner"), NO_CONVERSATION, pk=conversation_id)
    if not conversation.can_read(request.user):
        raise ApiError(404, NO_CONVERSATION)
    return conversation


def conversation_item(conversation: Conversation, answered_by: str | None = None) -> dict:
    """A conversation as the sidebar lists it; `model` is the one that answered last (else the one asked)."""
    return {
        "id": conversation.pk, "title": conversation.title, "owner": conversation.owner.get_username(),
        "visibility": conversation.visibility,
        "model": answered_by or getattr(conversation, "answered_by", None) or (conversation.settings or {}).get("model"),
        "provider": (conversation.settings or {}).get("provider"), "updated": conversation.updated.isoformat(),
        "forked_from_id": conversation.forked_from_id, "pinned": bool(getattr(conversation, "pinned", False)),
    }


# The list ------------------------------------------------------------------------

def _cursor(conversation: Conversation) -> str:
    return f"{conversation.updated.isoformat()}|{conversation.pk}"


def _cursor_position(cursor: str) -> Q:
    """A parser for `query`: the rows after `cursor` in the list's order."""
    try:
        stamp, pk = cursor.rsplit("|", 1)
        updated, pk = datetime.fromisoformat(stamp), int(pk)
    except ValueError:
        raise ValueError("is not a cursor this endpoint gave") from None
    return Q(updated__lt=updated) | Q(updated=updated, id__lt=pk)


@api
@require_http_methods(["GET"])
def conversations(request):
    """GET ?scope=mine|team&q=&before=: newest first, 50 a page, keyset on (updated, id)."""
    if query(request, "scope", one_of("mine", "team"), "mine") == "team":
        queryset = Conversation.objects.filter(visibility=Conversation.TEAM).exclude(owner=request.user)
    else:
        queryset = Conversation.objects.filter(owner=request.user)
    text = query(request, "q", str.strip, "")
    if text:
        matching = search.matching(text)
        in_title = Q(title__icontains=text)
        queryset = queryset.filter(in_title | matching if matching is not None else in_title)
    after = query(request, "before", _cursor_position)
    if after is not None:
        queryset = queryset.filter(after)
    pins = list(Pin.objects.filter(user=request.user).order_by("-created").values_list("conversation_id", flat=True))
    page = _listed(queryset.order_by("-updated", "-id"), pins, PAGE_SIZE + 1)
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    answer = {"items": [conversation_item(c) for c in page], "next": _cursor(page[-1]) if more else None}
    if after is None:  # the first page also lists what the user pinned, newest pin first
        pinned = {c.pk: c for c in _listed(Conversation.objects.filter(pk__in=pins), pins) if c.can_read(request.user)}
        answer["pinned"] = [conversation_item(pinned[pk]) for pk in pins if pk in pinned]
    return JsonResponse(answer)


def _listed(queryset, pins: list[int], limit: int | None = None) -> list[Conversation]:
    """Conversations with what the list shows of them: their owner, the model that answered last, whether pinned."""
    last_reply = Message.objects.filter(conversation=OuterRef("pk"), role=Message.ASSISTANT).exclude(model="")
    queryset = queryset.select_related("owner").annotate(
        answered_by=Subquery(last_reply.order_by("-id").values("model")[:1]))
    rows = list(queryset[:limit] if limit else queryset)
    for row in rows:
        row.pinned = row.pk in pins
    return rows


# One conversation ------------------------------------------------------------------

@api
@require_http_methods(["GET", "PATCH", "DELETE"])
def conversation(request, conversation_id: int):
    conversation = readable(request, conversation_id)
    if request.method == "GET":
        return JsonResponse(conversation_detail(conversation, request.user))
    if not conversation.can_write(request.user):
        raise ApiError(403, "Only the owner can change this conversation.")
    if request.method == "DELETE":
        async_to_sync(generation.stop_conversation)(get_channel_layer(), conversation.pk)
        conversation.delete()
        return HttpResponse(status=204)
    return _update(conversation, (json_body(request) or {}), request.user)


def conversation_detail(conversation: Conversation, user) -> dict:
    messages = Message.summaries(conversation.messages.order_by("id"))
    answered_by = next((m["model"] for m in reversed(messages) if m["role"] == Message.ASSISTANT and m["model"]), None)
    return {"conversation": {**conversation_item(conversation, answered_by), "settings": conversation.settings or {},
                             "created": conversation.created.isoformat()},
            "messages": messages, "current_leaf_id": messages[-1]["id"] if messages else None,
            "can_write": conversation.can_write(user)}


def _update(conversation: Conversation, data: dict, user) -> JsonResponse:
    fields = []
    if "title" in data:
        if not isinstance(data["title"], str) or len(data["title"].strip()) > 200:
            raise ApiError(400, "title must be text of at most 200 characters.")
        conversation.title = data["title"].strip()
        fields.append("title")
    if "visibility" in data:
        if data["visibility"] not in (Conversation.PRIVATE, Conversation.TEAM):
            raise ApiError(400, "visibility must be private or team.")
        conversation.visibility = data["visibility"]
        fields.append("visibility")
    if fields:
        conversation.save(update_fields=[*fields, "updated"])
    return JsonResponse(conversation_detail(conversation, user))


@api
@require_http_methods(["POST"])
def fork(request, conversation_id: int):
    """Copy the branch up to `message_id` (or the current leaf) into a new conversation of the caller."""
    original = readable(request, conversation_id)
    leaf_id = (json_body(request) or {}).get("message_id") or original.latest_message_id()
    if not isinstance(leaf_id, int) or (leaf_id and not original.messages.filter(pk=leaf_id).exists()):
        raise ApiError(400, "message_id must be a message of this conversation.")
    copy = fork_conversation(original, leaf_id, request.user)
    return JsonResponse(conversation_detail(copy, request.user), status=201)


@transaction.atomic
def fork_conversation(original: Conversation, leaf_id: int | None, user) -> Conversation:
    title = f"{original.title or 'Conversation'} (fork)"[:200]
    # A private conversation's fork stays private; any other gets the forker's default.
    visibility = Conversation.PRIVATE if original.visibility == Conversation.PRIVATE else default_visibility(user)
    copy = Conversation.objects.create(owner=user, title=title, visibility=visibility,
                                       settings=original.settings or {}, forked_from=original)
    path = [m.pk for m in branch(original.pk, leaf_id)]
    rows = Message.objects.in_bulk(path)  # whole rows: branch() may load only some fields
    images.copy_into(copy, user, list(rows.values()))
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
    conversation = readable(request, conversation_id)
    response = JsonResponse(export.as_json(conversation), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{export.filename(conversation, "json")}"'
    return response


@api
@require_http_methods(["GET"])
def export_markdown(request, conversation_id: int):
    conversation = readable(request, conversation_id)
    response = HttpResponse(export.as_markdown(conversation, request.build_absolute_uri("/").rstrip("/")),
                            content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(conversation, "md")}"'
    return response


@api
@require_http_methods(["GET"])
def code(request, conversation_id: int):
    """The request behind an assistant message (?message_id=) or the next one of the current branch."""
    found = readable(request, conversation_id)
    message_id = query(request, "message_id", whole_number)
    try:
        sample = code_samples.for_conversation(found, message_id, query(request, "content", default=""))
    except code_samples.NoSample as problem:
        raise ApiError(400, str(problem)) from None
    return JsonResponse(sample)


@api
@require_http_methods(["POST"])
def next_code(request):
    """The request the settings panel would send now, before any message: POST the fields of a `chat.send`
    frame (conversation_id optional, content, provider, model and any setting)."""
    data = json_object(request)
    conversation_id, content = data.get("conversation_id"), data.get("content", "")
    if conversation_id is not None and (isinstance(conversation_id, bool) or not isinstance(conversation_id, int)):
        raise ApiError(400, "conversation_id must be a conversation's id, or null.")
    if not isinstance(content, str):
        raise ApiError(400, "content must be text.")
    conversation = readable(request, conversation_id) if conversation_id is not None else None
    try:
        return JsonResponse(code_samples.for_next(conversation, frames.settings_from(data), content))
    except code_samples.NoSample as problem:
        raise ApiError(400, str(problem)) from None
