"""Texts from a dataset column: the Embeddings page's other source of texts (besides typing them).

A column is one of the dataset's variables, or `expected`. The first MAX_TEXTS non-empty values of the rows live at
the version asked for (the current one by default) are taken, in the dataset's order; how many were left out is
said, and the result records where its texts came from: {dataset, name, version, column, values, left_out}.
"""
from chat.embeddings.runs import MAX_TEXTS, MIN_TEXTS
from chat.errors import ApiError
from chat.workbench import datasets

EXPECTED = "expected"


def _whole(raw, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ApiError(400, f"{name} must be a whole number of at least 1.")
    return raw


def _value(row, column: str) -> str:
    value = row.expected if column == EXPECTED else row.values.get(column)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def column_texts(user, dataset_id, column, version=None) -> tuple[list[str], dict]:
    """The texts of `column` of a dataset `user` may read, and the record of where they came from; a 400 (404 for a
    dataset not readable) saying what is wrong."""
    dataset = datasets.readable(user, _whole(dataset_id, "dataset"))
    columns = [*(dataset.columns or []), EXPECTED]
    if not isinstance(column, str) or column not in columns:
        raise ApiError(400, f"column must be one of {', '.join(columns)}.")
    version = dataset.version if version is None else _whole(version, "version")
    if version > dataset.version:
        raise ApiError(400, f"Dataset {dataset.name} has no version {version} (its latest is {dataset.version}).")
    values = [text for text in (_value(row, column) for row in datasets.rows_at(dataset, version)) if text.strip()]
    if len(values) < MIN_TEXTS:
        raise ApiError(400, f"Column {column} of {dataset.name} (version {version}) has {len(values)} non-empty "
                            f"value{'' if len(values) == 1 else 's'}; {MIN_TEXTS} are needed.")
    texts = values[:MAX_TEXTS]
    source = {"dataset": dataset.pk, "name": dataset.name, "version": version, "column": column,
              "values": len(values), "left_out": len(values) - len(texts)}
    return texts, source


def from_request(user, raw) -> tuple[list[str], dict]:
    """A request's `source`: {dataset, column, version?}."""
    if not isinstance(raw, dict):
        raise ApiError(400, "source must be an object: {dataset, column, version?}.")
    return column_texts(user, raw.get("dataset"), raw.get("column"), raw.get("version"))
