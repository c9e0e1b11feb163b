"""Evaluators that need no model: text matches, regex, JSON and its schema, a JSON path, tool calls, limits on
latency / cost / tokens, and similarity to the expected output.

Each kind has `check(config) -> config` (raises Invalid at attach time) and `evaluate(config, case) ->
(passed, score, reason)` (raises Failed for a problem of that one cell: its verdict carries the error, the run
goes on). An evaluator's reference (value, pattern, schema) is its config's or, when left out, the row's
expected output.
"""
import difflib
import json
import re

from chat.validation import check_schema, validate_json_text


class Invalid(ValueError):
    """An evaluator config that cannot be attached; the message says what to fix."""


class Failed(ValueError):
    """The evaluator could not judge this cell (e.g. the row's expected output is not a valid pattern)."""


def _text(config: dict, name: str, required: bool = False) -> str | None:
    value = config.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise Invalid(f"{config['kind']}: {name} must be {'non-empty ' if required else ''}text.")
    return value


def _number(config: dict, name: str, low: float = 0, high: float | None = None) -> float:
    value = config.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low \
            or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise Invalid(f"{config['kind']}: {name} must be a number {bounds}.")
    return value


def _reference(config: dict, case: dict, name: str) -> str:
    value = config.get(name)
    if value is None:
        value = case.get("expected") or ""
        if not value:
            raise Failed(f"No {name} in the evaluator and no expected output on this row.")
    return value


# Text ---------------------------------------------------------------------------------------

def check_text(config: dict) -> dict:
    _text(config, "value")
    if not isinstance(config.get("case_sensitive", True), bool):
        raise Invalid(f"{config['kind']}: case_sensitive must be true or false.")
    return config


TEXT_TESTS = {  # kind: (test, said when it passes, said when it fails)
    "equals": (lambda out, ref: out.strip() == ref.strip(), "equals", "does not equal"),
    "contains": (lambda out, ref: ref in out, "contains", "does not contain"),
    "not_contains": (lambda out, ref: ref not in out, "does not contain", "contains"),
    "starts_with": (lambda out, ref: out.lstrip().startswith(ref), "starts with", "does not start with"),
}


def evaluate_text(config: dict, case: dict):
    output, reference = case["output"], _reference(config, case, "value")
    if not config.get("case_sensitive", True):
        output, reference = output.casefold(), reference.casefold()
    test, yes, no = TEXT_TESTS[config["kind"]]
    passed = test(output, reference)
    return passed, None, f"The output {yes if passed else no} {reference[:80]!r}."


# Regex --------------------------------------------------------------------------------------

def _compile(pattern: str, ignore_case: bool) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def check_regex(config: dict) -> dict:
    pattern = _text(config, "pattern")
    if pattern is not None:
        try:
            _compile(pattern, False)
        except re.error as error:
            raise Invalid(f"regex: the pattern is not a valid regular expression ({error}).") from None
    return config


def evaluate_regex(config: dict, case: dict):
    pattern = _reference(config, case, "pattern")
    try:
        found = _compile(pattern, not config.get("case_sensitive", True)).search(case["output"])
    except re.error as error:
        raise Failed(f"Not a valid regular expression: {pattern[:80]!r} ({error}).") from None
    return bool(found), None, f"{'Matches' if found else 'No match for'} /{pattern[:80]}/."


# JSON -----------------------------------------------------------------------------------------

def check_nothing(config: dict) -> dict:
    return config


def evaluate_is_json(config: dict, case: dict):
    result = validate_json_text(case["output"], None)
    return result["valid"], None, "Valid JSON." if result["valid"] else result["errors"][0]["message"]


def _schema(raw) -> dict:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Failed("The expected output is not a JSON schema (not JSON).") from None
    problems = check_schema(raw)
    if problems:
        raise Failed("Not a JSON schema: " + "; ".join(problems))
    return raw


def check_json_schema(config: dict) -> dict:
    if config.get("schema") is not None:
        try:
            _schema(config["schema"])
        except Failed as failed:
            raise Invalid(f"json_schema: {failed}") from None
    return config


