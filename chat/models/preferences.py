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
    chosen = next(iter(Preferences.objects.filter(pk=user.pk).values_list("default_visibility", flat=True)), "")
    return chosen or settings.PLAYGROUND_DEFAULT_VISIBILITY
