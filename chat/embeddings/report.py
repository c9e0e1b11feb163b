"""A result as the page and the exports show it: each run's facts and numbers, and how two runs agree."""
import numpy as np

from chat.embeddings import maths
from chat.models import EmbeddingResult

FACTS = ("provider", "provider_name", "model", "label", "dimensions", "tokens", "latency_ms", "cost")


def shown_run(run: dict, vectors: bool) -> dict:
    shown = {key: run.get(key) for key in FACTS}
    shown.update(maths.analysis(run["vectors"]))
    if vectors:
        shown["vectors"] = run["vectors"]
    return shown


def report(row: EmbeddingResult, user, vectors: bool = False) -> dict:
    runs = [shown_run(run, vectors) for run in row.runs]
    data = {"id": row.pk, "title": row.title, "owner": row.owner.get_username(), "visibility": row.visibility,
            "saved": row.saved, "can_write": row.can_write(user), "created": row.created.isoformat(),
            "texts": row.texts, "source": row.source, "runs": runs}
    if len(runs) == 2:
        data["agreement"] = maths.agreement(np.array(runs[0]["similarity"]), np.array(runs[1]["similarity"]))
    return data


def summary(row: EmbeddingResult) -> dict:
    """A line of the saved list."""
    return {"id": row.pk, "title": str(row), "owner": row.owner.get_username(), "visibility": row.visibility,
            "created": row.created.isoformat(), "texts": len(row.texts), "models": [run["label"] for run in row.runs]}
