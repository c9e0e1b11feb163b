"""Datasets in and out as CSV or JSONL.

Import is all or nothing: the whole file is parsed and mapped first, and any bad row is reported by
its line number ("line 7: 3 columns, expected 4", "line 12: not JSON") with nothing stored. A mapping
says what each column of the file is: a variable's name, "expected", "tags", or "" (ignored).
Export writes the live rows the same ways: the values' columns, then expected and tags.
"""
import csv
import io
import json
import re
from dataclasses import dataclass, field

from django.conf import settings

from chat.errors import BadFrame
from chat.frames import decode
from chat.workbench.datasets import MAX_TAG_CHARS, MAX_TAGS

CSV, JSONL = "csv", "jsonl"
EXPECTED, TAGS, IGNORE = "expected", "tags", ""
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PREVIEW_ROWS = 5
SHOWN_PROBLEMS = 20
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BadFile(Exception):
    """The file cannot be imported; `problems` are readable lines, bad rows first by line number."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems

    @property
    def message(self) -> str:
        shown = self.problems[:SHOWN_PROBLEMS]
        more = len(self.problems) - len(shown)
        return "Nothing was imported. " + "; ".join(shown) + (f"; and {more} more." if more else ".")


@dataclass
class Parsed:
    """A file read as records: each (line number, {column: value})."""

    format: str
    columns: list[str]
    records: list[tuple[int, dict]] = field(default_factory=list)

    def preview(self) -> dict:
        return {"format": self.format, "columns": self.columns, "lines": len(self.records),
                "rows": [values for _, values in self.records[:PREVIEW_ROWS]], "mapping": suggested(self.columns)}


def max_rows() -> int:
    return settings.PLAYGROUND_DATASET_MAX_ROWS


def max_bytes() -> int:
    return settings.PLAYGROUND_DATASET_MAX_BYTES


def file_format(name: str, text: str) -> str:
    """CSV or JSONL: by the file's extension, else by its first character."""
    lowered = (name or "").lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return JSONL
    if lowered.endswith((".csv", ".tsv", ".txt")):
        return CSV
    return JSONL if text.lstrip().startswith("{") else CSV


def parse(name: str, text: str) -> Parsed:
    """The file's records; raises BadFile for a file too big, empty, or with any malformed row."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes():
        raise BadFile([f"the file is over {max_bytes():,} bytes"])
    text = text.removeprefix("\ufeff")  # a byte-order mark, as spreadsheet programs write
    parsed = _jsonl(text) if file_format(name, text) == JSONL else _csv(text)
    if not parsed.records:
        raise BadFile(["the file has no rows"])
    if len(parsed.records) > max_rows():
        raise BadFile([f"the file has {len(parsed.records):,} rows; a dataset takes at most {max_rows():,} at once"])
    return parsed


def _csv(text: str) -> Parsed:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems, records, header, start = [], [], None, 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise BadFile([f"line {start}: {error}"]) from None  # the reader cannot go on past it
        line, start = start, reader.line_num + 1  # a quoted newline makes one record span several lines
        if not cells or cells == [""]:
            continue
        if header is None:
            header = [c.strip() for c in cells]
            problems += _header_problems(header)
        elif len(cells) != len(header):
            problems.append(f"line {line}: {len(cells)} columns, expected {len(header)}")
        else:
            records.append((line, dict(zip(header, cells))))
    if problems:
        raise BadFile(problems)
    return Parsed(CSV, header or [], records)


def _header_problems(header: list[str]) -> list[str]:
    if any(not name for name in header):
        return ["line 1: a column has no name"]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    return [f"line 1: the column {name!r} appears twice" for name in duplicates]


def _jsonl(text: str) -> Parsed:
    problems, records, columns = [], [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = decode(line)
        except BadFrame:
            problems.append(f"line {number}: not JSON")
            continue
        if not isinstance(value, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        for key in value:
            columns.setdefault(key)
        records.append((number, value))
    if problems:
        raise BadFile(problems)
    return Parsed(JSONL, list(columns), records)


def suggested(columns: list[str]) -> dict:
    """Each column as itself: "expected" and "tags" by name, a name that can be a variable as that variable."""
    mapping = {}
    for column in columns:
        lowered = column.lower()
        mapping[column] = (lowered if lowered in (EXPECTED, TAGS) else column if NAME.match(column) else IGNORE)
    return mapping


def check_mapping(mapping, columns: list[str]) -> dict:
    """The mapping, checked against the file's columns; raises BadFile naming what is wrong with it."""
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise BadFile(["the mapping must be an object of column names to a variable name, expected, tags or \"\""])
    problems = [f"the file has no column {c!r}" for c in mapping if c not in columns]
    targets = [t for t in mapping.values() if t != IGNORE]
    problems += [f"{t!r} is not a variable name (letters, digits and _)" for t in targets
                 if t not in (EXPECTED, TAGS) and not NAME.match(t)]
    problems += [f"two columns are mapped to {t!r}" for t in sorted(set(targets)) if targets.count(t) > 1]
    if not any(t not in (EXPECTED, TAGS) for t in targets):
        problems.append("map at least one column to a variable")
    if problems:
        raise BadFile(problems)
    return mapping


def rows(parsed: Parsed, mapping: dict) -> list[dict]:
    """Every record as a row {values, expected, tags}; raises BadFile listing each bad one by line."""
    mapping = check_mapping(mapping, parsed.columns)
    problems, out = [], []
    for line, record in parsed.records:
        row, problem = _row(record, mapping)
        if problem:
            problems.append(f"line {line}: {problem}")
        else:
            out.append(row)
    if problems:
        raise BadFile(problems)
    return out


def _row(record: dict, mapping: dict) -> tuple[dict, str | None]:
    values, expected, tags = {}, "", []
    for column, target in mapping.items():
        value = record.get(column)
        if target == IGNORE or value is None:
            continue
        if target == EXPECTED:
            expected = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        elif target == TAGS:
            tags = _tags(value)
            if tags is None:
                return {}, f"tags must be a list of texts or comma-separated text (at most {MAX_TAGS})"
        else:
            values[target] = value
    if all(v in ("", None) for v in values.values()):
        return {}, "no values"
    return {"values": values, "expected": expected, "tags": tags}, None


def _tags(value) -> list[str] | None:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        return None
    tags = list(dict.fromkeys(t.strip() for t in items if t.strip()))
    return None if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in tags) else tags


# Export ---------------------------------------------------------------------------------------


def _cell(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text.startswith(FORMULA_START) else text  # a spreadsheet would run it (CSV injection)


def as_csv(columns: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, EXPECTED, TAGS])
    for row in rows:
        writer.writerow([_cell(row.values.get(c, "")) for c in columns] + [_cell(row.expected), _cell(", ".join(row.tags))])
    return out.getvalue()


def as_jsonl(columns: list[str], rows) -> str:
    lines = [json.dumps({**{c: row.values[c] for c in columns if c in row.values}, EXPECTED: row.expected,
                         TAGS: row.tags}, ensure_ascii=False) for row in rows]
    return "\n".join(lines) + ("\n" if lines else "")
