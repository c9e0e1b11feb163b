"""Experiment pages and endpoints: who sees, creates, edits, deletes; what a bad experiment is told."""
import json

import pytest

from chat.models import Experiment, ExperimentBatch, ExperimentRun
from tests.conftest import TEST_KEY
from tests.experiments.conftest import JSON_SCHEMA_FORMAT, WEATHER_TOOL, make_experiment

pytestmark = pytest.mark.django_db

GOOD = {"name": "Persons", "prompt": "Describe a person.", "targets": [{"provider": "loopback", "model": "fake-model"}],
        "repeats": 3, "response_format": JSON_SCHEMA_FORMAT, "params": {"temperature": 0.2}}


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def experiment(alice, provider):
    return make_experiment(alice, [("loopback", "fake-model")], repeats=2)


def test_it_needs_a_signed_in_user(client, charlie, experiment):
    for user in (None, charlie):
        if user:
            client.force_login(user)
        assert client.get("/experiments/").status_code == 302
        assert client.get(f"/experiments/{experiment.pk}/").status_code == 302
        for url in ("/api/experiments", f"/api/experiments/{experiment.pk}",
                    f"/api/experiments/{experiment.pk}/export.csv", f"/api/experiments/{experiment.pk}/export.json"):
            assert client.get(url).status_code == 403, url
        assert _post(client, "/api/experiments", GOOD).status_code == 403
        assert client.post(f"/api/experiments/{experiment.pk}/run").status_code == 403
        assert client.post(f"/api/experiments/{experiment.pk}/cancel").status_code == 403
        assert client.delete(f"/api/experiments/{experiment.pk}").status_code == 403
    assert Experiment.objects.count() == 1


def test_a_teammate_sees_the_experiments_of_the_team(client, bob, experiment):
    client.force_login(bob)
    page = client.get("/experiments/")
    assert page.status_code == 200 and b"Test experiment" in page.content and b'href="/"' in page.content
    assert client.get(f"/experiments/{experiment.pk}/").status_code == 200
    items = client.get("/api/experiments").json()["items"]
    assert [(i["id"], i["owner"]) for i in items] == [(experiment.pk, "alice")]
    detail = client.get(f"/api/experiments/{experiment.pk}").json()
    assert detail["experiment"]["can_edit"] is False and detail["batch"] is None
    assert [(s["provider"], s["model"], s["total"]) for s in detail["stats"]] == [("loopback", "fake-model", 0)]


def test_only_the_owner_edits_or_deletes(client, alice, bob, experiment):
    client.force_login(bob)
    assert _patch(client, f"/api/experiments/{experiment.pk}", {"repeats": 9}).status_code == 403
    assert client.delete(f"/api/experiments/{experiment.pk}").status_code == 403
    client.force_login(alice)
    changed = _patch(client, f"/api/experiments/{experiment.pk}", {"repeats": 9, "name": "Renamed"})
    assert changed.status_code == 200
    assert changed.json()["experiment"]["repeats"] == 9 and changed.json()["experiment"]["name"] == "Renamed"
    experiment.refresh_from_db()
    assert experiment.messages == [{"role": "user", "content": "Describe a person as JSON."}]
    assert client.delete(f"/api/experiments/{experiment.pk}").status_code == 204
    assert not Experiment.objects.exists()


def test_a_signed_in_user_creates_one(client, bob, provider):
    client.force_login(bob)
    response = _post(client, "/api/experiments", GOOD)
    assert response.status_code == 201
    created = Experiment.objects.get()
    assert created.owner == bob and created.repeats == 3 and created.params == {"temperature": 0.2}
    assert created.targets == [{"provider": "loopback", "model": "fake-model"}]
    assert created.concurrency is None and response.json()["experiment"]["can_edit"] is True


@pytest.mark.parametrize("change, message", [
    ({"repeats": 0}, "repeats must be a whole number from 1 to 50."),
    ({"repeats": 51}, "repeats must be a whole number from 1 to 50."),
    ({"concurrency": 0}, "concurrency must be a whole number from 1 to 32."),
    ({"prompt": "  "}, "Write the user message (prompt)."),
    ({"targets": []}, "Pick at least one model (targets: [{provider, model}])."),
    ({"targets": [{"provider": "nope", "model": "x"}]}, "Unknown provider 'nope'."),
    ({"targets": [{"provider": "loopback", "model": "fake-model"}] * 2}, "Loopback · fake-model is listed twice."),
    ({"params": {"temperature": "hot"}}, "`params.temperature` must be a number."),
    ({"response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "nonsense"}}}},
     "The response schema is not a valid JSON Schema: $.type: 'nonsense' is not valid under any of the given schemas"),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, "The last message must be a non-empty user message."),
])
def test_a_bad_experiment_is_refused_with_a_reason(client, alice, provider, change, message):
    client.force_login(alice)
    response = _post(client, "/api/experiments", {**GOOD, **change})
    assert response.status_code == 400 and response.json() == {"error": message}
    assert not Experiment.objects.exists()


