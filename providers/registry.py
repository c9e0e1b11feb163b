"""Every wire format: its kind, the label people see, and its adapter class (imported on first use).

This is the only place outside providers/adapters/ that names a kind. The
Provider model's `kind` choices are `kind_choices` itself (a callable), so a
new entry here needs no migration.
"""
from typing import NamedTuple

from django.utils.module_loading import import_string


class Kind(NamedTuple):
    label: str
    adapter: str  # dotted path of the Adapter subclass


KINDS = {
    "openai": Kind("OpenAI-compatible", "providers.adapters.openai.OpenAIAdapter"),
    "anthropic": Kind("Anthropic Messages", "providers.adapters.anthropic.AnthropicAdapter"),
    "gemini": Kind("Google Gemini", "providers.adapters.gemini.GeminiAdapter"),
    "ollama": Kind("Ollama (native)", "providers.adapters.ollama.OllamaAdapter"),
    "azure": Kind("Azure OpenAI", "providers.adapters.azure.AzureOpenAIAdapter"),
    "responses": Kind("OpenAI Responses", "providers.adapters.responses.ResponsesAdapter"),
}
_loaded: dict = {}


def available_kinds() -> list[str]:
    """Kinds whose adapter module exists in this build."""
    kinds = []
    for kind in KINDS:
        try:
            adapter_class(kind)
        except ImportError:
            continue
        kinds.append(kind)
    return kinds


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, entry.label) for kind, entry in KINDS.items()]


def adapter_class(kind: str):
    if kind not in _loaded:
        if kind not in KINDS:
            raise ValueError(f"Unknown provider kind {kind!r}; known kinds: {', '.join(KINDS)}.")
        _loaded[kind] = import_string(KINDS[kind].adapter)
    return _loaded[kind]


def get_adapter(config):
    """The adapter for a ProviderConfig."""
    return adapter_class(config.kind)(config)
