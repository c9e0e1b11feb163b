"""A loopback Azure OpenAI resource: the OpenAI format behind deployment URLs.

Checks what Azure checks: an `api-key` (or bearer) header, an `api-version`
query parameter, a known deployment.
"""
import re
from dataclasses import replace

from tests.fakes.embeddings import EMBEDDING_MODELS
from tests.fakes.openai import OpenAIFake
from tests.fakes.server import JsonResponse, Recorded

CHAT = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$")
EMBEDDINGS = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/embeddings$")
COMPLETIONS = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/completions$")


class AzureFake(OpenAIFake):
    """Serves /openai/deployments, /openai/models and /openai/deployments/{name}/chat/completions and /embeddings."""

    list_deployments = True  # False: the deployments route answers 404, as on newer API versions

    @property
    def base_url(self) -> str:
        return self.origin

    def sent_key(self, request: Recorded) -> str:
        return request.headers.get("api-key") or super().sent_key(request)

    def error(self, status: int, code: str, message: str) -> JsonResponse:
        return JsonResponse(status, {"error": {"code": code, "message": message}})

    def refusal(self, request: Recorded) -> JsonResponse | None:
        if not self.sent_key(request):
            return self.error(401, "401", "Access denied due to invalid subscription key or wrong API endpoint.")
        if not request.query.get("api-version"):
            return self.error(404, "404", "Resource not found (api-version query parameter is required)")
        return None

    def handle(self, request: Recorded):
        refused = self.refusal(request)
        if refused:
            return refused
        chat = CHAT.match(request.path)
        if request.method == "POST" and chat:
            if chat["deployment"] not in self.models:
                return self.error(404, "DeploymentNotFound", f"The API deployment {chat['deployment']} does not exist.")
            # The parent renders by body["model"]; the recorded request keeps what was sent.
            return self.chat_response(replace(request, body={**(request.body or {}), "model": chat["deployment"]}))
        embed = EMBEDDINGS.match(request.path)
        if request.method == "POST" and embed:
            if embed["deployment"] not in EMBEDDING_MODELS:
                return self.error(404, "DeploymentNotFound", f"The API deployment {embed['deployment']} does not exist.")
            return self.embeddings_response(replace(request, body={**(request.body or {}), "model": embed["deployment"]}))
        text = COMPLETIONS.match(request.path)
        if request.method == "POST" and text:
            if text["deployment"] not in self.models:
                return self.error(404, "DeploymentNotFound", f"The API deployment {text['deployment']} does not exist.")
            return self.completion_response(replace(request, body={**(request.body or {}), "model": text["deployment"]}))
        if request.method == "GET" and request.path == "/openai/deployments" and self.list_deployments:
            return self.deployments_response(request)
        if request.method == "GET" and request.path == "/openai/models":
            return self.models_response(request)
        return self.error(404, "404", "Resource not found")

    def deployments_response(self, request: Recorded):
        if self.replies and self.replies[0].status >= 400:
            return self.failure(self.replies.popleft(), request)
        data = [{"id": m, "model": "gpt-4o", "object": "deployment", "status": "succeeded"} for m in self.models]
        return JsonResponse(200, {"object": "list", "data": data})
