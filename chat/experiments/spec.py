"""Checking an experiment as submitted (JSON from the page or an API client).

Settings are parsed exactly like a `chat.send` frame (chat.frames.settings_from),
and every target is resolved and checked against its capabilities before
anything is stored. A problem raises Invalid with a message for a person.
"""
from dataclasses import replace

from chat.errors import BadFrame, Refused
from chat.experiments import workbench
from chat.experiments.workbench import Invalid
from chat.frames import image_ids, settings_from
from chat.images import attachable, neutral_images
from chat.models import Experiment
from chat.models.attachments import image_url
from chat.requests import Plan, plan
from providers import types

MAX_TARGETS = 20
FIELDS = ("name", "system", "prompt", "messages", "tools", "tool_choice", "response_format", "params", "targets",
          "repeats", "concurrency", "prompt_versions", "dataset", "evaluators", "cost_cap", "images")


def clean(data: dict, current: Experiment | None = None, user=None) -> dict:
    """The model fields for a new experiment (or, with `current`, an edit: unset fields are kept); with `user`,
    the prompt versions and dataset must be ones that user may read.

    `images` (ids of `user`'s uploads) go with the last user message, which each target is sent; a target that
    does not take images is refused here."""
    if not isinstance(data, dict):
        raise Invalid("Send a JSON object.")
    merged = {**(_fields_of(current) if current else {}), **{k: v for k, v in data.items() if k in FIELDS}}
    if "prompt" in data and "messages" not in data:
        merged.pop("messages", None)
    versions = workbench.versions(merged.get("prompt_versions"), user)
    messages = _messages(merged) if not versions or merged.get("messages") or merged.get("prompt") else []
    if messages:
        _attach(messages, data, current, user)
    settings = _settings(merged)
    cleaned = {
        "system": settings.system or "", "messages": messages, "tools": settings.tools,
        "tool_choice": settings.tool_choice, "response_format": settings.response_format,
        "params": settings.params, "targets": _targets(merged.get("targets"), settings, _probe(messages)),
        "repeats": _int(merged.get("repeats", 1), "repeats", 1, Experiment.MAX_REPEATS),
        "concurrency": _concurrency(merged.get("concurrency")),
        "prompt_versions": [v.pk for v in versions], "dataset_id": workbench.dataset(merged.get("dataset"), user),
        "evaluators": workbench.evaluator_configs(merged.get("evaluators")),
        "cost_cap": workbench.cost_cap(merged.get("cost_cap")),
    }
    for version in versions:  # each version's settings must suit each model
        _targets(cleaned["targets"], workbench.settings_of(version))
    cleaned["name"] = _name(merged.get("name"), messages, versions)
    return cleaned


def _fields_of(experiment: Experiment) -> dict:
    return {"name": experiment.name, **experiment.spec()}


def _name(raw, messages: list[dict], versions: list) -> str:
    if raw is not None and not isinstance(raw, str):
        raise Invalid("name must be text.")
    name = " ".join((raw or "").split())
    if not name and versions:
        name = f"{versions[0].prompt.name} " + ", ".join(f"v{v.number}" for v in versions)
    if not name:
        first = " ".join(messages[-1]["content"].split())
        name = first[:77] + "…" if len(first) > 80 else first
    if len(name) > 200:
        raise Invalid("name must be at most 200 characters.")
    return name


def _messages(data: dict) -> list[dict]:
    """`messages` ([{role, content}], user and assistant turns ending with a user one), or one `prompt`."""
    raw = data.get("messages")
    if raw is None:
        prompt = data.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise Invalid("Write the user message (prompt).")
        return [{"role": "user", "content": prompt}]
    if not isinstance(raw, list) or not raw:
        raise Invalid("messages must be a non-empty list of {role, content}.")
    for message in raw:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant") \
                or not isinstance(message.get("content"), str):
            raise Invalid("Each message must be {role: user or assistant, content: text}.")
    if raw[-1]["role"] != "user" or not raw[-1]["content"].strip():
        raise Invalid("The last message must be a non-empty user message.")
    return [{"role": m["role"], "content": m["content"]} for m in raw]


def _attach(messages: list[dict], data: dict, current: Experiment | None, user) -> None:
    """The last message's images: those `data` names (the user's own unused uploads), else those it had."""
    if "images" in data:
        try:
            ids = image_ids(data["images"], "images")
            references = [{**a.reference(), "url": image_url(a.pk)} for a in attachable(user, None, ids)]
        except BadFrame as error:
            raise Invalid(str(error)) from None
        except Refused as refused:
            raise Invalid(refused.message) from None
    else:
        references = (current.messages[-1].get("images") or []) if current and current.messages else []
    if references:
        messages[-1]["images"] = references


def _probe(messages: list[dict]) -> list[types.Message]:
    """What the capability check needs to see: the images of the last message."""
    references = (messages[-1].get("images") or []) if messages else []
    return [types.Message("user", "", images=neutral_images(references))] if references else []


def _settings(data: dict):
    """The submitted settings parsed like a chat.send frame's; raises Invalid."""
    frame = {name: data.get(name) for name in ("system", "params", "tools", "tool_choice", "response_format")}
    try:
        return settings_from(frame)  # the response and tool schemas included
    except BadFrame as error:
        raise Invalid(str(error)) from None


def _targets(raw, settings, probe: list = ()) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("Pick at least one model (targets: [{provider, model}]).")
    if len(raw) > MAX_TARGETS:
        raise Invalid(f"Compare at most {MAX_TARGETS} models at once.")
    targets, seen = [], set()
    for target in raw:
        if not isinstance(target, dict) or not isinstance(target.get("provider"), str) \
                or not isinstance(target.get("model") or "", str):
            raise Invalid("Each target must be {provider: slug, model: id}.")
        planned = _plan(replace(settings, provider=target["provider"], model=target.get("model")), probe)
        if (planned.provider_slug, planned.model) in seen:
            raise Invalid(f"{planned.label} is listed twice.")
        seen.add((planned.provider_slug, planned.model))
        targets.append({"provider": planned.provider_slug, "model": planned.model})
    return targets


def _plan(settings, probe: list) -> Plan:
    """The target resolved and checked against its capabilities (with the images it would be sent)."""
    try:
        return plan(settings, probe)
    except Refused as refused:
        raise Invalid(refused.message) from None


def _int(raw, name: str, low: int, high: int) -> int:
    if isinstance(raw, str) and raw.strip().isdecimal():  # isdigit() also takes "²", which int() refuses
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}.")
    return raw


def _concurrency(raw) -> int | None:
    if raw in (None, ""):
        return None
    return _int(raw, "concurrency", 1, Experiment.MAX_CONCURRENCY)
