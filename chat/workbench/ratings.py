"""Human review: one rating (thumbs, a 1–5 score, a comment) per reviewer per chat reply or run output.

Rating needs read access to what is rated: the reply's conversation (chat/access.py) or the experiment
(experiments are the team's: every signed-in person reads them).
"""
from django.db import IntegrityError, transaction

from chat.access import readable_conversation
from chat.errors import ApiError
from chat.models import ExperimentRun, Message
from chat.workbench.models import Rating

MAX_COMMENT = 5000
MESSAGE, RUN = "message", "run"


def target(user, kind: str, target_id: int) -> dict:
    """{"message": reply} or {"run": run} for a rating's foreign key; a 404 when it is missing or unreadable."""
    if kind == MESSAGE:
        message = Message.objects.filter(pk=target_id).only("pk", "role", "conversation_id").first()
        if message is None:
            raise ApiError(404, f"Message {target_id} does not exist.")
        readable_conversation(user, message.conversation_id)  # raises the same 404 for an unreadable one
        if message.role != Message.ASSISTANT:
            raise ApiError(400, "Only replies are rated.")
        return {"message": message}
    run = ExperimentRun.objects.filter(pk=target_id).only("pk").first()
    if run is None:
        raise ApiError(404, f"Run {target_id} does not exist.")
    return {"run": run}


def clean(data: dict) -> dict:
    """{thumbs, score, comment} from a request; at least one of them must say something."""
    thumbs, score, comment = data.get("thumbs"), data.get("score"), data.get("comment") or ""
    if thumbs is not None and not isinstance(thumbs, bool):
        raise ApiError(400, "thumbs must be true (up), false (down) or null.")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5):
        raise ApiError(400, "score must be a whole number from 1 to 5, or null.")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise ApiError(400, f"comment must be text of at most {MAX_COMMENT} characters.")
    if thumbs is None and score is None and not comment.strip():
        raise ApiError(400, "Give thumbs up or down, a score or a comment.")
    return {"thumbs": thumbs, "score": score, "comment": comment.strip()}


def save(user, on: dict, fields: dict) -> Rating:
    """The reviewer's rating of the target, created or changed (one per reviewer per item)."""
    for _ in range(2):  # a second request of the same reviewer may create it between our read and write
        try:
            with transaction.atomic():
                rating, _created = Rating.objects.update_or_create(reviewer=user, **on, defaults=fields)
                return rating
        except IntegrityError:
            continue
    raise ApiError(409, "The rating changed at the same moment; try again.")


def of(user, on: dict) -> dict:
    """Everyone's ratings of the target (the reviewer's own apart) and the tally."""
    ratings = list(Rating.objects.filter(**on).select_related("reviewer"))
    scores = [r.score for r in ratings if r.score is not None]
    mine = next((r for r in ratings if r.reviewer_id == user.pk), None)
    return {"mine": mine.as_dict() if mine else None, "all": [r.as_dict() for r in ratings],
            "up": sum(r.thumbs is True for r in ratings), "down": sum(r.thumbs is False for r in ratings),
            "mean_score": round(sum(scores) / len(scores), 2) if scores else None}


def mine(user, message_id: int) -> dict | None:
    """The reviewer's rating of a reply, as a dataset row carries it, or None."""
    rating = Rating.objects.filter(reviewer=user, message_id=message_id).first()
    if rating is None:
        return None
    return {"reviewer": user.get_username(), "thumbs": rating.thumbs, "score": rating.score, "comment": rating.comment}
