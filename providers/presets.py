"""Known providers, as data: providers/presets.json.

A preset fills a new Provider's fields; nothing else branches on it.
"""
import json
from functools import lru_cache
from pathlib import Path

from providers.models import CAPABILITY_FIELDS

PRESETS_FILE = Path(__file__).with_name("presets.json")
PROVIDER_FIELDS = ("name", "kind", "base_url", "default_model", "notes")


@lru_cache(maxsize=1)
def load_presets() -> tuple[dict, ...]:
    """Every preset, in file order."""
    return tuple(json.loads(PRESETS_FILE.read_text()))


def all_presets() -> list[dict]:
    return [dict(p) for p in load_presets()]


def get_preset(slug: str) -> dict:
    """The preset called `slug`; ValueError naming the known ones if there is none."""
    for preset in load_presets():
        if preset["slug"] == slug:
            return dict(preset)
    known = ", ".join(p["slug"] for p in load_presets())
    raise ValueError(f"No preset {slug!r}; known presets: {known}.")


def list_prices(slug: str) -> dict[str, tuple[float, float]]:
    """USD per million (input, output) tokens of the models a preset knows the list price of."""
    for preset in load_presets():
        if preset["slug"] == slug:
            return {model: (pair[0], pair[1]) for model, pair in (preset.get("prices") or {}).items()}
    return {}


def reasoning_models(slug: str) -> frozenset[str]:
    """The models of a preset known to take reasoning controls (where discovery cannot tell)."""
    for preset in load_presets():
        if preset["slug"] == slug:
            return frozenset(preset.get("reasoning_models") or ())
    return frozenset()


def completion_models(slug: str) -> frozenset[str]:
    """The models of a preset known to serve text completion where the provider as a whole does not."""
    for preset in load_presets():
        if preset["slug"] == slug:
            return frozenset(preset.get("completion_models") or ())
    return frozenset()


def provider_values(preset: dict) -> dict:
    """The Provider field values a preset sets (no key: only the variable's name)."""
    values = {field: preset.get(field) or "" for field in PROVIDER_FIELDS}
    values.update({field: bool(preset.get(field, True)) for field in CAPABILITY_FIELDS.values()})
    values["api_key_env"] = preset.get("api_key_env") or ""
    values["options"] = dict(preset.get("options") or {})
    values["preset"] = preset["slug"]
    return values


def apply_preset(provider, preset: dict | str):
    """Set a (usually unsaved) provider's fields from a preset; returns the provider."""
    if isinstance(preset, str):
        preset = get_preset(preset)
    for field, value in provider_values(preset).items():
        setattr(provider, field, value)
    if not provider.slug:
        provider.slug = preset["slug"]
    return provider
