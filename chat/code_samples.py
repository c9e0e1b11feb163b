""""View code": the exact request behind a reply, as curl and as Python.

The body comes from the provider's own adapter (`build_body`), so it is what
was sent on the wire. The adapter builds its headers against a placeholder
secret, `$<ENV VAR>`, so the real key is never read, let alone shown.
"""
import json
import pprint
from dataclasses import replace

from chat.frames import Settings
from chat.history import branch, neutral_messages
from chat.models import Conversation, Message
from chat.requests import chat_request
from providers import registry
from providers.adapters.openai import OpenAIAdapter
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
    settings, path = _target(conversation, message_id, content)
    provider = Provider.objects.filter(slug=settings.provider).first() if settings.provider else None
    if provider is None:
        raise NoSample("Pick a provider first: this conversation has none.")
    model = settings.model or provider.default_model
    env_var = provider.api_key_env or PLACEHOLDER_ENV
    adapter = _adapter(provider, model, env_var)
    request = chat_request(settings, model, neutral_messages(path, settings.system))
    body = adapter.build_body(request, stream=True)
    url = adapter.chat_url(model)
    headers = adapter.headers()
    return {"provider": provider.slug, "model": model, "env_var": env_var, "url": url, "body": body,
            "curl": curl(url, headers, adapter.query_params(), body),
            "python": python(adapter, url, headers, body, env_var)}


def _shell_quote(text: str) -> str:
    """Double quotes, so a `$VAR` placeholder expands and nothing else does."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def curl(url: str, headers: dict, params: dict | None, body: dict) -> str:
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    lines = [f"curl -N {_shell_quote(url)}", '  -H "Content-Type: application/json"']
    lines += [f"  -H {_shell_quote(f'{name}: {value}')}" for name, value in headers.items()]
    lines.append("  -d @- <<'JSON'")
    return " \\\n".join(lines) + "\n" + json.dumps(body, indent=2, ensure_ascii=False) + "\nJSON\n"


def _literal(value, indent: int) -> str:
    text = pprint.pformat(value, width=100 - indent, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def python(adapter, url: str, headers: dict, body: dict, env_var: str) -> str:
    if isinstance(adapter, OpenAIAdapter) and adapter.include_model_in_body():
        return _openai_sdk(adapter, body, env_var)
    return _httpx(url, headers, adapter.query_params(), body, env_var)


def _openai_sdk(adapter, body: dict, env_var: str) -> str:
    base_url = adapter.config.base_url.rstrip("/")
    lines = ["import os", "", "from openai import OpenAI", "",
             f"client = OpenAI(base_url={base_url!r}, api_key=os.environ[{env_var!r}])"]
    if adapter.config.extra_headers:
        lines[-1] = lines[-1][:-1] + f", default_headers={_literal(adapter.config.extra_headers, 4)})"
    lines += ["", "stream = client.chat.completions.create("]
    lines += [f"    {name}={_literal(value, 4)}," for name, value in body.items()]
    lines += [")", "for chunk in stream:",
              "    if chunk.choices and chunk.choices[0].delta.content:",
              '        print(chunk.choices[0].delta.content, end="", flush=True)',
              "print()", ""]
    return "\n".join(lines)


def _httpx(url: str, headers: dict, params: dict | None, body: dict, env_var: str) -> str:
    placeholder = f"${env_var}"
    shown = {name: value.replace(placeholder, "{key}") for name, value in headers.items()}
    header_lines = ",\n".join(f"    {name!r}: f{value!r}" if "{key}" in value else f"    {name!r}: {value!r}"
                              for name, value in shown.items())
    query = {k: ("{key}" if placeholder in str(v) else v) for k, v in (params or {}).items()}
    lines = ["import os", "", "import httpx", "", f"key = os.environ[{env_var!r}]",
             "headers = {", header_lines, "}", f"body = {_literal(body, 7)}", "",
             f"with httpx.stream('POST', {url!r}, headers=headers, json=body, timeout=180"
             + (f", params={{k: v.format(key=key) for k, v in {query!r}.items()}}" if query else "") + ") as response:",
             "    for line in response.iter_lines():", "        print(line)", ""]
    return "\n".join(lines)
