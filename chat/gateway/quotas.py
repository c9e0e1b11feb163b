"""Quotas: requests per minute, tokens per day and spend per month, checked before a provider is called.

`admit(user, requests)` is called from `chat.requests.plan` for every reply of
the playground, an experiment or the gateway. Requests are counted in a
per-user, per-minute row with a conditional UPDATE inside a transaction, so
two processes cannot both take the last request of a minute. Tokens and spend
are what the user's finished replies recorded (chat messages, experiment runs,
gateway requests, embedding runs of the page or the gateway); a request is
admitted while they are under the limit.
The limits themselves are admin-set and read for every reply, so each process keeps them briefly
(`chat.config_cache`); a user without any quota costs no read and no write.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F, IntegerField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.db.models.functions import Cast
from django.utils import timezone

from chat.config_cache import BriefCache
from chat.errors import Refused
from chat.gateway.models import ApiRequest, Quota, QuotaCounter

LIMITS = ("requests_per_minute", "tokens_per_day", "spend_per_month")
LABELS = {"requests_per_minute": "requests per minute", "tokens_per_day": "tokens per day",
          "spend_per_month": "USD of spend per month"}


class QuotaExceeded(Refused):
    """A quota is used up: says which and when it resets (`retry_after`, seconds)."""

    def __init__(self, limit: str, value, used, resets: datetime):
        self.limit, self.resets = limit, resets
        super().__init__("quota_exceeded", f"Quota exceeded: {_amount(limit, value)} {LABELS[limit]} "
                                           f"(used {_amount(limit, used)}); it resets at "
                                           f"{resets:%Y-%m-%d %H:%M} UTC.",
                         retry_after=max(1.0, (resets - timezone.now()).total_seconds()))


def _amount(limit: str, value) -> str:
    return f"{float(value):.2f}" if limit == "spend_per_month" else str(int(value))


_limits = BriefCache().clear_on((post_save, Quota), (post_delete, Quota), (post_delete, Group),
                                (post_save, get_user_model()), (m2m_changed, get_user_model().groups.through))


def limits_for(user) -> dict:
    """The tightest of each limit among the quotas for `user`, their groups and everyone (None: no limit)."""
    return _limits.get(user.pk, lambda: _tightest(user))


def _tightest(user) -> dict:
    rows = Quota.objects.filter(Q(scope=Quota.EVERYONE) | Q(scope=Quota.USER, user=user)
                                | Q(scope=Quota.GROUP, group__in=user.groups.all())).values_list(*LIMITS)
    limits = dict.fromkeys(LIMITS)
    for row in rows:
        for name, value in zip(LIMITS, row):
            if value is not None and (limits[name] is None or value < limits[name]):
                limits[name] = value
    return limits


# Windows ------------------------------------------------------------------------------------------

def minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    return day_start(now).replace(day=1)


def resets(limit: str, now: datetime) -> datetime:
    if limit == "requests_per_minute":
        return minute_start(now) + timedelta(minutes=1)
    if limit == "tokens_per_day":
        return day_start(now) + timedelta(days=1)
    start = month_start(now)
    return (start + timedelta(days=32)).replace(day=1)


# What was used -----------------------------------------------------------------------------------

def spent(user, since: datetime) -> tuple[int, float]:
    """Tokens and USD the user's replies recorded since `since`: chat, experiments, the gateway and embeddings."""
    from chat.models import ExperimentRun, Message

    saved_from_api = ApiRequest.objects.filter(conversation__isnull=False).values("conversation_id")
    chat = (Message.objects.filter(role=Message.ASSISTANT, conversation__owner=user, created__gte=since)
            .exclude(conversation_id__in=saved_from_api)
            .aggregate(tokens=Sum(Cast(KT("usage__total_tokens"), IntegerField())), cost=Sum("cost")))
    runs = ExperimentRun.objects.filter(batch__started_by=user, started__gte=since).aggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"), cost=Sum("cost"))
    api = ApiRequest.objects.filter(user=user, created__gte=since).aggregate(tokens=Sum("total_tokens"),
                                                                             cost=Sum("cost"))
    tokens = (chat["tokens"] or 0) + (runs["prompt"] or 0) + (runs["completion"] or 0) + (api["tokens"] or 0)
    cost = (chat["cost"] or 0) + (runs["cost"] or 0) + (api["cost"] or 0)
    return tokens, cost


def requests_this_minute(user, now: datetime) -> int:
    row = QuotaCounter.objects.filter(user=user, start=minute_start(now)).values_list("requests", flat=True).first()
    return row or 0


def used(user, limit: str, now: datetime):
    if limit == "requests_per_minute":
        return requests_this_minute(user, now)
    if limit == "tokens_per_day":
        return spent(user, day_start(now))[0]
    return spent(user, month_start(now))[1]


@dataclass
class Standing:
    """One limit as its user sees it."""

    limit: str
    value: object
    used: object
    resets: datetime

    @property
    def label(self) -> str:
        return LABELS[self.limit]

    @property
    def left(self):
        if self.limit == "spend_per_month":
            return round(max(0.0, float(self.value) - float(self.used)), 2)
        return max(0, self.value - self.used)


def standings(user) -> list[Standing]:
    """Each limit that applies to `user`, with what is used and when it resets."""
    now = timezone.now()
    return [Standing(name, value, used(user, name, now), resets(name, now))
            for name, value in limits_for(user).items() if value is not None]


# Admission ---------------------------------------------------------------------------------------

def admit(user, requests: int = 1) -> None:
    """Count `requests` against the user's quotas, or raise QuotaExceeded and count nothing."""
    limits = limits_for(user)
    if not any(v is not None for v in limits.values()):
        return
    now = timezone.now()
    with transaction.atomic():
        for name in ("tokens_per_day", "spend_per_month"):
            if limits[name] is not None:
                amount = used(user, name, now)
                if amount >= limits[name]:
                    raise QuotaExceeded(name, limits[name], amount, resets(name, now))
        if limits["requests_per_minute"] is not None:
            _count_request(user, requests, limits["requests_per_minute"], now)


def _count_request(user, requests: int, limit: int, now: datetime) -> None:
    start = minute_start(now)
    counter, created = QuotaCounter.objects.get_or_create(user=user, start=start)
    if created:
        QuotaCounter.objects.filter(user=user, start__lt=start).delete()
    # the condition is checked on the locked row: a concurrent request waits, then sees this one's count
    if not QuotaCounter.objects.filter(pk=counter.pk, requests__lte=limit - requests).update(
            requests=F("requests") + requests):
        raise QuotaExceeded("requests_per_minute", limit, requests_this_minute(user, now), resets(
            "requests_per_minute", now))
