"""Azure OpenAI: the OpenAI format with deployment URLs, an api-version and an api-key header.

The model id is the deployment name. Options: `api_version` (default
"2024-10-21"), `auth` ("bearer" sends the key as `Authorization: Bearer`, for
Entra ID tokens; otherwise `api-key`).
"""
from providers import http
from providers.adapters.openai import OpenAIAdapter, openai_sdk_sample
from providers.samples import Sample, fetch_javascript
from providers.shape import Fields
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

    def embeddings_url(self, model: str) -> str:
        return f"{self.root()}/deployments/{model}/embeddings"
    def images_url(self, model: str) -> str:
        return f"{self.root()}/deployments/{model}/images/generations"

    def api_version(self) -> str:
        return self.config.options.get("api_version", DEFAULT_API_VERSION)

    def query_params(self) -> dict:
        return {"api-version": self.api_version()}

    def bearer(self) -> bool:
        return self.config.options.get("auth") == "bearer"

    def auth_headers(self) -> dict:
        key = self.config.key()
        if not key:
            return {}
        return {"Authorization": f"Bearer {key}"} if self.bearer() else {"api-key": key}

    def include_model_in_body(self) -> bool:
        return False

    def javascript_sample(self, sample: Sample, env_var: str) -> str:
        return fetch_javascript(sample, env_var)  # not the OpenAI client of the parent: Azure's URLs and key header

    def python_sample(self, sample: Sample, env_var: str) -> str:
        credential = "azure_ad_token" if self.bearer() else "api_key"
        client = (f"AzureOpenAI(azure_endpoint={self.config.base_url.rstrip('/')!r}, "
                  f"api_version={self.api_version()!r}, {credential}=os.environ[{env_var!r}]")
        return openai_sdk_sample("AzureOpenAI", client, {"model": sample.model, **sample.body},
                                 self.config.extra_headers)

    async def list_models(self) -> list[ModelInfo]:
        """The deployments (what a chat names), or the resource's models where deployments cannot be listed."""
        try:
            data = await http.request_json(self.config, "GET", self.models_url(), headers=self.headers(),
                                           params=self.query_params())
        except ProviderError as error:
            if error.code != NOT_FOUND:
                raise
            return await self.list_models_at(f"{self.root()}/models")
        models = []
        for item in self._items(data):
            deployment, model = item.text("id"), item.text("model")
            models.append(ModelInfo(id=deployment, display_name=f"{deployment} ({model})" if model else deployment))
        return models

    async def list_models_at(self, url: str) -> list[ModelInfo]:
        data = await http.request_json(self.config, "GET", url, headers=self.headers(), params=self.query_params())
        return [ModelInfo(id=item.text("id"), display_name=item.text("id")) for item in self._items(data)]

    def _items(self, data) -> list[Fields]:
        return [item for item in Fields(data, "model list", self.config.name).objects("data") if item.text("id")]
