"""Usage: requests, tokens and cost per day, model, provider and user, from every place replies are recorded.

Chat replies (assistant messages, counted for the conversation's owner),
experiment runs (for who started them), gateway chat completions that reached a
provider (for the token's user) and embedding runs, of the Embeddings page or
POST /v1/embeddings (source "embeddings"); a gateway request saved as a
conversation is counted once, as a gateway request.
"""
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.db.models import Count, F, IntegerField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDate

from chat.gateway.models import ApiRequest

COLUMNS = ("day", "user", "provider", "model", "source", "requests", "tokens", "cost")


@dataclass
class Row:
    day: date
    user: str
    provider: str
    model: str
    source: str  # chat, experiment, api or embeddings
    requests: int
    tokens: int
    cost: float

    def values(self) -> list:
        return [getattr(self, name) for name in COLUMNS]


def _rows(queryset, source: str, day: str, user: str, tokens) -> list[Row]:
    grouped = (queryset.annotate(day=TruncDate(day), who=F(user)).values("day", "who", "provider", "model")
               .annotate(n=Count("id"), tokens=tokens, spent=Sum("cost")).order_by("day"))
    return [Row(g["day"], g["who"] or "", g["provider"], g["model"], source, g["n"], g["tokens"] or 0,
                round(g["spent"] or 0, 6)) for g in grouped]


def rows(since: datetime, user=None) -> list[Row]:
    """Usage since `since`, of `user` (None: everyone), grouped by day, user, provider, model and source."""
    from chat.models import ExperimentRun, Message

    saved_from_api = ApiRequest.objects.filter(conversation__isnull=False).values("conversation_id")
    chat = Message.objects.filter(role=Message.ASSISTANT, created__gte=since).exclude(conversation_id__in=saved_from_api)
    runs = ExperimentRun.objects.filter(started__gte=since).exclude(status=ExperimentRun.PENDING)
    api = ApiRequest.objects.filter(created__gte=since, sent=True)
    if user is not None:
        chat, runs, api = chat.filter(conversation__owner=user), runs.filter(batch__started_by=user), api.filter(user=user)
    result = (_rows(chat, "chat", "created", "conversation__owner__username",
                    Sum(Cast(KT("usage__total_tokens"), IntegerField())))
              + _rows(runs, "experiment", "started", "batch__started_by__username",
                      Sum(F("prompt_tokens") + F("completion_tokens")))
              + _rows(api.filter(kind=ApiRequest.CHAT), "api", "created", "user__username", Sum("total_tokens"))
              + _rows(api.filter(kind=ApiRequest.EMBEDDINGS), "embeddings", "created", "user__username",
                      Sum("total_tokens")))
    return sorted(result, key=lambda r: (r.day, r.user, r.provider, r.model, r.source))


def totals(found: list[Row], key) -> list[dict]:
    """Requests, tokens and cost summed by `key(row)`, in key order."""
    sums: dict = defaultdict(lambda: {"requests": 0, "tokens": 0, "cost": 0.0})
    for row in found:
        bucket = sums[key(row)]
        bucket["requests"] += row.requests
        bucket["tokens"] += row.tokens
        bucket["cost"] += row.cost
    return [{"key": k, **v, "cost": round(v["cost"], 6)} for k, v in sorted(sums.items())]


def summary(found: list[Row]) -> dict:
    """Every breakdown the usage page shows."""
    return {"day": totals(found, lambda r: r.day), "model": totals(found, lambda r: f"{r.provider}/{r.model}"),
            "provider": totals(found, lambda r: r.provider), "user": totals(found, lambda r: r.user),
            "key_use": totals(found, lambda r: (r.day, r.provider, r.user))}


def as_json(found: list[Row]) -> list[dict]:
    return [{**asdict(r), "day": r.day.isoformat()} for r in found]