def evaluate_json_schema(config: dict, case: dict):
    schema = _schema(config["schema"] if config.get("schema") is not None else _reference(config, case, "schema"))
    result = validate_json_text(case["output"], schema)
    if result["valid"]:
        return True, None, "Valid against the schema."
    return False, None, "; ".join(f"{e['path']}: {e['message']}" for e in result["errors"][:3])


PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")


def parse_path(path: str) -> list:
    """`$.a.b[0]["c d"]` as steps ["a", "b", 0, "c d"]; raises Invalid for anything else."""
    if not path.startswith("$"):
        raise Invalid("json_path: a path starts with $ (e.g. $.answer or $.items[0].name).")
    steps, at = [], 1
    while at < len(path):
        match = PATH_STEP.match(path, at)
        if not match:
            raise Invalid(f"json_path: cannot read {path[at:]!r} in the path (use .name, [0] or [\"name\"]).")
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
        at = match.end()
    return steps


def check_json_path(config: dict) -> dict:
    parse_path(_text(config, "path", required=True))
    return config


def evaluate_json_path(config: dict, case: dict):
    result = validate_json_text(case["output"], None)
    if not result["valid"]:
        return False, None, result["errors"][0]["message"]
    found = result["value"]
    for step in parse_path(config["path"]):
        container_ok = isinstance(found, list) if isinstance(step, int) else isinstance(found, dict)
        if not container_ok or (isinstance(step, int) and step >= len(found)) or (isinstance(step, str) and step not in found):
            return False, None, f"{config['path']} is not in the output."
        found = found[step]
    if "value" in config:
        wanted = config["value"]
    else:
        reference = _reference(config, case, "value")
        try:
            wanted = json.loads(reference)
        except ValueError:
            wanted = reference
    passed = found == wanted
    shown = json.dumps(found, ensure_ascii=False)[:80]
    return passed, None, f"{config['path']} is {shown}" + ("." if passed else f", not {json.dumps(wanted)[:80]}.")


# Tool calls -----------------------------------------------------------------------------------------

def check_tool_called(config: dict) -> dict:
    _text(config, "tool", required=True)
    if config.get("schema") is not None and check_schema(config["schema"]):
        raise Invalid("tool_called: schema is not a JSON schema: " + "; ".join(check_schema(config["schema"])))
    return config


def evaluate_tool_called(config: dict, case: dict):
    calls = [c for c in case.get("tool_calls") or [] if c["name"] == config["tool"]]
    if not calls:
        return False, None, f"{config['tool']} was not called."
    for call in calls:
        if config.get("schema") is not None:
            verdict = validate_json_text(call["arguments"] or "{}", config["schema"])
        else:
            verdict = call.get("validation") or {"valid": True, "errors": []}
        if not verdict["valid"]:
            first = verdict["errors"][0]
            return False, None, f"{config['tool']} was called with invalid arguments: {first['path']}: {first['message']}"
    return True, None, f"{config['tool']} was called with valid arguments."


# Limits -------------------------------------------------------------------------------------------

def check_limit(config: dict) -> dict:
    _number(config, "max")
    return config


LIMITS = {"latency": ("duration_ms", "Latency", "ms"), "cost": ("cost", "Cost", "$"), "tokens": ("tokens", "Tokens", "")}


def evaluate_limit(config: dict, case: dict):
    field, label, unit = LIMITS[config["kind"]]
    value = case.get(field)
    if value is None:
        raise Failed(f"{label} is not known for this run (the provider reported none).")
    passed = value <= config["max"]
    shown = f"${value:.6f}" if unit == "$" else f"{round(value, 1)}{' ' + unit if unit else ''}"
    return passed, None, f"{label} {shown} {'≤' if passed else '>'} {config['max']}."


# Similarity -------------------------------------------------------------------------------------------

def check_similarity(config: dict) -> dict:
    config.setdefault("min", 0.8)
    _number(config, "min", 0, 1)
    return config


def evaluate_similarity(config: dict, case: dict):
    reference = _reference(config, case, "value")
    ratio = round(difflib.SequenceMatcher(None, case["output"].strip(), reference.strip()).ratio(), 3)
    passed = ratio >= config["min"]
    return passed, ratio, f"Similarity {ratio} {'≥' if passed else '<'} {config['min']}."
