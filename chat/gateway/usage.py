"""Recording gateway requests: one row a request, written once when it ends or is refused."""
import time
from dataclasses import dataclass, field

from chat.gateway.models import ApiRequest, ApiToken


@dataclass
class Recorder:
    """What is known of one /v1 request so far, and its one write."""

    token: ApiToken
    started: float
    stream: bool = False
    model_name: str | None = None  # as the caller named it
    provider: str = ""
    model: str = ""
    written: bool = field(default=False, init=False)

    def planned(self, plan) -> None:
        self.provider, self.model = plan.provider_slug, plan.model
        self.model_name = f"{plan.provider_slug}/{plan.model}"

    def _write(self, status: int, error_code: str = "", verdict: dict | None = None) -> ApiRequest | None:
        if self.written:
            return None
        self.written = True
        provider, _, model = (self.model_name or "").partition("/") if not self.provider else (self.provider, "", self.model)
        counts = (verdict or {}).get("usage") or {}
        return ApiRequest.objects.create(
            user_id=self.token.user_id, token=self.token, provider=provider[:60], model=model[:200], stream=self.stream,
            status=status, error_code=error_code or "", prompt_tokens=counts.get("prompt_tokens"),
            completion_tokens=counts.get("completion_tokens"), total_tokens=counts.get("total_tokens"),
            cost=(verdict or {}).get("cost"), latency_ms=round((time.perf_counter() - self.started) * 1000, 1))

    def refused(self, error) -> None:
        self._write(error.status, error.code or "")

    def finished(self, status: int, verdict: dict, error_code: str = "") -> None:
        self._write(status, error_code, verdict)
