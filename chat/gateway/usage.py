"""Recording gateway requests: one row a request, written once when it ends or is refused.

Embedding runs of the Embeddings page are recorded the same way (no token,
kind "embeddings"), so quotas and the usage page count them.
"""
import functools
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from chat.db import grouped
from chat.gateway.models import ApiRequest, ApiToken
from chat.gateway.saving import save_conversation


@dataclass
class Recorder:
    """What is known of one /v1 request so far, and its one write."""

    token: ApiToken | None  # None: a run of the Embeddings page, for `user`
    started: float
    stream: bool = False
    model_name: str | None = None  # as the caller named it
    provider: str = ""
    model: str = ""
    user: object = None
    kind: str = ApiRequest.CHAT
    written: bool = field(default=False, init=False)
    plan: object = field(default=None, init=False)

    def planned(self, plan) -> None:
        self.plan = plan
        self.aimed(plan.provider_slug, plan.model)

    def aimed(self, provider: str, model: str) -> None:
        """The provider and model the request resolved to."""
        self.provider, self.model = provider, model
        self.model_name = f"{provider}/{model}"

    def _write(self, status: int, error_code: str = "", verdict: dict | None = None, conversation=None):
        if self.written:
            return None
        self.written = True
        provider, model = (self.provider, self.model) if self.provider else _named(self.model_name)
        counts = (verdict or {}).get("usage") or {}
        return ApiRequest.objects.create(
            user_id=self.token.user_id if self.token else self.user.pk, token=self.token, kind=self.kind,
            provider=provider[:60], model=model[:200], stream=self.stream, sent=verdict is not None,
            status=status, error_code=error_code or "", prompt_tokens=counts.get("prompt_tokens"),
            completion_tokens=counts.get("completion_tokens"), total_tokens=counts.get("total_tokens"),
            cost=(verdict or {}).get("cost"), conversation=conversation,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 1))

    def refused(self, error) -> None:
        self._write(error.status, error.code or "")

    async def arefused(self, error) -> None:
        """`refused`, stored with the other writes arriving meanwhile (`chat.db.grouped`)."""
        await grouped(functools.partial(self.refused, error))

    async def afinished(self, status: int, verdict: dict, error_code: str = "") -> None:
        """`finished`, stored with the other writes arriving meanwhile (`chat.db.grouped`)."""
        await grouped(functools.partial(self.finished, status, verdict, error_code))

    def finished(self, status: int, verdict: dict, error_code: str = "") -> None:
        """The request's one write (with its conversation, when saving is on and it succeeded)."""
        with transaction.atomic(savepoint=False):  # in a group commit, its savepoint is the batch's
            conversation = None
            if (status == 200 and self.kind == ApiRequest.CHAT and settings.PLAYGROUND_GATEWAY_SAVE_CONVERSATIONS
                    and not self.written):
                conversation = save_conversation(self.token.user, self.plan.request.messages, self.plan, verdict)
            self._write(status, error_code, verdict, conversation)


def _named(model_name) -> tuple[str, str]:
    """The provider and model a refused request named, as far as they can be read."""
    provider, _, model = model_name.partition("/") if isinstance(model_name, str) else ("", "", "")
    return provider, model
