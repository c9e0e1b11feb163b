"""A user's own defaults over HTTP: GET them, PATCH {default_visibility: private|team|null}."""
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from chat.errors import ApiError
from chat.json_views import api, json_object
from chat.models import Conversation, Preferences
from chat.models.preferences import default_visibility


def _described(user) -> dict:
    chosen = Preferences.objects.filter(user_id=user.pk).values_list("default_visibility", flat=True).first()
    return {"default_visibility": chosen or None, "effective_visibility": default_visibility(user),
            "site_default_visibility": settings.PLAYGROUND_DEFAULT_VISIBILITY}


@api
@require_http_methods(["GET", "PATCH"])
def preferences(request):
    if request.method == "PATCH":
        data = json_object(request)
        if "default_visibility" in data:
            chosen = data["default_visibility"]
            if chosen not in (None, Conversation.PRIVATE, Conversation.TEAM):
                raise ApiError(400, "default_visibility must be private, team, or null (the site's default).")
            Preferences.objects.update_or_create(user=request.user, defaults={"default_visibility": chosen or ""})
    return JsonResponse(_described(request.user))
