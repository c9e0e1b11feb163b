"""OpenAI's error shape, with the status each failure gets on /v1."""
import math

from django.http import JsonResponse

from chat.errors import BadFrame, Refused
from providers import types

TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
         404: "invalid_request_error", 429: "rate_limit_error"}
REFUSED = {"bad_request": 400, "forbidden": 403, "model_not_allowed": 403, "not_found": 404, "quota_exceeded": 429}
# A provider's failure, as in chat: the code says whose fault it is; the caller's own key was fine.
PROVIDER = {types.BAD_REQUEST: 400, types.NOT_FOUND: 404, types.RATE_LIMITED: 429, types.TIMEOUT: 504,
            types.UNAVAILABLE: 503, types.PROVIDER_AUTH: 502, types.PROVIDER_ERROR: 502}


class GatewayError(Exception):
    """A /v1 request that fails: its status, message, OpenAI error code and, for 429, Retry-After seconds."""

    def __init__(self, status: int, message: str, code: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.retry_after = status, message, code, retry_after

    @classmethod
    def of(cls, problem: Exception) -> "GatewayError":
        """The GatewayError for a refusal, a bad body or a provider's error."""
        if isinstance(problem, GatewayError):
            return problem
        if isinstance(problem, BadFrame):
            return cls(400, str(problem), "invalid_request")
        if isinstance(problem, Refused):
            code = "model_not_found" if problem.code == "not_found" else problem.code
            return cls(REFUSED.get(problem.code, 400), problem.message, code, problem.retry_after)
        if isinstance(problem, types.ProviderError):
            return cls(PROVIDER.get(problem.code, 502), problem.message, problem.code, problem.retry_after)
        raise TypeError(problem)

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": TYPES.get(self.status, "api_error"), "param": None,
                          "code": self.code}}

    def response(self) -> JsonResponse:
        response = JsonResponse(self.body(), status=self.status)
        if self.retry_after is not None:
            response["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return response
