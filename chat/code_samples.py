""""View code": the exact request behind a reply, as curl and as Python.

The provider's own adapter renders it (`code_samples`), so it is what was sent
on the wire, in that API's shape and with its official SDK. The adapter is
built against a placeholder secret, `$<ENV VAR>`, so the real key is never
read, let alone shown.
"""
from dataclasses import replace

from chat.frames import Settings
from chat.history import branch, neutral_messages
from chat.models import Conversation, Message
from chat.requests import chat_request
from providers import registry
from providers.models import Provider
from providers.secrets import Secret

PLACEHOLDER_ENV = "PLAYGROUND_KEY"


class NoSample(ValueError):
    """Nothing to show: the message or provider is missing; the text says which."""


def _settings(raw: dict | None) -> Settings:
    return Settings().merged_over({k: v for k, v in (raw or {}).items() if k in Settings.__dataclass_fields__})


def _target(conversation: Conversation, message_id: int | None, content: str):
    """The settings and the branch a request was (or will be) made with."""
    if message_id is None:
        path = branch(conversation.pk, conversation.latest_message_id())
        if content:
            path.append(Message(role=Message.USER, content=content))
        return _settings(conversation.settings), path
    message = conversation.messages.filter(pk=message_id, role=Message.ASSISTANT).first()
    if message is None:
        raise NoSample("message_id must be an assistant message of this conversation.")
    settings = _settings({**(conversation.settings or {}), **(message.request or {})})
    settings.provider = message.provider or settings.provider
    settings.model = message.model or settings.model
    return settings, branch(conversation.pk, message.parent_id)


def _adapter(provider: Provider, model_id: str, env_var: str):
    model = provider.provider_models.filter(model_id=model_id).first()
    config = provider.config(model.capabilities() if model else None)
    return registry.get_adapter(replace(config, api_key=Secret(lambda: f"${env_var}")))


def for_conversation(conversation: Conversation, message_id: int | None, content: str = "") -> dict:
    """The request as the provider's adapter renders it: curl and Python, the key an environment variable."""
    settings, path = _target(conversation, message_id, content)
    provider = Provider.objects.filter(slug=settings.provider).first() if settings.provider else None
    if provider is None:
        raise NoSample("Pick a provider first: this conversation has none.")
    model = settings.model or provider.default_model
    env_var = provider.api_key_env or PLACEHOLDER_ENV
    adapter = _adapter(provider, model, env_var)
    request = chat_request(settings, model, neutral_messages(path, settings.system))
    return {"provider": provider.slug, "model": model, "env_var": env_var, **adapter.code_samples(request, env_var)}
