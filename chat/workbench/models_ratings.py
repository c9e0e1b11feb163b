"""A person's judgement of one output: thumbs, a 1–5 score and a comment, one per reviewer per item.

The item is a chat reply (chat.Message) or an experiment run's output (chat.ExperimentRun), never both.
"""
from django.conf import settings as django_settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Rating(models.Model):
    reviewer = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey("chat.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="ratings")
    run = models.ForeignKey("chat.ExperimentRun", null=True, blank=True, on_delete=models.CASCADE,
                            related_name="ratings")
    thumbs = models.BooleanField(null=True, blank=True, help_text="Up (true), down (false) or not given.")
    score = models.PositiveSmallIntegerField(null=True, blank=True,
                                             validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(message__isnull=False) & Q(run__isnull=True)) | (Q(message__isnull=True) & Q(run__isnull=False)),
                name="rating_one_target"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="rating_score_1_5"),
            models.UniqueConstraint(fields=["reviewer", "message"], condition=Q(message__isnull=False),
                                    name="unique_rating_message"),
            models.UniqueConstraint(fields=["reviewer", "run"], condition=Q(run__isnull=False), name="unique_rating_run"),
        ]

    def __str__(self) -> str:
        target = f"message {self.message_id}" if self.message_id else f"run {self.run_id}"
        return f"{self.reviewer} on {target}"

    def as_dict(self) -> dict:
        return {"id": self.pk, "reviewer": self.reviewer.get_username(), "thumbs": self.thumbs, "score": self.score,
                "comment": self.comment, "updated": self.updated.isoformat()}
