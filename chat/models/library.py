"""What the team saves to reuse: tool sets and response schemas."""
from django.conf import settings
from django.db import models

from chat.fields import OrderedJSONField


class ToolSet(models.Model):
    """Named function tools shared with the team; `mocks` maps a tool name to a canned result."""

    name = models.CharField(max_length=100, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tools = OrderedJSONField(default=list)
    mocks = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedSchema(models.Model):
    """A named JSON Schema for structured outputs, shared with the team."""

    name = models.CharField(max_length=100, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    schema = OrderedJSONField()
    strict = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
