"""Evaluators attached to a run: one registry of kinds, `check(config)` when attached, `evaluate` per cell.

A config is `{kind, name?, ...}`; a verdict is `{name, kind, passed, score, reason, error}`. A verdict with
an `error` (an invalid pattern from the row, a judge answering garbage...) counts as not passed, and the run
goes on. A case is what one cell produced: output, expected, input, tool_calls, duration_ms, cost, tokens.
"""
import contextlib
from dataclasses import dataclass
from typing import Callable

from chat.workbench.evaluators import deterministic as d
from chat.workbench.evaluators import judge
from chat.workbench.evaluators.deterministic import Failed, Invalid

MAX_EVALUATORS = 20


@dataclass(frozen=True)
class Kind:
    kind: str
    label: str
    check: Callable[[dict], dict]
    evaluate: Callable | None  # sync (config, case) -> (passed, score, reason); None: the judge (async)
    example: dict


# The examples leave `value` and `pattern` out so they compare with the row's expected output; an empty "" would be
# compared as it is (equals "" fails every real output).
EVALUATORS = [
    Kind("equals", "Equals", d.check_text, d.evaluate_text, {"case_sensitive": True}),
    Kind("contains", "Contains", d.check_text, d.evaluate_text, {"case_sensitive": False}),
    Kind("not_contains", "Does not contain", d.check_text, d.evaluate_text, {"case_sensitive": False}),
    Kind("starts_with", "Starts with", d.check_text, d.evaluate_text, {"case_sensitive": True}),
    Kind("regex", "Matches a regex", d.check_regex, d.evaluate_regex, {"case_sensitive": True}),
    Kind("is_json", "Is JSON", d.check_nothing, d.evaluate_is_json, {}),
    Kind("json_schema", "Valid against a JSON schema", d.check_json_schema, d.evaluate_json_schema,
         {"schema": {"type": "object"}}),
    Kind("json_path", "A JSON path equals", d.check_json_path, d.evaluate_json_path, {"path": "$.answer"}),
    Kind("tool_called", "A tool was called (valid arguments)", d.check_tool_called, d.evaluate_tool_called,
         {"tool": ""}),
    Kind("latency", "Latency ≤ (ms)", d.check_limit, d.evaluate_limit, {"max": 5000}),
    Kind("cost", "Cost ≤ ($)", d.check_limit, d.evaluate_limit, {"max": 0.01}),
    Kind("tokens", "Tokens ≤", d.check_limit, d.evaluate_limit, {"max": 1000}),
    Kind("similarity", "Similar to the expected output", d.check_similarity, d.evaluate_similarity, {"min": 0.8}),
    Kind("judge", "LLM judge", judge.check, None,
         {"provider": "", "model": "", "scale": "score", "pass_at": 4,
          "rubric": "Input: {{input}}\nExpected: {{expected}}\nOutput: {{output}}\nIs the output correct and clear?"}),
]
BY_KIND = {k.kind: k for k in EVALUATORS}


def check(config) -> dict:
    """The config, completed with its defaults and a name; raises Invalid saying what to fix."""
    if not isinstance(config, dict) or config.get("kind") not in BY_KIND:
        raise Invalid("Each evaluator needs a kind, one of: " + ", ".join(BY_KIND) + ".")
    config = dict(config)
    name = config.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 60):
        raise Invalid("An evaluator's name must be text of at most 60 characters.")
    config = BY_KIND[config["kind"]].check(config)
    config["name"] = (name or "").strip() or config["kind"]
    return config


def check_all(configs) -> list[dict]:
    if configs in (None, ""):
        return []
    if not isinstance(configs, list) or len(configs) > MAX_EVALUATORS:
        raise Invalid(f"evaluators must be a list of at most {MAX_EVALUATORS} configs.")
    checked = [check(config) for config in configs]
    names = [c["name"] for c in checked]
    if len(set(names)) != len(names):
        raise Invalid("Two evaluators have the same name; name them apart.")
    return checked


def verdict(config: dict, passed=None, score=None, reason: str = "", error: str | None = None) -> dict:
    return {"name": config["name"], "kind": config["kind"], "passed": passed, "score": score, "reason": reason,
            "error": error}


def evaluate(config: dict, case: dict) -> dict:
    """One deterministic evaluator's verdict on one cell; a problem of this cell is its error."""
    try:
        passed, score, reason = BY_KIND[config["kind"]].evaluate(config, case)
    except (Failed, Invalid) as failed:
        return verdict(config, passed=False, error=str(failed))
    return verdict(config, passed=bool(passed), score=score, reason=reason)


async def evaluate_all(configs: list[dict], case: dict, slot=None) -> tuple[list[dict], dict]:
    """Every evaluator's verdict on the cell, and the judges' usage {tokens, cost} (None where unknown);
    `slot(provider)` is an async context a judge's request waits in (the run set's per-provider limit)."""
    verdicts, tokens, cost = [], None, None
    for config in configs:
        if config["kind"] != "judge":
            verdicts.append(evaluate(config, case))
            continue
        try:
            async with slot(config["provider"]) if slot else contextlib.nullcontext():
                (passed, score, reason), spent = await judge.evaluate(config, case)
            verdicts.append(verdict(config, passed=passed, score=score, reason=reason))
        except Failed as failed:
            spent = getattr(failed, "spent", {})
            verdicts.append(verdict(config, passed=False, error=str(failed)))
        if spent.get("tokens") is not None:
            tokens = (tokens or 0) + spent["tokens"]
        if spent.get("cost") is not None:
            cost = (cost or 0.0) + spent["cost"]
    return verdicts, {"tokens": tokens, "cost": cost}


def failed_run(configs: list[dict], message: str) -> list[dict]:
    """The verdicts of a cell that produced no output: every evaluator not passed, with the reason."""
    return [verdict(config, passed=False, error=message) for config in configs]
