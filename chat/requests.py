"""From what a user asked for to everything a run needs: one `plan()` for chat, experiments and the gateway.

A plan resolves and authorises the provider and model (through a short-lived
cache: this is on the path to every first token), builds the neutral
ChatRequest, applies the model's capabilities (refusal or a declared
fallback), and carries what judging the reply needs: the tools, the schema
and the price.
"""
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save

from chat import capabilities
from chat.errors import Refused
from chat.config_cache import BriefCache
from chat.frames import Settings
from chat.gateway import quotas
from chat.mcp import catalog as mcp_catalog
from providers import registry, types
from providers.models import Provider, ProviderModel


@dataclass
class Plan:
    """One request, ready to send, and what its reply is judged against."""

    provider: Provider
    row: ProviderModel | None  # None: the provider's default model, not listed
    model: str
    adapter: object
    request: types.ChatRequest
    stream: bool = True
    fallback: str | None = None  # a capability the request was adapted for, said to the user
    tools: list = field(default_factory=list)  # OpenAI-shaped, for validating calls
    tool_choice: object = None
    json_schema: dict | None = None
    structured: bool = False
    settings: dict = field(default_factory=dict)  # as stored on the reply

    @property
    def provider_slug(self) -> str:
        return self.provider.slug

    @property
    def price(self) -> ProviderModel | None:
        return self.row

    @property
    def label(self) -> str:
        return f"{self.provider.name} · {self.model}"


def plan(settings: Settings, messages: list[types.Message], user=None, requests: int = 1) -> Plan:
    """The plan for `messages` under `settings`; raises Refused for anything the user cannot send.

    With `user`, the plan is for `requests` to send now: they are counted against the user's quotas
    (`chat.gateway.quotas.QuotaExceeded`, a Refused, when one is used up).
    """
    provider, row, model_id = resolve_model(settings.provider, settings.model)
    if row is not None and row.purpose == ProviderModel.EMBEDDING:
        raise Refused("bad_request", f"{model_id} of {provider.name} is an embedding model: it does not chat "
                                     "(use it on the Embeddings page).")
    caps = row.capabilities() if row else provider.capabilities()
    # MCP tools are offered to chats only: a completion takes no tools (and refuses the user's own).
    tools = settings.tools + ([] if settings.completion else mcp_catalog.function_tools(settings.mcp_servers, settings.tools))
    request = chat_request(settings, model_id, messages, tools)
    try:
        request, fallback = capabilities.plan(request, caps, f"{provider.name} · {model_id}")
    except capabilities.CapabilityError as error:
        raise Refused("bad_request", str(error)) from None
    if request.completion and not registry.adapter_class(provider.kind).serves_completions:
        raise Refused("bad_request", f"The {provider.name} API has no text completion endpoint; switch to Chat.")
    if user is not None:
        quotas.admit(user, requests)
    adapter = provider.adapter(row)
    fmt = settings.response_format or {}
    unsent = [name for name in capabilities.REASONING_CONTROLS
              if getattr(request.params, name) is not None and name not in adapter.reasoning_controls()]
    if request.completion and request.params.logprobs is not None and not adapter.completion_logprobs:
        unsent.append("logprobs")
    notes = (fallback, adapter.structured_fallback(request),
             f"{', '.join(unsent)} not sent: the {provider.name} API has no such control" if unsent else None)
    return Plan(
        provider=provider, row=row, model=model_id, adapter=adapter, request=request,
        stream=capabilities.use_streaming(request, caps),
        fallback="; ".join(note for note in notes if note) or None, tools=tools,
        tool_choice=settings.tool_choice, json_schema=(fmt.get("json_schema") or {}).get("schema"),
        structured=fmt.get("type") in ("json_object", "json_schema"),
        settings={**settings.as_dict(), "model": model_id},
    )


# Resolving a model ---------------------------------------------------------------------------

_models = BriefCache().clear_on(*((signal, sender) for signal in (post_save, post_delete)
                                  for sender in (Provider, ProviderModel)))


def resolve_model(provider_slug: str | None, model_id: str | None) -> tuple[Provider, ProviderModel | None, str]:
    """The enabled provider and model a request names (the provider's default model when none is named).

    Cached for a few seconds: it is on the path to every first token.
    """
    return _models.get((provider_slug, model_id), lambda: _resolve_model(provider_slug, model_id))


def _resolve_model(provider_slug: str | None, model_id: str | None) -> tuple[Provider, ProviderModel | None, str]:
    if not provider_slug:
        raise Refused("bad_request", "Pick a provider.")
    provider = Provider.objects.filter(slug=provider_slug).first()
    if provider is None:
        raise Refused("not_found", f"Unknown provider {provider_slug!r}.")
    if not provider.enabled:
        raise Refused("forbidden", f"The provider {provider.name} is disabled by an admin.")
    model_id = model_id or provider.default_model
    if not model_id:
        raise Refused("bad_request", f"Pick a model of {provider.name}.")
    row = ProviderModel.objects.filter(provider=provider, model_id=model_id).order_by().first()
    if row is not None:
        row.provider = provider
    if row is None and model_id != provider.default_model:
        raise Refused("not_found", f"Unknown model {model_id!r} on {provider.name}.")
    if row is not None and not row.enabled:
        raise Refused("forbidden", f"The model {model_id} of {provider.name} is disabled by an admin.")
    return provider, row, model_id


# The neutral request -------------------------------------------------------------------------


def _params(raw: dict) -> types.Params:
    values = {k: v for k, v in raw.items() if k != "stop"}
    return types.Params(stop=tuple(raw.get("stop") or ()), **values)


def _tools(raw: list) -> tuple[types.Tool, ...]:
    tools = []
    for tool in raw:
        function = tool["function"]
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        tools.append(types.Tool(function["name"], function.get("description") or "", parameters))
    return tuple(tools)


def _tool_choice(raw) -> types.ToolChoice | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        return types.ToolChoice("function", raw["function"]["name"])
    return types.ToolChoice(raw)


def response_format(raw: dict | None) -> types.ResponseFormat | None:
    if not raw or raw.get("type") == "text":
        return None
    if raw["type"] == "json_object":
        return types.ResponseFormat("json_object")
    spec = raw.get("json_schema") or {}
    return types.ResponseFormat("json_schema", name=spec.get("name") or "response", schema=spec.get("schema"),
                                strict=bool(spec.get("strict")))


def chat_request(settings: Settings, model: str, messages: list[types.Message], tools: list | None = None) -> types.ChatRequest:
    """The neutral request; `tools` (default: the settings' own) may add those of the conversation's MCP servers.
    In completion mode the last message's text is the raw prompt, and nothing else is sent."""
    tools = _tools(settings.tools if tools is None else tools)
    if settings.completion:
        return types.ChatRequest(model=model, messages=[], params=_params(settings.params), tools=tools,
                                 response_format=response_format(settings.response_format),
                                 prompt=messages[-1].content if messages else "")
    return types.ChatRequest(
        model=model, messages=messages, params=_params(settings.params), tools=tools,
        tool_choice=_tool_choice(settings.tool_choice) if tools else None,
        parallel_tool_calls=settings.parallel_tool_calls if tools else None,
        response_format=response_format(settings.response_format),
    )
