"""A user's own defaults, kept on the server so they follow the user to any device."""
from django.conf import settings
from django.db import models

from chat.models.conversation import Conversation


class Preferences(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="playground_preferences")
    # Blank: the site's default (PLAYGROUND_DEFAULT_VISIBILITY).
    default_visibility = models.CharField(max_length=10, choices=Conversation.VISIBILITY, blank=True)


def default_visibility(user) -> str:
    """The visibility a new conversation or fork of `user` gets unless they choose another."""
    # At most one row: no first(), whose ordering costs a new conversation's turn a third of this query.
    chosen = Preferences.objects.filter(pk=user.pk).values_list("default_visibility", flat=True)
    return _or_site_default(next(iter(chosen), None))


def default_visibilities(users) -> dict[int, str]:
    """`default_visibility` of each user, by id, in one query (none for no users): turns stored together."""
    chosen = dict(Preferences.objects.filter(pk__in=[user.pk for user in users]).values_list("pk", "default_visibility"))
    return {user.pk: _or_site_default(chosen.get(user.pk)) for user in users}


def _or_site_default(chosen: str | None) -> str:
    return chosen or settings.PLAYGROUND_DEFAULT_VISIBILITY
