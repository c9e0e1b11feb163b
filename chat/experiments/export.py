"""An experiment's runs as CSV (one row a run) or JSON (the definition, each run set, its table and runs).

Neither carries anything about a provider's key: runs name a provider by slug.
"""
import csv
import io

from django.utils.text import slugify

from chat.experiments import stats
from chat.models import Experiment, ExperimentBatch, ExperimentRun

CSV_COLUMNS = ("experiment", "batch", "provider", "model", "repeat", "status", "valid", "errors",
               "tool_calls_valid", "prompt_tokens", "completion_tokens", "ttft_ms", "duration_ms", "cost", "error",
               "output")
WORKBENCH_COLUMNS = ("prompt_version", "row", "verdicts", "passed", "judge_tokens", "judge_cost")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMAT_VERSION = 1


def filename(experiment: Experiment, extension: str) -> str:
    stem = slugify(experiment.name)[:60] or "experiment"
    return f"experiment-{stem}-{experiment.pk}.{extension}"


def _flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _number(value) -> str:
    return "" if value is None else str(value)


def spreadsheet_text(value: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_START) else value


_text = spreadsheet_text  # also used by the embeddings export


def _errors(row: dict) -> str:
    return "; ".join(f"{e['path']}: {e['message']}" for e in row["validation_errors"])


def _error(row: dict) -> str:
    if not row["error_code"]:
        return ""
    return f"{row['error_code']}: {row['error_message']}" if row["error_message"] else row["error_code"]


def csv_row(experiment: Experiment, batch: ExperimentBatch, row: dict) -> list[str]:
    return [
        _text(experiment.name), str(batch.number), _text(row["provider"]), _text(row["model"]), str(row["repeat"]),
        row["status"], _flag(row["valid"]), _text(_errors(row)), _flag(row["tool_calls_valid"]),
        _number(row["prompt_tokens"]), _number(row["completion_tokens"]), _number(row["ttft_ms"]),
        _number(row["duration_ms"]), _number(row["cost"]), _text(_error(row)), _text(row["output"]),
    ]


def workbench(spec: dict) -> bool:
    """Whether a run set ran prompt versions, a dataset or evaluators (its CSV has their columns)."""
    return bool(spec.get("prompt_versions") or spec.get("dataset") or spec.get("evaluators"))


def _verdicts(row: dict) -> str:
    def one(v: dict) -> str:
        outcome = "error" if v["error"] else ("pass" if v["passed"] else "fail")
        return f"{v['name']}: {outcome} ({v['error'] or v['reason']})"
    return "; ".join(one(v) for v in row["verdicts"])


def workbench_cells(row: dict) -> list[str]:
    verdicts = row["verdicts"]
    passed = f"{sum(1 for v in verdicts if v['passed'])}/{len(verdicts)}" if verdicts else ""
    return [_number(row["prompt_version"]), _number(row["row"]), _text(_verdicts(row)), passed,
            _number(row["judge_tokens"]), _number(row["judge_cost"])]


def ordered_rows(batch: ExperimentBatch) -> list[dict]:
    """A run set's runs model by model (in the order the experiment lists them), then by repeat."""
    order = {(t["provider"], t["model"]): n for n, t in enumerate(batch.spec.get("targets", []))}
    rows = ExperimentRun.rows_of(batch.runs.all())
    return sorted(rows, key=lambda r: (order.get((r["provider"], r["model"]), len(order)), r["provider"],
                                       r["model"], r["repeat"], r["id"]))


def as_csv(experiment: Experiment, batches: list[ExperimentBatch]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    extended = any(workbench(batch.spec) for batch in batches)
    writer.writerow(CSV_COLUMNS + (WORKBENCH_COLUMNS if extended else ()))
    for batch in batches:
        for row in ordered_rows(batch):
            writer.writerow(csv_row(experiment, batch, row) + (workbench_cells(row) if extended else []))
    return out.getvalue()


def definition(experiment: Experiment) -> dict:
    return {"id": experiment.pk, "name": experiment.name, "owner": experiment.owner.get_username(),
            "created": experiment.created.isoformat(), "updated": experiment.updated.isoformat(), **experiment.spec()}


def as_json(experiment: Experiment, batches: list[ExperimentBatch]) -> dict:
    out = []
    for batch in batches:
        rows = ordered_rows(batch)
        out.append({"number": batch.number, "status": batch.status, "total": batch.total,
                    "started_by": batch.started_by.get_username() if batch.started_by else None,
                    "created": batch.created.isoformat(),
                    "finished": batch.finished.isoformat() if batch.finished else None,
                    "spec": batch.spec, "stats": stats.table(rows, batch.spec), "reason": batch.reason,
                    "matrix": stats.matrix(rows, batch.spec), "runs": rows})
    return {"format": "playground-experiment", "version": FORMAT_VERSION, "experiment": definition(experiment),
            "batches": out}
