"""Personal API tokens, the usage record of every gateway request, and quotas with their counters."""
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A user's personal token for /v1: only its public `key_id` and a password hash of its secret are kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True, help_text="The token's public part, to find it by.")
    hashed = models.CharField(max_length=200, help_text="The secret part, hashed like a password.")
    allowed = models.JSONField(default=list, blank=True,
                               help_text='Providers ("slug") or models ("slug/model") it may use; empty: all.')
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def active(self) -> bool:
        return self.revoked is None and (self.expires is None or self.expires > timezone.now())

    def allows(self, provider: str, model: str) -> bool:
        return not self.allowed or provider in self.allowed or f"{provider}/{model}" in self.allowed


class ApiRequest(models.Model):
    """One gateway request, recorded once when it ends (or is refused); also each embeddings-page run (no token)."""

    CHAT, EMBEDDINGS = "chat", "embeddings"
    KINDS = [(CHAT, "Chat completion"), (EMBEDDINGS, "Embeddings")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")
    provider = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=KINDS, default=CHAT)
    stream = models.BooleanField(default=False)
    sent = models.BooleanField(default=False, help_text="The provider was called (not refused beforehand).")
    status = models.PositiveSmallIntegerField(help_text="The HTTP status the caller got.")
    error_code = models.CharField(max_length=40, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    total_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.FloatField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    conversation = models.ForeignKey("chat.Conversation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", help_text="Where it was saved, when saving is on.")
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "created"], name="apirequest_user_created")]


class Quota(models.Model):
    """Limits for one user, the members of one group, or everyone; the tightest that applies wins."""

    USER, GROUP, EVERYONE = "user", "group", "everyone"
    SCOPES = [(USER, "A user"), (GROUP, "Each member of a group"), (EVERYONE, "Everyone")]

    scope = models.CharField(max_length=10, choices=SCOPES)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="quotas")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="quotas")
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    tokens_per_day = models.PositiveBigIntegerField(null=True, blank=True)
    spend_per_month = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                          help_text="In USD.")

    class Meta:
        ordering = ["scope", "id"]

    def __str__(self) -> str:
        who = {self.USER: self.user, self.GROUP: self.group}.get(self.scope, "everyone")
        return f"Quota for {who}"

    def clean(self):
        if self.scope == self.USER and (self.user_id is None or self.group_id is not None):
            raise ValidationError("A user's quota names the user (and no group).")
        if self.scope == self.GROUP and (self.group_id is None or self.user_id is not None):
            raise ValidationError("A group's quota names the group (and no user).")
        if self.scope == self.EVERYONE and (self.user_id or self.group_id):
            raise ValidationError("A quota for everyone names neither a user nor a group.")
        if self.requests_per_minute is None and self.tokens_per_day is None and self.spend_per_month is None:
            raise ValidationError("Set at least one limit.")


class QuotaCounter(models.Model):
    """A user's requests in one minute, counted atomically (tokens and spend are summed from the replies)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "start"], name="quota_counter_minute")]


class AuditEntry(models.Model):
    """One change an admin (or a user, for their tokens) made: append-only, never a secret's value."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True, help_text="As it was then (or manage.py).")
    address = models.CharField(max_length=64, blank=True, help_text="The client's address.")
    action = models.CharField(max_length=40, db_index=True)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=40, blank=True)
    target = models.CharField(max_length=200, blank=True, help_text="The changed object, as it was named.")
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder,
                               help_text="{field: [old, new]}; a secret field shows only that it changed.")

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are never deleted.")
