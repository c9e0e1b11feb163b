"""What a finished cell stores: the reply's verdicts, usage, timings, cost and error, or the reason it never ran."""
from django.utils import timezone

from chat import engine
from chat.experiments import store
from chat.models import ExperimentRun
from chat.workbench import evaluators
from providers.streaming import ReplyState


def final_fields(job: store.RunJob, result: tuple[ReplyState, engine.Ending, object]) -> dict:
    """The run's stored fields: output, verdicts, usage, timings, cost, error."""
    state, ending, started = result
    judged = engine.verdicts(state, job.plan, ending)
    complete = ending.status == ExperimentRun.COMPLETE
    structured, usage, error = judged["structured"], judged["usage"] or {}, ending.error
    if usage.get("estimated"):  # run statistics compare reported figures only
        usage, judged["cost"] = {}, None
    return {
        "status": ending.status, "output": judged["content"], "reasoning": judged["reasoning"],
        "finish_reason": judged["finish_reason"],
        "valid": structured["valid"] if structured else None,
        "validation_errors": structured["errors"] if structured else [], "tool_calls": judged["tool_calls"],
        "tool_calls_valid": _tool_verdict(job, judged["tool_calls"]) if complete else None,
        "prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": usage.get("completion_tokens"),
        "ttft_ms": judged["metrics"]["ttft_ms"], "duration_ms": judged["metrics"]["duration_ms"],
        "cost": judged["cost"], "fallback": job.plan.fallback or "", "error_code": error.code if error else "",
        "error_message": error.message if error else "", "started": started, "finished": timezone.now(),
    }


def unplanned_fields(cell: store.Cell, spec: dict) -> dict:
    """A cell that cannot be sent any more (its model disabled, its version deleted, a variable missing)."""
    fields = {"status": ExperimentRun.ERROR, "error_code": cell.error.code, "error_message": cell.error.message,
              "finished": timezone.now()}
    if spec.get("evaluators"):
        fields["verdicts"] = evaluators.failed_run(spec["evaluators"], f"No output: {cell.error.message}")
    return fields


def _tool_verdict(job: store.RunJob, calls: list[dict]) -> bool | None:
    """None without tools; else True when at least one call was made and every call is valid."""
    if not job.plan.tools or job.plan.tool_choice == "none":
        return None
    return bool(calls) and all(call["validation"]["valid"] for call in calls)
