"""Importing CSV and JSONL: a preview first, then every row in one version, or each bad row named and nothing stored."""
import pytest
from django.test import override_settings

from chat.workbench import datasets
from tests.workbench.conftest import send

pytestmark = pytest.mark.django_db

CSV_TEXT = "country,answer,labels\nFrance,Paris,\"europe, easy\"\nPeru,Lima,americas\n"


def _import(client, dataset, text, name="cases.csv", mapping=None):
    body = {"name": name, "text": text} if mapping is None else {"name": name, "text": text, "mapping": mapping}
    return send(client, "post", f"/api/datasets/{dataset.pk}/import", body)


def test_a_preview_shows_the_columns_first_rows_and_count_and_stores_nothing(client, alice, dataset):
    client.force_login(alice)
    preview = _import(client, dataset, CSV_TEXT).json()
    assert preview["columns"] == ["country", "answer", "labels"] and preview["lines"] == 2
    assert preview["rows"][0] == {"country": "France", "answer": "Paris", "labels": "europe, easy"}
    assert preview["mapping"] == {"country": "country", "answer": "answer", "labels": "labels"}
    assert not datasets.rows_at(dataset).exists()


def test_the_mapping_names_variables_expected_and_tags(client, alice, dataset):
    client.force_login(alice)
    answer = _import(client, dataset, CSV_TEXT, mapping={"country": "place", "answer": "expected", "labels": "tags"})
    assert answer.status_code == 201 and answer.json()["imported"] == 2
    dataset.refresh_from_db()
    rows = list(datasets.rows_at(dataset))
    assert [(r.values, r.expected, r.tags) for r in rows] == [
        ({"place": "France"}, "Paris", ["europe", "easy"]), ({"place": "Peru"}, "Lima", ["americas"])]
    assert dataset.columns == ["country", "place"] and dataset.version == 2
    assert {r.added for r in rows} == {2}


def test_an_ignored_column_is_left_out(client, alice, dataset):
    client.force_login(alice)
    _import(client, dataset, CSV_TEXT, mapping={"country": "country", "answer": "", "labels": ""})
    assert [r.values for r in datasets.rows_at(dataset)] == [{"country": "France"}, {"country": "Peru"}]


def test_bad_rows_are_named_by_line_and_nothing_is_stored(client, alice, dataset):
    client.force_login(alice)
    text = "country,answer\nFrance,Paris\nSpain\n\"Multi\nline\",x\nItaly,Rome,extra\n"
    answer = _import(client, dataset, text)
    assert answer.status_code == 400
    assert answer.json()["problems"] == ["line 3: 1 columns, expected 2", "line 6: 3 columns, expected 2"]
    assert "Nothing was imported" in answer.json()["error"]
    mapped = _import(client, dataset, text, mapping={"country": "country", "answer": "expected"})
    assert mapped.status_code == 400
    dataset.refresh_from_db()
    assert dataset.version == 1 and not dataset.rows.exists()


def test_a_quoted_newline_stays_in_its_value_and_a_bom_is_dropped(client, alice, dataset):
    client.force_login(alice)
    text = "\ufeffcountry,answer\r\n\"New\r\nZealand\",Wellington\r\n"
    preview = _import(client, dataset, text).json()
    assert preview["columns"] == ["country", "answer"] and preview["lines"] == 1
    _import(client, dataset, text, mapping={"country": "country", "answer": "expected"})
    row = datasets.rows_at(dataset).get()
    assert row.values == {"country": "New\r\nZealand"} and row.expected == "Wellington"


def test_jsonl_lines_that_are_not_objects_are_named(client, alice, dataset):
    client.force_login(alice)
    text = '{"country": "France", "expected": "Paris"}\n\n{"country": "Peru"\n[1, 2]\n{"country": "Chad", "tags": 5}\n'
    answer = _import(client, dataset, text, name="cases.jsonl")
    assert answer.status_code == 400
    assert answer.json()["problems"] == ["line 3: not JSON", "line 4: not a JSON object"]
    fixed = text.replace('{"country": "Peru"\n[1, 2]\n', "")
    bad_tags = _import(client, dataset, fixed, name="cases.jsonl", mapping={"country": "country", "tags": "tags"})
    assert bad_tags.json()["problems"][0].startswith("line 3: tags must be")
    assert not dataset.rows.exists()


def test_jsonl_keeps_json_values_and_expected(client, alice, dataset):
    client.force_login(alice)
    text = '{"country": "France", "facts": {"pop": 68}, "expected": "Paris", "tags": ["eu"]}\n'
    preview = _import(client, dataset, text, name="x.jsonl").json()
    assert preview["mapping"] == {"country": "country", "facts": "facts", "expected": "expected", "tags": "tags"}
    _import(client, dataset, text, name="x.jsonl", mapping=preview["mapping"])
    row = datasets.rows_at(dataset).get()
    assert row.values == {"country": "France", "facts": {"pop": 68}} and row.expected == "Paris" and row.tags == ["eu"]


def test_a_bad_mapping_is_refused(client, alice, dataset):
    client.force_login(alice)
    for mapping, problem in [({"nope": "x"}, "the file has no column 'nope'"),
                             ({"country": "a b"}, "'a b' is not a variable name"),
                             ({"country": "x", "answer": "x"}, "two columns are mapped to 'x'"),
                             ({"country": "expected"}, "map at least one column to a variable")]:
        answer = _import(client, dataset, CSV_TEXT, mapping=mapping)
        assert answer.status_code == 400 and any(p.startswith(problem) for p in answer.json()["problems"]), mapping
    assert not dataset.rows.exists()


@override_settings(PLAYGROUND_DATASET_MAX_ROWS=3, PLAYGROUND_DATASET_MAX_BYTES=200)
def test_limits_on_rows_and_size(client, alice, dataset):
    client.force_login(alice)
    many = "country\n" + "".join(f"c{n}\n" for n in range(4))
    assert "at most 3" in _import(client, dataset, many).json()["error"]
    big = "country\n" + "x" * 250 + "\n"
    assert "over 200 bytes" in _import(client, dataset, big).json()["error"]
    assert "no rows" in _import(client, dataset, "country\n").json()["error"]
    assert not dataset.rows.exists()


def test_importing_needs_write_access(client, alice, bob, dataset):
    client.force_login(bob)
    assert _import(client, dataset, CSV_TEXT, mapping={"country": "country"}).status_code == 403
    dataset.visibility = dataset.PRIVATE
    dataset.save()
    assert _import(client, dataset, CSV_TEXT).status_code == 404
    assert not dataset.rows.exists()
