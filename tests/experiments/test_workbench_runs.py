"""Prompt versions × models × dataset rows, judged by evaluators (one an LLM judge on its own fake): the stored
verdicts, the matrix, a missing variable, a judge answering garbage, a 429 waited out, the cost cap, comparing."""
import pytest
from channels.db import database_sync_to_async

from chat.experiments import compare, spec, stats
from chat.models import Experiment
from chat.workbench.models import Dataset, DatasetRow, Prompt, PromptVersion
from tests.experiments.conftest import rows_of, run_to_end
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

COST = 12 * 1 / 1e6 + 5 * 2 / 1e6  # usage (12, 5) at $1 / $2 per million tokens
RUBRIC = "Question: {{input}}\nExpected: {{expected}}\nAnswer: {{output}}\nIs the answer right?"


@pytest.fixture
def bench(fakes, add_provider, alice):
    """alpha answers Paris, beta Tokyo, the judge a score of 4; two versions; three rows, one lacking a value."""
    alpha, beta, judge = fakes(), fakes(), fakes()
    alpha.default_reply, beta.default_reply = Reply.text_of("Paris"), Reply.text_of("Tokyo")
    judge.default_reply = Reply.text_of('{"score": 4, "reason": "Clear and right."}')
    for slug, fake in (("alpha", alpha), ("beta", beta), ("judge", judge)):
        add_provider(slug, fake)
    prompt = Prompt.objects.create(owner=alice, name="Capitals")
    versions = [PromptVersion.objects.create(prompt=prompt, number=n, messages=messages) for n, messages in (
        (1, [{"role": "user", "content": "Capital of {{country}}?"}]),
        (2, [{"role": "system", "content": "One word."}, {"role": "user", "content": "The capital of {{country}}?"}]))]
    dataset = Dataset.objects.create(owner=alice, name="Countries", version=3, columns=["country"])
    rows = [DatasetRow.objects.create(dataset=dataset, values=values, expected=expected, tags=tags, added=1)
            for values, expected, tags in (({"country": "France"}, "Paris", ["europe"]),
                                           ({"country": "Japan"}, "Tokyo", ["asia"]), ({}, "Nowhere", []))]
    DatasetRow.objects.create(dataset=dataset, values={"country": "Peru"}, expected="Lima", added=1, removed=2)
    return {"alpha": alpha, "beta": beta, "judge": judge, "versions": versions, "dataset": dataset, "rows": rows}


EVALUATORS = [{"kind": "equals", "name": "exact"}, {"kind": "contains", "value": "o", "case_sensitive": False},
              {"kind": "judge", "name": "judge", "provider": "judge", "model": "fake-model", "rubric": RUBRIC}]


def make(owner, bench, **fields) -> Experiment:
    data = {"name": "Capitals", "targets": [{"provider": "alpha", "model": "fake-model"},
                                            {"provider": "beta", "model": "fake-model"}],
            "prompt_versions": [v.pk for v in bench["versions"]], "dataset": bench["dataset"].pk,
            "evaluators": EVALUATORS, "repeats": 1, **fields}
    return Experiment.objects.create(owner=owner, **spec.clean(data, user=owner))


async def _run(alice, bench, **fields):
    experiment = await database_sync_to_async(make)(alice, bench, **fields)
    batch = await run_to_end(experiment, alice)
    return batch, await database_sync_to_async(rows_of)(batch)


def _verdicts(row) -> dict:
    return {v["name"]: (v["passed"], v["score"], v["error"]) for v in row["verdicts"]}


async def test_every_cell_is_run_and_judged(alice, bench):
    batch, rows = await _run(alice, bench)
    france, japan, empty = (r.pk for r in bench["rows"])
    v1, v2 = (v.pk for v in bench["versions"])
    assert batch.status == "complete" and batch.total == 12
    assert batch.spec["rows"] == [france, japan, empty] and batch.spec["dataset_version"] == 3
    cell = {(r["prompt_version"], r["provider"], r["row"]): r for r in rows}
    assert len(cell) == 12
    assert _verdicts(cell[(v1, "alpha", france)]) == {"exact": (True, None, None), "contains": (False, None, None),
                                                       "judge": (True, 4, None)}
    assert _verdicts(cell[(v2, "beta", japan)]) == {"exact": (True, None, None), "contains": (True, None, None),
                                                     "judge": (True, 4, None)}
    assert _verdicts(cell[(v1, "beta", france)])["exact"] == (False, None, None)
    judged = cell[(v1, "alpha", france)]
    assert judged["verdicts"][2]["reason"] == "Clear and right."
    assert (judged["judge_tokens"], judged["judge_cost"]) == (17, pytest.approx(COST))
    assert judged["cost"] == pytest.approx(COST)  # the run's own, the judge's apart
    missing = cell[(v2, "alpha", empty)]
    assert (missing["status"], missing["error_code"]) == ("error", "missing_variable")
    assert missing["error_message"] == "Fill in {{country}} before sending."
    assert all(v["passed"] is False and v["error"] == "No output: Fill in {{country}} before sending."
               for v in missing["verdicts"])
    sent = [r.body["messages"] for r in bench["alpha"].chat_requests()]
    assert [{"role": "system", "content": "One word."}, {"role": "user", "content": "The capital of Japan?"}] in sent
    assert [{"role": "user", "content": "Capital of France?"}] in sent and len(sent) == 4
    asked = [r.body["messages"][-1]["content"] for r in bench["judge"].chat_requests()]
    assert "Question: Capital of France?\nExpected: Paris\nAnswer: Paris\nIs the answer right?" in asked


