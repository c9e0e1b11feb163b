"""Two run sets of an experiment side by side: which dataset rows regressed or improved, and the change in
pass rate and cost with a 95% confidence interval (a bootstrap over rows, with a fixed seed: the same two
run sets always give the same interval).

A row's score in a run set is the share of its verdicts that passed, over every cell (version × model ×
repeat) of that row; its cost is the sum of its runs' and judges' costs. Only rows in both run sets count.
"""
import random


RESAMPLES = 2000
SEED = 15


def by_row(rows: list[dict]) -> dict:
    """{row key: {score, cost, runs}}; a run with no dataset row is keyed by its version, model and repeat."""
    grouped: dict = {}
    for run in rows:
        key = run["row"]
        if key is None:
            key = f"{run['prompt_version']}|{run['provider']}|{run['model']}|{run['repeat']}"
        grouped.setdefault(key, []).append(run)
    out = {}
    for key, runs in grouped.items():
        verdicts = [v for r in runs for v in r.get("verdicts") or []]
        cost = sum((r["cost"] or 0) + (r.get("judge_cost") or 0) for r in runs)
        out[key] = {"score": sum(1 for v in verdicts if v["passed"]) / len(verdicts) if verdicts else None,
                    "cost": cost, "runs": len(runs)}
    return out


def interval(differences: list[float], seed: int = SEED) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of the mean difference over rows, resampled with replacement."""
    if not differences:
        return None
    rng, n = random.Random(seed), len(differences)
    means = sorted(sum(rng.choice(differences) for _ in range(n)) / n for _ in range(RESAMPLES))
    return means[int(0.025 * RESAMPLES)], means[int(0.975 * RESAMPLES) - 1]


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def compare(before: list[dict], after: list[dict]) -> dict:
    """`after` against `before`: rows that regressed or improved, the pass-rate difference (points) and the
    cost difference (dollars per row), each with its bootstrap interval."""
    a, b = by_row(before), by_row(after)
    shared = [k for k in a if k in b]
    scored = [k for k in shared if a[k]["score"] is not None and b[k]["score"] is not None]
    changes = [{"row": k, "before": _pct(a[k]["score"]), "after": _pct(b[k]["score"])} for k in scored]
    score_diffs = [b[k]["score"] - a[k]["score"] for k in scored]
    cost_diffs = [b[k]["cost"] - a[k]["cost"] for k in shared]
    pass_ci, cost_ci = interval(score_diffs), interval(cost_diffs)
    return {
        "rows": len(shared), "only_before": len(a) - len(shared), "only_after": len(b) - len(shared),
        "regressed": [c for c in changes if c["after"] < c["before"]],
        "improved": [c for c in changes if c["after"] > c["before"]],
        "pass_pct_before": _pct(_mean([a[k]["score"] for k in scored])),
        "pass_pct_after": _pct(_mean([b[k]["score"] for k in scored])),
        "pass_diff_pct": _pct(_mean(score_diffs)),
        "pass_diff_ci": [_pct(x) for x in pass_ci] if pass_ci else None,
        "cost_before": round(sum(a[k]["cost"] for k in shared), 8), "cost_after": round(sum(b[k]["cost"] for k in shared), 8),
        "cost_diff_per_row": round(_mean(cost_diffs), 8) if cost_diffs else None,
        "cost_diff_ci": [round(x, 8) for x in cost_ci] if cost_ci else None,
    }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


