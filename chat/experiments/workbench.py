"""An experiment on the workbench: prompt versions × models × dataset rows × repeats, judged by evaluators.

Checks what is submitted (versions and a dataset the person may read, evaluator configs, a cost cap) and
builds each cell's request: the version's messages filled with the row's values, sent with the version's
settings (params, tools, tool_choice, response_format) to one of the experiment's models.
"""
from chat.errors import ApiError, BadFrame
from chat.frames import Settings, settings_from
from chat.workbench import evaluators, variables
from chat.workbench.models import Dataset, DatasetRow, PromptVersion
from providers import types

MAX_VERSIONS = 10
VERSION_SETTINGS = ("params", "tools", "tool_choice", "response_format")


class Invalid(ValueError):
    """A submitted experiment that cannot be saved; the message says what to fix."""


def _ids(raw, what: str) -> list[int]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in raw):
        raise Invalid(f"{what} must be a list of ids.")
    return list(dict.fromkeys(raw))


def versions(raw, user=None) -> list[PromptVersion]:
    ids = _ids(raw, "prompt_versions")
    if len(ids) > MAX_VERSIONS:
        raise Invalid(f"Compare at most {MAX_VERSIONS} prompt versions at once.")
    found = {v.pk: v for v in PromptVersion.objects.select_related("prompt").filter(pk__in=ids)}
    for pk in ids:
        if pk not in found or (user is not None and not found[pk].prompt.can_read(user)):
            raise Invalid(f"There is no prompt version {pk} you can read.")
    return [found[pk] for pk in ids]


def dataset(raw, user=None) -> int | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise Invalid("dataset must be a dataset id.")
    found = Dataset.objects.filter(pk=raw).first()
    if found is None or (user is not None and not found.can_read(user)):
        raise Invalid(f"There is no dataset {raw} you can read.")
    return found.pk


def evaluator_configs(raw) -> list[dict]:
    try:
        return evaluators.check_all(raw)
    except evaluators.Invalid as invalid:
        raise Invalid(str(invalid)) from None


def cost_cap(raw) -> float | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
        raise Invalid("cost_cap must be a positive number of dollars.")
    return float(raw)


def settings_of(version: PromptVersion) -> Settings:
    """The version's own settings (params, tools, tool_choice, response_format), parsed like a chat.send frame's."""
    stored = version.settings or {}
    try:
        return settings_from({name: stored.get(name) for name in VERSION_SETTINGS})
    except BadFrame as error:
        raise Invalid(f"{version}: {error}") from None


def live_rows(dataset_id: int | None) -> list[DatasetRow]:
    if dataset_id is None:
        return []
    return list(DatasetRow.objects.filter(dataset_id=dataset_id, removed__isnull=True).order_by("id"))


def dataset_version(dataset_id: int | None) -> int | None:
    return Dataset.objects.filter(pk=dataset_id).values_list("version", flat=True).first() if dataset_id else None


class Missing(ValueError):
    """A cell whose row lacks a value its prompt needs: that cell's error."""


def cell_messages(messages: list[dict], values: dict) -> list[types.Message]:
    """The prompt's messages filled with the row's values, as neutral messages; raises Missing."""
    try:
        filled = variables.fill_messages(messages, values)
    except ApiError as error:
        raise Missing(error.message) from None
    return [types.Message(m["role"], m["content"]) for m in filled]


def input_text(messages: list[types.Message]) -> str:
    """What a judge is shown as {{input}}: the last user message sent."""
    return next((m.content for m in reversed(messages) if m.role == "user"), "")
