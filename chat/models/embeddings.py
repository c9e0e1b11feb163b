"""Embedding results: the texts, each model's run (vectors included) and who may see them.

Every run is kept as its owner's draft (private, `saved` false), so it can be
exported or saved without the browser sending the vectors back; saving gives
it a title and a visibility. Drafts older than DRAFT_HOURS are removed when
their owner runs again.
"""
from django.conf import settings
from django.db import models


class EmbeddingResult(models.Model):
    PRIVATE, TEAM = "private", "team"
    VISIBILITY = [(PRIVATE, "Private"), (TEAM, "Team")]
    DRAFT_HOURS = 24

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="embedding_results")
    title = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(max_length=10, choices=VISIBILITY, default=PRIVATE)
    saved = models.BooleanField(default=False, help_text="Saved by its owner (else a draft, removed after a day).")
    texts = models.JSONField(default=list)
    runs = models.JSONField(default=list, help_text="One or two runs: {provider, model, label, dimensions, tokens, "
                                                    "latency_ms, cost, vectors}.")
    source = models.JSONField(null=True, blank=True, help_text="Where the texts came from: a dataset column "
                              "{dataset, name, version, column, values, left_out}, or null (typed).")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title or f"Embeddings {self.pk}"

    def can_read(self, user) -> bool:
        return self.owner_id == user.pk or (self.saved and self.visibility == self.TEAM)

    def can_write(self, user) -> bool:
        return self.owner_id == user.pk
