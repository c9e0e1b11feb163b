"""Keeping embedding results: every run as its owner's draft, saved with a title and visibility on request."""
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from chat.errors import ApiError
from chat.models import EmbeddingResult

NOT_FOUND = "No such embedding result."
LISTED = 50


def keep(user, texts: list[str], runs: list[dict], source: dict | None = None) -> EmbeddingResult:
    """A new draft of `user` (its texts from `source`, a dataset column, when given); their drafts older than a day go."""
    cutoff = timezone.now() - timedelta(hours=EmbeddingResult.DRAFT_HOURS)
    EmbeddingResult.objects.filter(owner=user, saved=False, created__lt=cutoff).delete()
    return EmbeddingResult.objects.create(owner=user, texts=texts, runs=runs, source=source)


def readable(user, result_id: int) -> EmbeddingResult:
    row = EmbeddingResult.objects.select_related("owner").filter(pk=result_id).first()
    if row is None or not row.can_read(user):
        raise ApiError(404, NOT_FOUND)
    return row


def writable(user, result_id: int) -> EmbeddingResult:
    row = readable(user, result_id)
    if not row.can_write(user):
        raise ApiError(403, "Only its owner changes or deletes this result.")
    return row


def save(row: EmbeddingResult, changes: dict) -> EmbeddingResult:
    """Save a result (a draft becomes listed) with `title` and `visibility` where given; a 400 for bad values."""
    title, visibility = changes.get("title"), changes.get("visibility")
    if title is not None:
        if not isinstance(title, str) or len(title) > 200:
            raise ApiError(400, "title must be text of at most 200 characters.")
        row.title = title.strip()
    if visibility is not None:
        if visibility not in (EmbeddingResult.PRIVATE, EmbeddingResult.TEAM):
            raise ApiError(400, "visibility must be private or team.")
        row.visibility = visibility
    row.saved = True
    row.save(update_fields=["title", "visibility", "saved"])
    return row


def listed(user) -> list[EmbeddingResult]:
    """Saved results `user` may read (theirs and the team's), newest first."""
    rows = EmbeddingResult.objects.filter(Q(owner=user) | Q(visibility=EmbeddingResult.TEAM), saved=True)
    return list(rows.select_related("owner")[:LISTED])
