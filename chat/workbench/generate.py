"""Test cases written by a model: values for a prompt's variables and an expected output, from a description.

It goes the one request path (chat/requests.py plan(), chat/engine.py run() and verdicts()) with a
JSON-schema response format asking for {rows: [{values, expected}]}; what comes back is validated
against that schema, and a model answering anything else gets a clear error. Nothing is stored here:
the rows are shown for review, and the ones kept are added like any others.
"""
from channels.db import database_sync_to_async

from chat import engine
from chat.errors import ApiError
from chat.frames import Settings
from chat.requests import plan
from chat.workbench.dataset_io import NAME
from providers import types
from providers.streaming import ReplyState

MAX_CASES = 20
MAX_DESCRIPTION = 4000
SYSTEM = ("You write test cases for a prompt. Each case gives a value for every variable of the prompt and, "
          "when it can be known, the output a good answer would give. Vary the cases: typical, unusual and edge "
          "cases. Answer only with JSON matching the schema.")


def schema(variables: list[str]) -> dict:
    """{rows: [{values: {each variable: text}, expected: text}]}, strict: every field required, no others."""
    values = {"type": "object", "properties": {name: {"type": "string"} for name in variables},
              "required": list(variables), "additionalProperties": False}
    case = {"type": "object", "properties": {"values": values, "expected": {"type": "string"}},
            "required": ["values", "expected"], "additionalProperties": False}
    return {"type": "object", "properties": {"rows": {"type": "array", "items": case}},
            "required": ["rows"], "additionalProperties": False}


def clean_request(data: dict) -> tuple[list[str], str, int]:
    """The variables, description and count a request asks for; a 400 naming what is wrong."""
    variables = data.get("variables")
    if not isinstance(variables, list) or not variables or not all(isinstance(v, str) and NAME.match(v) for v in variables):
        raise ApiError(400, "Name the variables to fill (letters, digits and _).")
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise ApiError(400, f"description must be text of at most {MAX_DESCRIPTION} characters.")
    count = data.get("count", 5)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CASES:
        raise ApiError(400, f"count must be a whole number from 1 to {MAX_CASES}.")
    return list(dict.fromkeys(variables)), description.strip(), count


def _messages(variables: list[str], description: str, count: int, prompt: str) -> list[types.Message]:
    asked = [f"Write {count} test cases.", "Variables: " + ", ".join(variables) + "."]
    if prompt:
        asked.append(f"The prompt they fill in:\n{prompt}")
    if description:
        asked.append(f"What the cases should cover:\n{description}")
    return [types.Message("system", SYSTEM), types.Message("user", "\n\n".join(asked))]


def settings_for(provider: str, model: str | None, variables: list[str]) -> Settings:
    fmt = {"type": "json_schema", "json_schema": {"name": "test_cases", "schema": schema(variables), "strict": True}}
    return Settings(provider=provider, model=model or None, response_format=fmt)


async def cases(user, provider: str, model: str | None, variables: list[str], description: str, count: int,
                prompt: str = "") -> dict:
    """{model, rows: [{values, expected}]} from the model; Refused for a request the user cannot send (plan()),
    ApiError 502 for a provider failure or an answer that is not test cases."""
    planned = await database_sync_to_async(plan)(settings_for(provider, model, variables),
                                                 _messages(variables, description, count, prompt), user)
    state = ReplyState()
    ending = await engine.run(planned, state)
    if ending.status != engine.COMPLETE:
        message = ending.error.message if ending.error else "The request was cancelled."
        raise ApiError(502, f"{planned.label} could not write test cases: {message}")
    judged = engine.verdicts(state, planned, ending)
    verdict = judged["structured"] or {"valid": False, "errors": [{"path": "$", "message": "no JSON answer"}]}
    if not verdict["valid"]:
        problems = "; ".join(f"{e['path']}: {e['message']}" for e in verdict["errors"][:3])
        raise ApiError(502, f"{planned.label} did not answer with test cases ({problems}). Try again or pick another model.")
    rows = [{"values": r["values"], "expected": r["expected"]} for r in verdict["value"]["rows"][:count]]
    if not rows:
        raise ApiError(502, f"{planned.label} answered with no test cases. Try again or describe them differently.")
    return {"model": planned.label, "rows": rows}


def prompt_variables(user, version_id) -> tuple[list[str], str]:
    """A prompt version's variables and its text (for the model to see what the cases fill in)."""
    from chat.workbench.models import PromptVersion
    from chat.workbench.variables import names_in

    version = PromptVersion.objects.select_related("prompt").filter(pk=version_id).first() \
        if isinstance(version_id, int) and not isinstance(version_id, bool) else None
    if version is None or not version.prompt.can_read(user):
        raise ApiError(404, f"Prompt version {version_id} does not exist.")
    text = "\n\n".join(f"[{m.get('role', 'user')}] {m.get('content') or ''}" for m in version.messages)
    return names_in(version.messages), text
