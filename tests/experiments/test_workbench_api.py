"""The workbench through the API: evaluators checked when attached (a clear 400), versions and datasets one may
read, comparing two run sets over HTTP, the CSV with verdicts, and live progress with pass rate and spend."""
import csv
import io
import json

import pytest
from channels.db import database_sync_to_async

from chat.experiments import runner, spec
from chat.models import Experiment, ExperimentBatch, ExperimentRun
from chat.workbench.models import Dataset, DatasetRow, Prompt, PromptVersion
from tests.experiments.test_live import _connect, _finished, _until, _watch
from tests.fakes.script import Reply

RUBRIC = "Answer: {{output}}\nGood?"


def _post(client, data):
    return client.post("/api/experiments", json.dumps(data), content_type="application/json")


@pytest.fixture
def version(db, alice):
    prompt = Prompt.objects.create(owner=alice, name="Greeter")
    return PromptVersion.objects.create(prompt=prompt, number=1, messages=[{"role": "user", "content": "Hi {{name}}"}])


@pytest.fixture
def dataset(db, alice):
    data = Dataset.objects.create(owner=alice, name="Names", version=2)
    for name, tag in (("Ada", "short"), ("Grace", "long")):
        DatasetRow.objects.create(dataset=data, values={"name": name}, expected=f"Hi {name}", tags=[tag], added=1)
    return data


def _data(provider, version, dataset, **fields):
    return {"targets": [{"provider": provider.slug, "model": "fake-model"}], "prompt_versions": [version.pk],
            "dataset": dataset.pk, "repeats": 1, **fields}


@pytest.mark.parametrize("evaluator, message", [
    ({"kind": "regex", "pattern": "(unclosed"}, "regex: the pattern is not a valid regular expression (missing ), "
                                                "unterminated subpattern at position 0)."),
    ({"kind": "json_schema", "schema": {"type": "nope"}}, "json_schema: Not a JSON schema: $.type: 'nope' is not valid "),
    ({"kind": "judge", "provider": "nowhere", "rubric": RUBRIC}, "judge: Unknown provider 'nowhere'."),
    ({"kind": "judge", "provider": "loopback", "rubric": "Is it good?"}, "judge: the rubric must show the judge the {{output}}."),
    ({"kind": "judge", "provider": "loopback", "rubric": "{{output}} {{secret}}"},
     "judge: the rubric may use only {{input}}, {{output}} and {{expected}}, not {{secret}}."),
    ({"kind": "latency"}, "latency: max must be a number of at least 0."),
    ({"kind": "telepathy"}, "Each evaluator needs a kind, one of: equals, contains,"),
])
def test_an_evaluator_that_cannot_work_is_refused_when_attached(client, alice, provider, version, dataset, evaluator,
                                                                 message):
    client.force_login(alice)
    response = _post(client, _data(provider, version, dataset, evaluators=[evaluator]))
    assert response.status_code == 400 and response.json()["error"].startswith(message)
    assert not Experiment.objects.exists()


def test_only_versions_and_datasets_one_may_read(client, alice, bob, provider, version, dataset):
    version.prompt.visibility = Prompt.PRIVATE
    version.prompt.save()
    client.force_login(bob)
    response = _post(client, _data(provider, version, dataset))
    assert response.json()["error"] == f"There is no prompt version {version.pk} you can read."
    dataset.visibility = Dataset.PRIVATE
    dataset.save()
    client.force_login(alice)
    assert _post(client, _data(provider, version, dataset)).status_code == 201
    client.force_login(bob)
    response = _post(client, {**_data(provider, version, dataset), "prompt_versions": [], "prompt": "Hi {{name}}"})
    assert response.json()["error"] == f"There is no dataset {dataset.pk} you can read."
    bad = _post(client, {**_data(provider, version, dataset), "prompt_versions": [], "prompt": "Hi", "dataset": None,
                         "cost_cap": -1})
    assert bad.json()["error"] == "cost_cap must be a positive number of dollars."


