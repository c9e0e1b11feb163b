"""Changing a dataset's rows: every change is one new dataset version, made under a lock of the dataset row.

A row is never edited in place. Adding stamps `added` with the new version; removing stamps `removed`;
an edit does both (the old row removed, a new row added) in the same version. `rows_at()` therefore
answers exactly which rows a run used, for any version the dataset has had.
"""
from django.db import transaction
from django.db.models import Max, Q

from chat.errors import ApiError
from chat.workbench.models import Dataset, DatasetRow

MAX_TAGS = 20
MAX_TAG_CHARS = 60


def readable(user, dataset_id: int) -> Dataset:
    """The dataset, if `user` may read it; otherwise the same 404 as a missing one."""
    dataset = Dataset.objects.select_related("owner").filter(pk=dataset_id).first()
    if dataset is None or not dataset.can_read(user):
        raise ApiError(404, f"Dataset {dataset_id} does not exist.")
    return dataset


def writable(user, dataset_id: int) -> Dataset:
    dataset = readable(user, dataset_id)
    if not dataset.can_write(user):
        raise ApiError(403, "Only the owner (or someone allowed to manage any dataset) changes its rows.")
    return dataset


def visible(user):
    """The datasets `user` may read, newest change first."""
    return Dataset.objects.select_related("owner").filter(Q(owner=user) | Q(visibility=Dataset.TEAM))


def rows_at(dataset: Dataset, version: int | None = None):
    """The rows live at `version` (the current one when None: those not removed), in the dataset's order
    (an edited row keeps its place)."""
    rows = DatasetRow.objects.filter(dataset=dataset)
    if version is None:
        return rows.filter(removed__isnull=True).order_by("position", "id")
    live = rows.filter(added__lte=version).filter(Q(removed__isnull=True) | Q(removed__gt=version))
    return live.order_by("position", "id")


def clean_tags(raw) -> list[str]:
    """Tags as a list of short distinct texts; a comma-separated text is accepted too."""
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise ApiError(400, "tags must be a list of texts.")
    tags = list(dict.fromkeys(t.strip() for t in raw if t.strip()))
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in tags):
        raise ApiError(400, f"At most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters each.")
    return tags


def clean_row(raw: dict) -> dict:
    """{values, expected, tags, source} from a request's row; a 400 naming what is wrong."""
    if not isinstance(raw, dict):
        raise ApiError(400, "A row must be a JSON object.")
    values = raw.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(k, str) and k for k in values):
        raise ApiError(400, "values must be an object of variable names to values.")
    expected = raw.get("expected") or ""
    if not isinstance(expected, str):
        raise ApiError(400, "expected must be text.")
    source = raw.get("source")
    if source is not None and not isinstance(source, dict):
        raise ApiError(400, "source must be an object or null.")
    return {"values": values, "expected": expected, "tags": clean_tags(raw.get("tags")), "source": source}


def _columns(dataset: Dataset, rows: list[dict]) -> list[str]:
    """The dataset's columns, with any new variable names of `rows` appended in order."""
    columns = list(dataset.columns or [])
    for row in rows:
        for name in row["values"]:
            if name not in columns:
                columns.append(name)
    return columns


def _bump(dataset_id: int) -> Dataset:
    """The dataset, locked for this transaction, with its version raised by one (saved by the caller)."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset_id)
    dataset.version += 1
    return dataset


@transaction.atomic
def add_rows(dataset: Dataset, rows: list[dict]) -> list[DatasetRow]:
    """Adds `rows` (cleaned) in one new version; returns them stored."""
    locked = _bump(dataset.pk)
    locked.columns = _columns(locked, rows)
    start = (DatasetRow.objects.filter(dataset=locked).aggregate(last=Max("position"))["last"] or 0) + 1
    created = DatasetRow.objects.bulk_create([DatasetRow(dataset=locked, added=locked.version, position=start + n, **row)
                                              for n, row in enumerate(rows)])
    locked.save(update_fields=["version", "columns", "updated"])
    _refresh(dataset, locked)
    return created


def _live(locked: Dataset, row_id: int) -> DatasetRow:
    row = DatasetRow.objects.filter(dataset=locked, pk=row_id, removed__isnull=True).first()
    if row is None:
        raise ApiError(404, f"Row {row_id} is not in this dataset (or was removed already).")
    return row


@transaction.atomic
def edit_row(dataset: Dataset, row_id: int, changes: dict) -> DatasetRow:
    """Replaces a live row by a new one carrying `changes` (cleaned fields) over the old row's, in one version."""
    locked = _bump(dataset.pk)
    old = _live(locked, row_id)
    old.removed = locked.version
    old.save(update_fields=["removed"])
    fields = {"values": old.values, "expected": old.expected, "tags": old.tags, "source": old.source, **changes}
    new = DatasetRow.objects.create(dataset=locked, added=locked.version, position=old.position, **fields)
    locked.columns = _columns(locked, [fields])
    locked.save(update_fields=["version", "columns", "updated"])
    _refresh(dataset, locked)
    return new


@transaction.atomic
def remove_row(dataset: Dataset, row_id: int) -> None:
    locked = _bump(dataset.pk)
    row = _live(locked, row_id)
    row.removed = locked.version
    row.save(update_fields=["removed"])
    locked.save(update_fields=["version", "updated"])
    _refresh(dataset, locked)


def _refresh(dataset: Dataset, locked: Dataset) -> None:
    dataset.version, dataset.columns, dataset.updated = locked.version, locked.columns, locked.updated


def summary(dataset: Dataset, user, live: int | None = None) -> dict:
    return {"id": dataset.pk, "name": dataset.name, "description": dataset.description,
            "visibility": dataset.visibility, "owner": dataset.owner.get_username(), "version": dataset.version,
            "columns": dataset.columns, "rows": rows_at(dataset).count() if live is None else live,
            "updated": dataset.updated.isoformat(), "can_write": dataset.can_write(user)}


def row_dict(row: DatasetRow) -> dict:
    return {"id": row.pk, "values": row.values, "expected": row.expected, "tags": row.tags, "source": row.source,
            "added": row.added, "removed": row.removed}
