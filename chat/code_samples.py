""""View code": the exact request behind a reply, or the one about to be sent, as curl, Python and JavaScript.

The provider's own adapter renders it (`code_samples`), so it is what was sent
on the wire, in that API's shape and with its official SDK. The adapter is
built against a placeholder secret, `$<ENV VAR>`, so the real key is never
read, let alone shown.
"""
from dataclasses import replace

from chat.frames import Settings
from chat.history import branch, neutral_messages
from chat.models import Conversation, Message
from chat.requests import plan
from providers import registry
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


def _sample(settings: Settings, path: list) -> dict:
    """The request as `plan()` makes it (capabilities and fallbacks applied), rendered by the provider's own
    adapter built with a placeholder key."""
    if not settings.provider:
        raise NoSample("Pick a provider first.")
    planned = plan(settings, neutral_messages(path, settings.system))
    env_var = planned.provider.api_key_env or PLACEHOLDER_ENV
    config = planned.provider.config(planned.row.capabilities() if planned.row else None)
    adapter = registry.get_adapter(replace(config, api_key=Secret(lambda: f"${env_var}")))
    return {"provider": planned.provider_slug, "model": planned.model, "env_var": env_var,
            "fallback": planned.fallback, **adapter.code_samples(planned.request, env_var)}


def for_conversation(conversation: Conversation, message_id: int | None, content: str = "") -> dict:
    """The request behind a reply (or the next one of the current branch), the key an environment variable."""
    return _sample(*_target(conversation, message_id, content))


def for_next(conversation: Conversation | None, settings: Settings, content: str) -> dict:
    """The request the settings panel would send now: its settings over the conversation's, then `content`."""
    path = branch(conversation.pk, conversation.latest_message_id()) if conversation else []
    path.append(Message(role=Message.USER, content=content))
    return _sample(settings.merged_over(conversation.settings if conversation else {}), path)
