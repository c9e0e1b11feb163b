"""Maps a provider kind to its adapter class, imported on first use.

This is the only place outside providers/adapters/ that names a kind.
"""
from django.utils.module_loading import import_string

ADAPTERS = {
    "openai": "providers.adapters.openai.OpenAIAdapter",
    "anthropic": "providers.adapters.anthropic.AnthropicAdapter",
    "gemini": "providers.adapters.gemini.GeminiAdapter",
    "ollama": "providers.adapters.ollama.OllamaAdapter",
    "azure": "providers.adapters.azure.AzureOpenAIAdapter",
}
LABELS = {
    "openai": "OpenAI-compatible",
    "anthropic": "Anthropic Messages",
    "gemini": "Google Gemini",
    "ollama": "Ollama (native)",
    "azure": "Azure OpenAI",
}
_loaded: dict = {}


def available_kinds() -> list[str]:
    """Kinds whose adapter module exists in this build."""
    kinds = []
    for kind in ADAPTERS:
        try:
            adapter_class(kind)
        except ImportError:
            continue
        kinds.append(kind)
    return kinds


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, LABELS[kind]) for kind in ADAPTERS]


def adapter_class(kind: str):
    if kind not in _loaded:
        if kind not in ADAPTERS:
            raise ValueError(f"Unknown provider kind {kind!r}; known kinds: {', '.join(ADAPTERS)}.")
        _loaded[kind] = import_string(ADAPTERS[kind])
    return _loaded[kind]


def get_adapter(config):
    """The adapter for a ProviderConfig."""
    return adapter_class(config.kind)(config)
