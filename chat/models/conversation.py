"""Conversations and messages: one row a message, a tree through `parent`."""
from django.conf import settings
from django.db import models

from chat.fields import OrderedJSONField
from chat.models.attachments import image_url
from django.db.models import Q


class Conversation(models.Model):
    PRIVATE, TEAM = "private", "team"
    VISIBILITY = [(PRIVATE, "Private"), (TEAM, "Team")]

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(max_length=10, choices=VISIBILITY, default=TEAM)
    settings = OrderedJSONField(default=dict, blank=True, help_text="Provider, model, system prompt and params last used.")
    forked_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks")
    imported_from = models.CharField(max_length=64, blank=True, db_index=True,
                                     help_text="The fingerprint of the export file this was imported from.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated", "-id"], name="conv_owner_updated"),
            models.Index(fields=["visibility", "-updated", "-id"], name="conv_visibility_updated"),
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"

    def can_read(self, user) -> bool:
        return self.owner_id == user.pk or self.visibility == self.TEAM

    def can_write(self, user) -> bool:
        return self.owner_id == user.pk

    def latest_message_id(self) -> int | None:
        """The end of the current branch: the newest message (parent_id null appends here)."""
        return self.messages.order_by("-id").values_list("id", flat=True).first()


class Message(models.Model):
    SYSTEM, USER, ASSISTANT, TOOL = "system", "user", "assistant", "tool"
    ROLES = [(r, r) for r in (SYSTEM, USER, ASSISTANT, TOOL)]
    STREAMING, COMPLETE, CANCELLED, ERROR, INTERRUPTED = "streaming", "complete", "cancelled", "error", "interrupted"
    STATUSES = [(s, s) for s in (STREAMING, COMPLETE, CANCELLED, ERROR, INTERRUPTED)]
    CHAT, COMPLETION, IMAGE = "chat", "completion", "image"
    MODES = [(m, m) for m in (CHAT, COMPLETION, IMAGE)]

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    role = models.CharField(max_length=10, choices=ROLES)
    content = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitized rendering of content.")
    reasoning = models.TextField(blank=True, help_text="The model's reasoning, apart from its answer.")
    reasoning_extra = models.JSONField(null=True, blank=True, help_text="Provider data sent back with the reasoning.")
    tool_calls = models.JSONField(default=list, blank=True)
    images = models.JSONField(default=list, blank=True, help_text="On user messages: [{id, width, height}] attached.")
    tool_call_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True, help_text="On tool messages: the function answered.")
    status = models.CharField(max_length=12, choices=STATUSES, default=COMPLETE)
    mode = models.CharField(max_length=12, choices=MODES, default=CHAT,
                            help_text="chat; completion: a raw prompt and its continuation; image: images generated.")
    logprobs = models.JSONField(
        null=True, blank=True,
        help_text="Text completion: [{token, logprob, top: [{token, logprob}]}] where the server returned them.")
    finish_reason = models.CharField(max_length=30, blank=True)
    usage = models.JSONField(null=True, blank=True)
    metrics = models.JSONField(null=True, blank=True)
    cost = models.FloatField(null=True, blank=True)
    structured = OrderedJSONField(null=True, blank=True)
    fallback = models.CharField(max_length=200, blank=True, help_text="A declared fallback the request used.")
    request = OrderedJSONField(null=True, blank=True, help_text="The settings the reply was asked with.")
    provider = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=200, blank=True)
    compare_set = models.CharField(max_length=100, blank=True,
                                   help_text="The request id shared by replies that compared models side by side.")
    error_code = models.CharField(max_length=30, blank=True)
    error_message = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["conversation", "id"], name="msg_conversation"),
            models.Index(fields=["status"], name="msg_status", condition=Q(status="streaming")),
        ]

    def __str__(self) -> str:
        return f"{self.role} #{self.pk}"

    SUMMARY_FIELDS = ("id", "role", "content", "html", "parent_id", "created", "status", "tool_calls", "tool_call_id",
                      "name", "finish_reason", "usage", "metrics", "cost", "structured", "fallback", "provider",
                      "model", "error_code", "error_message", "reasoning", "compare_set", "images", "mode", "logprobs")

    def summary(self, **changes) -> dict:
        """The message as the protocol's `message.created` and history describe it (with `changes`, as stored
        after an update of those fields)."""
        return summarize({name: changes[name] if name in changes else getattr(self, name) for name in self.SUMMARY_FIELDS})

    @classmethod
    def summaries(cls, queryset) -> list[dict]:
        """summary() of many rows, read as plain values (no model instance per row)."""
        return [summarize(dict(zip(cls.SUMMARY_FIELDS, row))) for row in queryset.values_list(*cls.SUMMARY_FIELDS)]


def summarize(m: dict) -> dict:
    return {
        "id": m["id"], "role": m["role"], "content": m["content"], "html": m["html"], "parent_id": m["parent_id"],
        "created": m["created"].isoformat() if m["created"] else None, "status": m["status"],
        "tool_calls": m["tool_calls"], "tool_call_id": m["tool_call_id"] or None, "name": m["name"] or None,
        "finish_reason": m["finish_reason"] or None, "usage": m["usage"], "metrics": m["metrics"], "cost": m["cost"],
        "structured": m["structured"], "fallback": m["fallback"] or None, "provider": m["provider"] or None,
        "model": m["model"] or None, "reasoning": m["reasoning"] or None, "compare_set": m["compare_set"] or None,
        "error": {"code": m["error_code"], "message": m["error_message"]} if m["error_code"] else None,
        "images": [{**image, "url": image_url(image["id"])} for image in m["images"] or ()],
        "mode": m["mode"], "logprobs": m["logprobs"],
    }
