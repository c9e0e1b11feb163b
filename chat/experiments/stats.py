"""Per-model aggregates of a run set, from run rows (ExperimentRun.as_row() dicts).

Definitions (docs/experiments.md repeats them):
- `runs`: runs that finished, complete or error (cancelled and interrupted ones are not counted).
- `valid_pct`: of `runs`, the share whose reply passed the response format; an error counts as not valid.
  None when the experiment asks for no JSON reply.
- `tool_valid_pct`: of `runs`, the share that made at least one tool call, every call valid.
  None when the experiment has no tools.
- TTFT and duration: over complete runs; median (the mean of the middle two for an even count) and
  p90 by nearest rank (the smallest value with at least 90% of the values at or below it).
- tokens and cost: sums over every run that reported them; cost None where no price is known.
"""
import math
import statistics

FINISHED = ("complete", "error")


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _sum(values: list) -> float | int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def model_stats(rows: list[dict], structured: bool, has_tools: bool) -> dict:
    finished = [r for r in rows if r["status"] in FINISHED]
    complete = [r for r in rows if r["status"] == "complete"]
    ttft = [r["ttft_ms"] for r in complete if r["ttft_ms"] is not None]
    duration = [r["duration_ms"] for r in complete if r["duration_ms"] is not None]
    valid = sum(1 for r in finished if r["valid"] is True)
    tool_valid = sum(1 for r in finished if r["tool_calls_valid"] is True)
    cost = _sum([r["cost"] for r in rows])
    return {
        "total": len(rows), "runs": len(finished), "complete": len(complete),
        "errors": sum(1 for r in rows if r["status"] == "error"),
        "cancelled": sum(1 for r in rows if r["status"] in ("cancelled", "interrupted")),
        "pending": sum(1 for r in rows if r["status"] == "pending"),
        "valid": valid if structured else None,
        "valid_pct": percent(valid, len(finished)) if structured else None,
        "tool_valid": tool_valid if has_tools else None,
        "tool_valid_pct": percent(tool_valid, len(finished)) if has_tools else None,
        "ttft_median_ms": median(ttft), "ttft_p90_ms": p90(ttft),
        "duration_median_ms": median(duration), "duration_p90_ms": p90(duration),
        "prompt_tokens": _sum([r["prompt_tokens"] for r in rows]),
        "completion_tokens": _sum([r["completion_tokens"] for r in rows]),
        "cost": round(cost, 8) if cost is not None else None,
    }


def applies(spec: dict) -> tuple[bool, bool]:
    """(structured, has_tools) for a batch's spec."""
    fmt = spec.get("response_format") or {}
    tools = bool(spec.get("tools")) and spec.get("tool_choice") != "none"
    return fmt.get("type") in ("json_object", "json_schema"), tools


def table(rows: list[dict], spec: dict) -> list[dict]:
    """One row per model of the spec, in its order (then any other model the rows name)."""
    structured, has_tools = applies(spec)
    groups: dict[tuple[str, str], list[dict]] = {(t["provider"], t["model"]): [] for t in spec.get("targets", [])}
    for row in rows:
        groups.setdefault((row["provider"], row["model"]), []).append(row)
    return [{"provider": provider, "model": model, **model_stats(group, structured, has_tools)}
            for (provider, model), group in groups.items()]


# The workbench matrix: one cell per prompt version × model -----------------------------------------

def nearest_rank(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(share * len(ordered)) - 1], 1)


def pass_rates(rows: list[dict], names: list[str]) -> dict:
    """{evaluator name: percent passed} over the rows judged (a verdict with an error is not passed)."""
    out = {}
    for name in names:
        verdicts = [v for r in rows for v in r.get("verdicts") or [] if v["name"] == name]
        out[name] = percent(sum(1 for v in verdicts if v["passed"]), len(verdicts))
    return out


def cell_stats(rows: list[dict], names: list[str]) -> dict:
    complete = [r for r in rows if r["status"] == "complete"]
    duration = [r["duration_ms"] for r in complete if r["duration_ms"] is not None]
    verdicts = [v for r in rows for v in r.get("verdicts") or []]
    cost, judge_cost = _sum([r["cost"] for r in rows]), _sum([r.get("judge_cost") for r in rows])
    return {
        "total": len(rows), "complete": len(complete), "errors": sum(1 for r in rows if r["status"] == "error"),
        "pending": sum(1 for r in rows if r["status"] in ("pending", "running")),
        "pass": pass_rates(rows, names), "pass_pct": percent(sum(1 for v in verdicts if v["passed"]), len(verdicts)),
        "latency_p50_ms": median(duration), "latency_p95_ms": nearest_rank(duration, 0.95),
        "prompt_tokens": _sum([r["prompt_tokens"] for r in rows]),
        "completion_tokens": _sum([r["completion_tokens"] for r in rows]),
        "cost": round(cost, 8) if cost is not None else None,
        "judge_tokens": _sum([r.get("judge_tokens") for r in rows]),
        "judge_cost": round(judge_cost, 8) if judge_cost is not None else None,
    }


def matrix(rows: list[dict], spec: dict) -> list[dict]:
    """One cell per prompt version × model (versions, then models, in the spec's order): pass rate per
    evaluator, latency p50 / p95 over complete runs, tokens and cost (the judges' apart)."""
    names = [e["name"] for e in spec.get("evaluators") or []]
    versions = spec.get("prompt_versions") or [None]
    groups: dict[tuple, list[dict]] = {(v, t["provider"], t["model"]): [] for v in versions for t in spec.get("targets", [])}
    for row in rows:
        groups.setdefault((row.get("prompt_version"), row["provider"], row["model"]), []).append(row)
    return [{"prompt_version": version, "provider": provider, "model": model, **cell_stats(group, names)}
            for (version, provider, model), group in groups.items()]
