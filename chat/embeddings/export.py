"""A result as CSV (one row per model and text) or JSON (the report), vectors included on request.

Neither carries anything about a provider's key: runs name a provider by slug.
"""
import csv
import io

from django.utils.text import slugify

from chat.embeddings.report import report
from chat.experiments.export import spreadsheet_text
from chat.models import EmbeddingResult


def filename(row: EmbeddingResult, extension: str) -> str:
    stem = slugify(row.title)[:60] or "embeddings"
    return f"{stem}-{row.pk}.{extension}"


def _number(value) -> str:
    return "" if value is None else str(value)


def as_csv(row: EmbeddingResult, user, vectors: bool) -> str:
    data = report(row, user, vectors)
    size = len(data["texts"])
    widest = max(run["dimensions"] for run in data["runs"]) if vectors else 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["provider", "model", "dimensions", "tokens", "latency_ms", "cost", "text_index", "text",
                     "nearest_index", "nearest_similarity", *(f"similarity_{n}" for n in range(1, size + 1)),
                     *(f"v{n}" for n in range(1, widest + 1))])
    for run in data["runs"]:
        for index, text in enumerate(data["texts"]):
            nearest = run["neighbours"][index][0]
            writer.writerow([
                spreadsheet_text(run["provider"]), spreadsheet_text(run["model"]), run["dimensions"],
                _number(run["tokens"]), _number(run["latency_ms"]), _number(run["cost"]), index + 1,
                spreadsheet_text(text), nearest["index"] + 1, nearest["similarity"], *run["similarity"][index],
                *(run["vectors"][index] if vectors else ()), *([""] * (widest - run["dimensions"]))])
    return out.getvalue()


def as_json(row: EmbeddingResult, user, vectors: bool) -> dict:
    data = report(row, user, vectors)
    for key in ("can_write", "saved"):
        data.pop(key)
    return data