def test_a_workbench_experiment_is_saved_and_shown(client, alice, provider, version, dataset):
    client.force_login(alice)
    evaluators = [{"kind": "equals"}, {"kind": "judge", "provider": "loopback", "rubric": RUBRIC, "scale": "pass_fail"}]
    created = _post(client, _data(provider, version, dataset, evaluators=evaluators, cost_cap=0.5)).json()
    experiment = created["experiment"]
    assert experiment["name"] == "Greeter v1" and experiment["messages"] == []
    assert experiment["prompt_versions"] == [version.pk] and experiment["dataset"] == dataset.pk
    assert experiment["cost_cap"] == 0.5
    assert experiment["evaluators"] == [
        {"kind": "equals", "name": "equals"},
        {"kind": "judge", "provider": "loopback", "rubric": RUBRIC, "scale": "pass_fail", "pass_at": 4,
         "model": "fake-model", "name": "judge"}]
    assert created["matrix"] == [] or created["matrix"][0]["total"] == 0
    page = client.get(f"/experiments/{experiment['id']}/")
    assert b"Greeter v1" in page.content and b'id="workbench-data"' in page.content


def _stored_batch(experiment, number, passes: dict, rows: list) -> ExperimentBatch:
    batch = ExperimentBatch.objects.create(experiment=experiment, number=number, status="complete", total=len(rows),
                                           spec={**experiment.spec(), "rows": [r.pk for r in rows]})
    for row in rows:
        passed = passes[row.values["name"]]
        verdict = {"name": "equals", "kind": "equals", "passed": passed, "score": None, "reason": "r", "error": None}
        ExperimentRun.objects.create(batch=batch, provider="loopback", model="fake-model", repeat=1, row=row,
                                     prompt_version_id=experiment.prompt_versions[0], status="complete", output="Hi",
                                     cost=0.001 * number, verdicts=[verdict])
    return batch


def test_comparing_two_run_sets_over_http(client, alice, provider, version, dataset):
    client.force_login(alice)
    experiment_id = _post(client, _data(provider, version, dataset, evaluators=[{"kind": "equals"}])).json()["experiment"]["id"]
    experiment = Experiment.objects.get(pk=experiment_id)
    ada, grace = dataset.rows.order_by("id")
    _stored_batch(experiment, 1, {"Ada": True, "Grace": False}, [ada, grace])
    _stored_batch(experiment, 2, {"Ada": False, "Grace": False}, [ada, grace])
    url = f"/api/experiments/{experiment_id}/compare"
    result = client.get(url, {"a": 1, "b": 2}).json()
    assert result["regressed"] == [{"row": ada.pk, "before": 100.0, "after": 0.0}] and result["improved"] == []
    assert result["pass_diff_pct"] == -50.0 and result["pass_diff_ci"] == [-100.0, 0.0]
    assert result["cost_diff_per_row"] == 0.001 and result["cost_diff_ci"] == [0.001, 0.001]
    assert result["row_labels"] == {str(ada.pk): {"values": {"name": "Ada"}, "expected": "Hi Ada", "tags": ["short"]}}
    assert client.get(url, {"a": 1}).json()["error"] == "Say which run set to compare (b=number)."
    assert client.get(url, {"a": 1, "b": 7}).status_code == 404

    exported = client.get(f"/api/experiments/{experiment_id}/export.csv", {"batch": 2}).content.decode()
    table = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["row"], r["verdicts"], r["passed"]) for r in table] == [
        (str(ada.pk), "equals: fail (r)", "0/1"), (str(grace.pk), "equals: fail (r)", "0/1")]
    assert table[0]["prompt_version"] == str(version.pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_live_progress_has_the_pass_rate_spend_and_time_left(alice, provider, openai_fake, version, dataset):
    openai_fake.default_reply = Reply.text_of("Hi Ada")
    fields = await database_sync_to_async(spec.clean)(
        _data(provider, version, dataset, evaluators=[{"kind": "equals"}], concurrency=1), user=alice)
    experiment = await Experiment.objects.acreate(owner=alice, **fields)
    ws = await _connect(alice)
    await _watch(ws, experiment.pk)
    await runner.launch(experiment.pk, alice)
    frames = await _until(ws, _finished)
    progress = [f for f in frames if f["type"] == "experiment.progress"]
    middle = next(f for f in progress if f["done"] == 1)
    assert middle["pass_pct"] == 100.0 and middle["eta_seconds"] >= 0 and middle["spent"] > 0
    last = progress[-1]
    assert (last["status"], last["done"], last["total"], last["pass_pct"], last["eta_seconds"]) == (
        "complete", 2, 2, 50.0, None)
    assert last["spent"] == pytest.approx(2 * (12 / 1e6 + 5 * 2 / 1e6))
    assert [(c["total"], c["complete"], c["pass"]) for c in last["matrix"]] == [(2, 2, {"equals": 50.0})]
    await ws.disconnect()
