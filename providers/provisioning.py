"""Providers created at start-up from API key variables in the environment."""
import os

from providers import registry
from providers.models import Provider
from providers.presets import all_presets, apply_preset


def _candidates(environ) -> dict[str, list[dict]]:
    """Presets whose key variable is set and whose adapter exists, by variable."""
    available = set(registry.available_kinds())
    found: dict[str, list[dict]] = {}
    for preset in all_presets():
        variable = preset.get("api_key_env")
        if variable and environ.get(variable) and preset["kind"] in available:
            found.setdefault(variable, []).append(preset)
    return found


def _choose(presets: list[dict]) -> dict:
    """A native preset over the compatibility layer it stands in for."""
    primaries = [p for p in presets if not p.get("fallback_for")]
    return (primaries or presets)[0]


def provision_from_environment(environ=os.environ) -> list[Provider]:
    """Create one provider per key variable set, if none uses it yet; returns the new ones.

    The provider reads its key from the variable: the key is never copied to the database.
    """
    created = []
    for variable, presets in _candidates(environ).items():
        preset = _choose(presets)
        if Provider.objects.filter(api_key_env=variable).exists():
            continue
        if Provider.objects.filter(slug=preset["slug"]).exists():
            continue
        provider = apply_preset(Provider(), preset)
        provider.save()
        created.append(provider)
    return created
