"""LLM-as-judge: a rubric with {{input}}, {{output}} and {{expected}}, sent to any configured model through
plan() and the engine; its answer (pass/fail or a 1–5 score, with a reason) is parsed against a JSON schema.

The judge's tokens and cost are the judge's, reported apart from the run's own.
"""
from chat import engine
from chat.db import db
from chat.errors import ApiError, Refused
from chat.experiments import backoff
from chat.frames import Settings
from chat.requests import plan
from chat.validation import validate_json_text
from chat.workbench import variables
from chat.workbench.evaluators.deterministic import Failed, Invalid
from providers import types

ALLOWED = {"input", "output", "expected"}
SCALES = ("pass_fail", "score")
REASON = {"type": "string", "description": "One or two sentences: why."}
SCHEMAS = {
    "pass_fail": {"type": "object", "properties": {"passed": {"type": "boolean"}, "reason": REASON},
                  "required": ["passed", "reason"], "additionalProperties": False},
    "score": {"type": "object", "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}, "reason": REASON},
              "required": ["score", "reason"], "additionalProperties": False},
}
INSTRUCTIONS = {
    "pass_fail": 'You grade a model\'s output by the rubric. Answer with only a JSON object: {"passed": true or false, '
                 '"reason": "why"}.',
    "score": 'You grade a model\'s output by the rubric. Answer with only a JSON object: {"score": 1 to 5 (5 best), '
             '"reason": "why"}.',
}


def settings_for(config: dict) -> Settings:
    scale = config.get("scale", "score")
    fmt = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": SCHEMAS[scale], "strict": True}}
    return Settings(provider=config["provider"], model=config.get("model") or None, system=INSTRUCTIONS[scale],
                    params={"temperature": 0}, response_format=fmt)


def check(config: dict) -> dict:
    rubric = config.get("rubric")
    if not isinstance(rubric, str) or not rubric.strip():
        raise Invalid("judge: write the rubric (with {{output}}, and {{input}} or {{expected}} as it needs).")
    used = set(variables.names(rubric))
    if "output" not in used:
        raise Invalid("judge: the rubric must show the judge the {{output}}.")
    if used - ALLOWED:
        raise Invalid("judge: the rubric may use only {{input}}, {{output}} and {{expected}}, not "
                      + ", ".join("{{%s}}" % n for n in sorted(used - ALLOWED)) + ".")
    scale = config.setdefault("scale", "score")
    if scale not in SCALES:
        raise Invalid("judge: scale must be pass_fail or score.")
    pass_at = config.setdefault("pass_at", 4)
    if scale == "score" and (isinstance(pass_at, bool) or pass_at not in (1, 2, 3, 4, 5)):
        raise Invalid("judge: pass_at must be a score from 1 to 5.")
    if not isinstance(config.get("provider"), str):
        raise Invalid("judge: pick the judge's model (provider and model).")
    try:
        planned = plan(settings_for(config), [])
    except Refused as refused:
        raise Invalid(f"judge: {refused.message}") from None
    config["provider"], config["model"] = planned.provider_slug, planned.model
    return config


def _prompt(config: dict, case: dict) -> list[types.Message]:
    shown = {"input": case.get("input") or "(none)", "output": case["output"] or "(empty)",
             "expected": case.get("expected") or "(none)"}
    try:
        rubric = variables.fill(config["rubric"], shown)
    except ApiError as error:  # checked when attached; a config stored otherwise still fails one cell only
        raise Failed(error.message) from None
    settings = settings_for(config)
    return [types.Message("system", settings.system), types.Message("user", rubric)]


def _plan(config: dict, case: dict):
    try:
        return plan(settings_for(config), _prompt(config, case))
    except Refused as refused:
        raise Failed(f"The judge cannot be asked: {refused.message}") from None


async def evaluate(config: dict, case: dict) -> tuple[tuple, dict]:
    """((passed, score, reason), judge usage {tokens, cost}); raises Failed (with the usage) for an answer that
    is not a verdict."""
    planned = await db(_plan)(config, case)
    state, ending, _ = await backoff.run(planned)
    judged = engine.verdicts(state, planned, ending)
    usage = judged["usage"] or {}
    spent = {"tokens": usage.get("total_tokens") or None, "cost": judged["cost"]}
    if ending.error is not None:
        raise JudgeFailed(f"The judge ({planned.label}) failed: {ending.error.message}", spent)
    answer = validate_json_text(judged["content"], SCHEMAS[config["scale"]])
    if not answer["valid"]:
        problem = answer["errors"][0]
        raise JudgeFailed(f"The judge's answer is not a verdict ({problem['path']}: {problem['message']}): "
                          f"{judged['content'][:120]!r}", spent)
    value = answer["value"]
    if config["scale"] == "pass_fail":
        return (value["passed"], None, value["reason"]), spent
    return (value["score"] >= config["pass_at"], value["score"], value["reason"]), spent


class JudgeFailed(Failed):
    """The judge answered garbage or failed; what it cost is still counted."""

    def __init__(self, message: str, spent: dict):
        super().__init__(message)
        self.spent = spent
