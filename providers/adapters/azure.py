"""Azure OpenAI: the OpenAI format with deployment URLs, an api-version and an api-key header.

The model id is the deployment name. Options: `api_version` (default
"2024-10-21"), `auth` ("bearer" sends the key as `Authorization: Bearer`, for
Entra ID tokens; otherwise `api-key`).
"""
from providers import http
from providers.adapters.openai import OpenAIAdapter
from providers.types import NOT_FOUND, ModelInfo, ProviderError

DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIAdapter(OpenAIAdapter):
    def root(self) -> str:
        return f"{self.config.base_url.rstrip('/')}/openai"

    def chat_url(self, model: str) -> str:
        return f"{self.root()}/deployments/{model}/chat/completions"

    def completions_url(self, model: str) -> str:
        return f"{self.root()}/deployments/{model}/completions"

    def models_url(self) -> str:
        return f"{self.root()}/deployments"

    def query_params(self) -> dict:
        return {"api-version": self.config.options.get("api_version", DEFAULT_API_VERSION)}

    def auth_headers(self) -> dict:
        key = self.config.key()
        if not key:
            return {}
        if self.config.options.get("auth") == "bearer":
            return {"Authorization": f"Bearer {key}"}
        return {"api-key": key}

    def include_model_in_body(self) -> bool:
        return False

    async def list_models(self) -> list[ModelInfo]:
        """The deployments (what a chat names), or the resource's models where deployments cannot be listed."""
        try:
            data = await http.request_json(self.config, "GET", self.models_url(), headers=self.headers(),
                                           params=self.query_params())
        except ProviderError as error:
            if error.code != NOT_FOUND:
                raise
            return await self.list_models_at(f"{self.root()}/models")
        return [ModelInfo(id=d["id"], display_name=f"{d['id']} ({d['model']})" if d.get("model") else d["id"])
                for d in _items(data)]

    async def list_models_at(self, url: str) -> list[ModelInfo]:
        data = await http.request_json(self.config, "GET", url, headers=self.headers(), params=self.query_params())
        return [ModelInfo(id=m["id"], display_name=m["id"]) for m in _items(data)]


def _items(data) -> list[dict]:
    items = data.get("data", []) if isinstance(data, dict) else []
    return [item for item in items if isinstance(item, dict) and item.get("id")]
