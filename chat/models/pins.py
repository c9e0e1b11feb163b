"""Conversations a user pinned to the top of their list (their own or the team's)."""
from django.conf import settings
from django.db import models

from chat.models.conversation import Conversation


class Pin(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="pins")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "conversation"], name="pin_once")]
