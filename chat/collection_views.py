"""Many conversations at once: import of an export file, bulk delete, and pins."""
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from chat import generation
from chat.conversation_import import import_conversation
from chat.errors import ApiError
from chat.json_views import api, json_object, one_of, query
from chat.models import Conversation, Pin
from chat.views import conversation_detail, readable

MAX_BULK = 200


@api
@require_http_methods(["POST"])
def import_file(request):
    """POST an exported conversation (JSON) as the body; ?copy=1 imports a file seen before as a copy."""
    copy = query(request, "copy", one_of("0", "1"), "0") == "1"
    conversation, copied = import_conversation(request.user, json_object(request), copy)
    return JsonResponse({**conversation_detail(conversation, request.user), "copied": copied}, status=201)


@api
@require_http_methods(["POST"])
def delete_many(request):
    """POST {ids: [...]}: delete those of your conversations, stopping their replies; others are refused."""
    ids = json_object(request).get("ids")
    if not isinstance(ids, list) or not 0 < len(ids) <= MAX_BULK or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ApiError(400, f"ids must list 1 to {MAX_BULK} conversation ids.")
    mine = set(Conversation.objects.filter(pk__in=ids, owner=request.user).values_list("pk", flat=True))
    for conversation_id in mine:
        async_to_sync(generation.stop_conversation)(get_channel_layer(), conversation_id)
    Conversation.objects.filter(pk__in=mine).delete()
    return JsonResponse({"deleted": sorted(mine), "refused": sorted(set(ids) - mine)})


@api
@require_http_methods(["PUT", "DELETE"])
def pin(request, conversation_id: int):
    """PUT pins a conversation you can read to the top of your list; DELETE unpins it."""
    conversation = readable(request, conversation_id)
    if request.method == "PUT":
        Pin.objects.get_or_create(user=request.user, conversation=conversation)
    else:
        Pin.objects.filter(user=request.user, conversation=conversation).delete()
    return JsonResponse({"id": conversation.pk, "pinned": request.method == "PUT"})
