"""What a provider model can do decides the request: refuse, or a declared fallback."""
import json
from dataclasses import replace

from providers import types


class CapabilityError(Exception):
    """The request asks for something the model cannot do; the message says what."""


def schema_instruction(fmt: types.ResponseFormat) -> str:
    return ("Reply with one JSON document only, no prose and no code fences, valid against this JSON Schema:\n"
            + json.dumps(fmt.schema or {}, indent=1))


def _with_system_note(request: types.ChatRequest, note: str) -> list[types.Message]:
    messages = list(request.messages)
    if messages and messages[0].role == "system":
        messages[0] = types.Message("system", f"{messages[0].content}\n\n{note}")
    else:
        messages.insert(0, types.Message("system", note))
    return messages


def plan(request: types.ChatRequest, caps: types.Capabilities, model_label: str) -> tuple[types.ChatRequest, str | None]:
    """The request to send and the fallback used (None when sent as asked)."""
    if request.completion:
        return _completion(request, caps, model_label)
    if not caps.vision and any(m.images for m in request.messages):
        raise CapabilityError(f"{model_label} does not take images; remove them or pick another model.")
    if request.tools and not caps.tools:
        raise CapabilityError(f"{model_label} does not support tools; remove the tools or pick another model.")
    request, tool_note = _tool_choice(request, caps, model_label)
    request, format_note = _response_format(request, caps)
    request, reasoning_note = _reasoning(request, caps, model_label)
    notes = [n for n in (tool_note, format_note, reasoning_note) if n]
    return request, "; ".join(notes) or None


def _tool_choice(request: types.ChatRequest, caps: types.Capabilities, model_label: str):
    choice = request.tool_choice
    if not request.tools or choice is None or caps.tool_choice or choice.mode not in ("required", "function"):
        return request, None
    asked = choice.name if choice.mode == "function" else "required"
    note = f"tool_choice {asked!r} unsupported by {model_label}: sent as auto"
    return replace(request, tool_choice=types.ToolChoice("auto")), note


REASONING_CONTROLS = ("reasoning_effort", "thinking_budget", "think")


def _completion(request: types.ChatRequest, caps: types.Capabilities, model_label: str):
    """A text completion: refused where the model does not serve it, and for what only a chat has."""
    if not caps.completions:
        raise CapabilityError(f"{model_label} does not serve text completion (/v1/completions); "
                              "pick a model that does, or switch to Chat.")
    if request.tools:
        raise CapabilityError("Tools do not apply to text completion; remove them or switch to Chat.")
    if request.response_format is not None:
        raise CapabilityError("A response format (JSON) does not apply to text completion; "
                              "set it to text or switch to Chat.")
    return _reasoning(request, caps, model_label)


def _reasoning(request: types.ChatRequest, caps: types.Capabilities, model_label: str):
    """A model without the reasoning capability never gets the controls: they are left out, and said so."""
    asked = [name for name in REASONING_CONTROLS if getattr(request.params, name) is not None]
    if caps.reasoning or not asked:
        return request, None
    params = replace(request.params, **{name: None for name in asked})
    return replace(request, params=params), f"{', '.join(asked)} not sent: {model_label} takes no reasoning controls"


def _response_format(request: types.ChatRequest, caps: types.Capabilities):
    fmt = request.response_format
    if fmt is None:
        return request, None
    if fmt.type == "json_object" and not caps.json_object:
        messages = _with_system_note(request, "Reply with one JSON object only, no prose and no code fences.")
        return replace(request, messages=messages, response_format=None), "json_object unsupported: asked in the system prompt"
    if fmt.type != "json_schema" or caps.json_schema:
        return request, None
    messages = _with_system_note(request, schema_instruction(fmt))
    if caps.json_object:
        fallback_fmt = types.ResponseFormat("json_object")
        note = "json_schema unsupported: json_object with the schema in the system prompt"
        return replace(request, messages=messages, response_format=fallback_fmt), note
    return replace(request, messages=messages, response_format=None), "json_schema unsupported: the schema in the system prompt"


def use_streaming(request: types.ChatRequest, caps: types.Capabilities) -> bool:
    """Stream unless the provider cannot, or cannot stream tool calls on a turn that has tools."""
    return caps.streaming and not (request.tools and not caps.tool_streaming)
