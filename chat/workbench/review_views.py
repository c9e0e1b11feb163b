"""JSON endpoints of human review: ratings of replies and run outputs, and a chat message into a dataset."""
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from chat.errors import ApiError
from chat.json_views import api, json_object
from chat.workbench import datasets, from_chat, ratings
from chat.workbench.dataset_views import clean_fields
from chat.workbench.models import Dataset, Rating


@api
@require_http_methods(["GET", "PUT", "DELETE"])
def rating(request, kind: str, target_id: int):
    """GET everyone's ratings of a reply or run output; PUT {thumbs, score, comment} sets yours; DELETE drops it."""
    on = ratings.target(request.user, kind, target_id)
    if request.method == "PUT":
        ratings.save(request.user, on, ratings.clean(json_object(request)))
    elif request.method == "DELETE":
        Rating.objects.filter(reviewer=request.user, **on).delete()
    return JsonResponse(ratings.of(request.user, on))


@api
@require_http_methods(["POST"])
def message_to_dataset(request, message_id: int):
    """POST {dataset: id} or {new_dataset: name}, and `tags`: the message (with its prompt and your rating)
    becomes a row of that dataset."""
    data = json_object(request)
    if data.get("dataset") is not None:
        if isinstance(data["dataset"], bool) or not isinstance(data["dataset"], int):
            raise ApiError(400, "dataset must be a dataset's id (or send new_dataset: a name).")
        dataset = datasets.writable(request.user, data["dataset"])
        row = from_chat.row_from_message(request.user, message_id, dataset, datasets.clean_tags(data.get("tags")))
    else:
        fields = clean_fields({"name": data.get("new_dataset")})
        dataset = Dataset(owner=request.user, columns=[from_chat.DEFAULT_COLUMN], **fields)
        row = from_chat.row_from_message(request.user, message_id, dataset, datasets.clean_tags(data.get("tags")))
        dataset.save()
    added = datasets.add_rows(dataset, [row])[0]
    return JsonResponse({"dataset": datasets.summary(dataset, request.user), "row": datasets.row_dict(added)}, status=201)