async def test_the_matrix_has_a_cell_per_version_and_model(alice, bench):
    batch, rows = await _run(alice, bench)
    matrix = stats.matrix(rows, batch.spec)
    v1, v2 = (v.pk for v in bench["versions"])
    assert [(c["prompt_version"], c["provider"]) for c in matrix] == [(v1, "alpha"), (v1, "beta"), (v2, "alpha"),
                                                                       (v2, "beta")]
    alpha = matrix[0]
    assert alpha["total"] == 3 and alpha["errors"] == 1 and alpha["complete"] == 2
    assert alpha["pass"] == {"exact": 33.3, "contains": 0.0, "judge": 66.7}
    assert alpha["pass_pct"] == 33.3
    assert (alpha["prompt_tokens"], alpha["completion_tokens"]) == (24, 10)
    assert alpha["cost"] == pytest.approx(2 * COST) and alpha["judge_cost"] == pytest.approx(2 * COST)
    assert alpha["judge_tokens"] == 34 and alpha["latency_p50_ms"] is not None and alpha["latency_p95_ms"] is not None
    assert matrix[1]["pass"] == {"exact": 33.3, "contains": 66.7, "judge": 66.7}


async def test_a_judge_answering_garbage_is_an_error_on_that_verdict_and_the_run_goes_on(alice, bench):
    bench["judge"].default_reply = Reply.text_of("I would say it is quite good!")
    batch, rows = await _run(alice, bench)
    assert batch.status == "complete"
    done = [r for r in rows if r["status"] == "complete"]
    assert len(done) == 8
    for row in done:
        judge = row["verdicts"][2]
        assert judge["passed"] is False and judge["error"].startswith(
            "The judge's answer is not a verdict ($: Not valid JSON: Expecting value: line 1 column 1 (char 0)): "
            "'I would say it is quite good!'")
        assert row["verdicts"][0]["error"] is None and row["judge_tokens"] == 17


async def test_a_judge_answer_off_its_schema_is_an_error(alice, bench):
    bench["judge"].default_reply = Reply.text_of('{"score": 9, "reason": "Wow"}')
    batch, rows = await _run(alice, bench)
    judge = next(r for r in rows if r["status"] == "complete")["verdicts"][2]
    assert judge["error"].startswith("The judge's answer is not a verdict ($.score: 9 is greater than the maximum of 5)")


async def test_a_429_is_waited_out_without_failing_the_run(alice, bench):
    bench["alpha"].enqueue(Reply.fail(429, "slow down", retry_after=0.2), Reply.fail(429, "slow down"))
    batch, rows = await _run(alice, bench, concurrency=1, evaluators=[])
    assert batch.status == "complete"
    assert [r["status"] for r in rows if r["provider"] == "alpha" and r["row"] != bench["rows"][2].pk] == ["complete"] * 4
    assert len(bench["alpha"].chat_requests()) == 6


async def test_a_429_for_too_long_is_the_runs_error(alice, bench, settings):
    settings.PLAYGROUND_EXPERIMENT_RATE_LIMIT_RETRIES = 1
    bench["alpha"].enqueue(*[Reply.fail(429, "slow down", retry_after=0.05)] * 2)
    batch, rows = await _run(alice, bench, concurrency=1, evaluators=[])
    failed = [r for r in rows if r["error_code"] == "rate_limited"]
    assert len(failed) == 1 and failed[0]["error_message"].startswith("Alpha is rate-limiting requests (429)")


async def test_the_cost_cap_stops_the_run_set_cleanly(alice, bench):
    batch, rows = await _run(alice, bench, concurrency=1, cost_cap=2.5 * COST, evaluators=[EVALUATORS[0]])
    assert batch.status == "budget"
    assert batch.reason.startswith("Stopped at the cost cap: $0.0001 spent of $")
    statuses = [r["status"] for r in rows]
    assert statuses.count("complete") >= 3 and "cancelled" in statuses
    cancelled = next(r for r in rows if r["status"] == "cancelled" and r["error_message"] == batch.reason)
    assert cancelled["output"] == ""


async def test_comparing_two_run_sets_names_the_rows_that_changed(alice, bench):
    experiment = await database_sync_to_async(make)(alice, bench, evaluators=[EVALUATORS[0]])
    first = await run_to_end(experiment, alice)
    bench["alpha"].default_reply = Reply.text_of("Tokyo")  # now right on Japan, wrong on France
    bench["beta"].default_reply = Reply.text_of("Tokyo")
    second = await run_to_end(experiment, alice)
    result = compare.compare(*[await database_sync_to_async(rows_of)(b) for b in (first, second)])
    france, japan, _ = (r.pk for r in bench["rows"])
    assert result["rows"] == 3
    assert result["regressed"] == [{"row": france, "before": 50.0, "after": 0.0}]
    assert result["improved"] == [{"row": japan, "before": 50.0, "after": 100.0}]
    assert result["pass_diff_pct"] == 0.0 and result["pass_diff_ci"][0] < 0 < result["pass_diff_ci"][1]
    assert result["cost_diff_per_row"] == 0.0


async def test_a_judge_on_the_same_provider_waits_for_a_slot_like_a_run(alice, bench):
    bench["alpha"].default_reply = Reply.text_of('{"score": 5, "reason": "Fine."}', delay=0.05, pieces=3)
    judge = {**EVALUATORS[2], "provider": "alpha"}
    batch, rows = await _run(alice, bench, concurrency=1, evaluators=[judge])
    assert batch.status == "complete"
    assert bench["alpha"].max_open == 1 and len(bench["alpha"].chat_requests()) == 4 + 8
    assert sum(1 for r in rows if r["verdicts"][0]["passed"]) == 8