def test_a_model_without_tools_is_refused_tools(client, alice, provider):
    provider.supports_tools = False
    provider.save()
    client.force_login(alice)
    response = _post(client, "/api/experiments", {**GOOD, "tools": [WEATHER_TOOL]})
    assert response.status_code == 400
    assert response.json()["error"] == "Loopback · fake-model does not support tools; remove the tools or pick another model."


def _batch(experiment, number, statuses):
    batch = ExperimentBatch.objects.create(experiment=experiment, number=number, spec=experiment.spec(),
                                           total=len(statuses), status="complete")
    for n, status in enumerate(statuses, 1):
        ExperimentRun.objects.create(batch=batch, provider="loopback", model="fake-model", repeat=n, status=status,
                                     output="=1+1" if status == "complete" else "", ttft_ms=10.0 * n,
                                     duration_ms=100.0 * n)
    return batch


def test_the_detail_shows_the_newest_run_set_or_the_one_asked_for(client, bob, experiment):
    _batch(experiment, 1, ["complete", "error"])
    _batch(experiment, 2, ["complete", "complete"])
    client.force_login(bob)
    newest = client.get(f"/api/experiments/{experiment.pk}").json()
    assert [b["number"] for b in newest["batches"]] == [1, 2] and newest["batch"]["number"] == 2
    assert newest["stats"][0]["runs"] == 2 and newest["stats"][0]["errors"] == 0
    first = client.get(f"/api/experiments/{experiment.pk}?batch=1").json()
    assert first["batch"]["number"] == 1 and first["stats"][0]["errors"] == 1
    assert first["stats"][0]["ttft_median_ms"] == 10.0
    cell = client.get(f"/api/experiments/{experiment.pk}/batches/1/runs?provider=loopback&model=fake-model").json()
    assert [r["repeat"] for r in cell["runs"]] == [1, 2] and cell["runs"][0]["output"] == "=1+1"
    assert client.get(f"/api/experiments/{experiment.pk}/batches/7/runs").status_code == 404


def test_exports_carry_every_run_set_and_never_a_key(client, bob, experiment):
    _batch(experiment, 1, ["complete", "error"])
    _batch(experiment, 2, ["complete", "complete"])
    client.force_login(bob)
    csv_response = client.get(f"/api/experiments/{experiment.pk}/export.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response["Content-Disposition"] == f'attachment; filename="experiment-test-experiment-{experiment.pk}.csv"'
    lines = csv_response.content.decode().splitlines()
    assert len(lines) == 5 and [line.split(",")[1] for line in lines[1:]] == ["1", "1", "2", "2"]
    assert lines[1].endswith(",'=1+1")  # a formula in the output is defused
    only = client.get(f"/api/experiments/{experiment.pk}/export.csv?batch=2").content.decode().splitlines()
    assert len(only) == 3
    assert client.get(f"/api/experiments/{experiment.pk}/export.csv?batch=9").status_code == 404
    data = client.get(f"/api/experiments/{experiment.pk}/export.json").json()
    assert data["format"] == "playground-experiment" and data["experiment"]["name"] == "Test experiment"
    assert [b["number"] for b in data["batches"]] == [1, 2]
    assert data["batches"][0]["stats"][0]["errors"] == 1 and len(data["batches"][0]["runs"]) == 2
    for response in (csv_response, client.get(f"/api/experiments/{experiment.pk}/export.json")):
        assert TEST_KEY not in response.content.decode() and TEST_KEY[-4:] not in response.content.decode()


def test_an_experiment_running_cannot_be_deleted(client, alice, experiment):
    ExperimentBatch.objects.create(experiment=experiment, number=1, spec=experiment.spec(), total=2)
    client.force_login(alice)
    assert client.delete(f"/api/experiments/{experiment.pk}").status_code == 409
