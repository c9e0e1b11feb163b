"""What an OpenAI-compatible `/models` list may say about a model, beyond its id.

Servers add their own fields (OpenRouter's `architecture` and `supported_parameters`, a `capabilities`
list or object); each reader returns None where the list says nothing.
"""
import re

IMAGE_MODELS = re.compile(r"(dall-e-|gpt-image-|chatgpt-image)")  # OpenAI's image models, by id (editable in the admin)


def sees(architecture) -> bool | None:
    """Whether a model takes images, from the `architecture.input_modalities` some servers list (OpenRouter)."""
    modalities = architecture.get("input_modalities") if isinstance(architecture, dict) else None
    return "image" in modalities if isinstance(modalities, list) else None


def completes(capabilities) -> bool | None:
    """Whether a model serves text completion, from a `capabilities` list or object some servers add."""
    if isinstance(capabilities, list):
        return "completion" in capabilities or "completions" in capabilities
    if isinstance(capabilities, dict) and isinstance(capabilities.get("completion"), bool):
        return capabilities["completion"]
    return None


def draws(model_id: str, architecture) -> bool | None:
    """Whether a model makes images: the `architecture.output_modalities` some servers list (OpenRouter), else
    OpenAI's image model ids."""
    modalities = architecture.get("output_modalities") if isinstance(architecture, dict) else None
    if isinstance(modalities, list):
        return "image" in modalities
    return True if IMAGE_MODELS.match(model_id) else None


def reasons(parameters) -> bool | None:
    """Whether a model takes reasoning controls, from the `supported_parameters` some servers list (OpenRouter)."""
    if not isinstance(parameters, list):
        return None
    return bool({"reasoning", "reasoning_effort"} & set(parameters))
