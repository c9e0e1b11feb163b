"""Rows are never edited in place: each change is a dataset version, and older versions keep their rows."""
import pytest

from chat.workbench import datasets
from chat.workbench.models import Dataset
from tests.workbench.conftest import send

pytestmark = pytest.mark.django_db


def _add(client, dataset, *rows):
    return send(client, "post", f"/api/datasets/{dataset.pk}/rows", {"rows": list(rows)})


def test_an_edit_or_removal_leaves_the_older_version_whole(client, alice, dataset):
    client.force_login(alice)
    first = _add(client, dataset, {"values": {"country": "France"}, "expected": "Paris"},
                 {"values": {"country": "Peru"}, "expected": "Lima", "tags": "americas, easy"}).json()
    assert first["version"] == 2
    france, peru = (r["id"] for r in first["rows"])
    edited = send(client, "patch", f"/api/datasets/{dataset.pk}/rows/{france}", {"expected": "Paris, France"}).json()
    assert edited["version"] == 3 and edited["row"]["id"] != france
    assert send(client, "delete", f"/api/datasets/{dataset.pk}/rows/{peru}").json()["version"] == 4
    dataset.refresh_from_db()
    at = {v: [(r.values["country"], r.expected) for r in datasets.rows_at(dataset, v)] for v in (1, 2, 3, 4)}
    assert at == {1: [], 2: [("France", "Paris"), ("Peru", "Lima")],
                  3: [("France", "Paris, France"), ("Peru", "Lima")], 4: [("France", "Paris, France")]}  # in place
    assert [r.values["country"] for r in datasets.rows_at(dataset)] == ["France"]
    old = client.get(f"/api/datasets/{dataset.pk}?version=2").json()
    assert [r["expected"] for r in old["rows"]] == ["Paris", "Lima"] and old["version"] == 2
    assert old["rows"][1]["tags"] == ["americas", "easy"]


def test_a_removed_row_cannot_be_edited_or_removed_again(client, alice, dataset):
    client.force_login(alice)
    row = _add(client, dataset, {"values": {"country": "Chad"}}).json()["rows"][0]["id"]
    send(client, "delete", f"/api/datasets/{dataset.pk}/rows/{row}")
    assert send(client, "delete", f"/api/datasets/{dataset.pk}/rows/{row}").status_code == 404
    assert send(client, "patch", f"/api/datasets/{dataset.pk}/rows/{row}", {"expected": "x"}).status_code == 404
    dataset.refresh_from_db()
    assert dataset.version == 3  # the refused changes made no version


def test_the_tag_filter_and_bad_rows(client, alice, dataset):
    client.force_login(alice)
    _add(client, dataset, {"values": {"country": "France"}, "tags": ["eu"]}, {"values": {"country": "Peru"}})
    answer = client.get(f"/api/datasets/{dataset.pk}?tag=eu").json()
    assert [r["values"]["country"] for r in answer["rows"]] == ["France"] and answer["tags"] == ["eu"]
    for bad in ({"values": {}}, {"values": {"a b": "x"}}, {"values": "x"}, {"values": {"country": "x"}, "expected": 5},
                {"values": {"country": "x"}, "tags": [1]}):
        assert _add(client, dataset, bad).status_code == 400, bad
    assert client.get(f"/api/datasets/{dataset.pk}?version=99").status_code == 400


def test_rights_read_and_write(client, alice, bob, dataset):
    client.force_login(bob)
    assert client.get(f"/api/datasets/{dataset.pk}").status_code == 200
    assert _add(client, dataset, {"values": {"country": "x"}}).status_code == 403
    assert client.get("/api/datasets").json()["items"][0]["can_write"] is False
    mine = send(client, "post", "/api/datasets", {"name": "Bob's", "visibility": "private"}).json()
    client.force_login(alice)
    assert client.get(f"/api/datasets/{mine['id']}").status_code == 404
    assert [i["name"] for i in client.get("/api/datasets").json()["items"]] == ["Capitals"]
    assert client.get("/datasets/").status_code == 200 and client.get(f"/datasets/{mine['id']}/").status_code == 404


def test_manage_any_dataset_lets_a_teammate_change_rows(client, bob, dataset):
    from django.contrib.auth.models import Permission

    bob.user_permissions.add(Permission.objects.get(codename="manage_any_dataset"))
    client.force_login(bob)
    assert _add(client, dataset, {"values": {"country": "x"}}).status_code == 201
    assert client.delete(f"/api/datasets/{dataset.pk}").status_code == 403  # deleting stays the owner's
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_export_round_trips_through_import(client, alice, dataset):
    client.force_login(alice)
    _add(client, dataset, {"values": {"country": "France"}, "expected": "Paris\n(capital)", "tags": ["eu", "big"]},
         {"values": {"country": "=cmd()"}, "expected": "x, y"})
    gone = _add(client, dataset, {"values": {"country": "Gone"}}).json()["rows"][0]["id"]
    send(client, "delete", f"/api/datasets/{dataset.pk}/rows/{gone}")
    csv_text = client.get(f"/api/datasets/{dataset.pk}/export.csv").content.decode()
    assert csv_text.splitlines()[0] == "country,expected,tags" and "Gone" not in csv_text
    assert "'=cmd()" in csv_text  # a spreadsheet does not run it
    jsonl = client.get(f"/api/datasets/{dataset.pk}/export.jsonl").content.decode()
    copy = send(client, "post", "/api/datasets", {"name": "Copy"}).json()
    for name, text in (("a.csv", csv_text), ("a.jsonl", jsonl)):
        preview = send(client, "post", f"/api/datasets/{copy['id']}/import", {"name": name, "text": text}).json()
        assert preview["mapping"] == {"country": "country", "expected": "expected", "tags": "tags"}
        send(client, "post", f"/api/datasets/{copy['id']}/import", {"name": name, "text": text, "mapping": preview["mapping"]})
    rows = client.get(f"/api/datasets/{copy['id']}").json()["rows"]
    got = [(r["values"]["country"], r["expected"], r["tags"]) for r in rows]
    assert got[0] == got[2] == ("France", "Paris\n(capital)", ["eu", "big"])
    assert got[1][1:] == got[3][1:] == ("x, y", []) and got[3][0] == "=cmd()"
    assert client.get(f"/api/datasets/{dataset.pk}/export.csv?version=2").content.decode().count("\n") == 4
