"""Three models, five repeats, one failing half the time: the stored runs, the table and the CSV, exactly."""
import csv
import io

import pytest
from channels.db import database_sync_to_async

from chat.experiments import export, stats
from chat.models import Experiment, ExperimentRun
from tests.experiments.conftest import JSON_SCHEMA_FORMAT, make_experiment, rows_of, run_to_end
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

VALID = '{"name": "Ada", "age": 36}'
MISSING_AGE = '{"name": "Bob"}'
COST = 12 * 1 / 1e6 + 5 * 2 / 1e6  # usage (12, 5) at $1 / $2 per million tokens


@pytest.fixture
def three(fakes, add_provider):
    """alpha always answers valid JSON, beta always misses a field, gamma fails every other request."""
    alpha, beta, gamma = fakes(), fakes(), fakes()
    alpha.default_reply = Reply.text_of(VALID, pieces=3)
    beta.default_reply = Reply.text_of(MISSING_AGE, pieces=2)
    gamma.enqueue(*[Reply.text_of(VALID) if n % 2 == 0 else Reply.fail(500, "upstream exploded") for n in range(5)])
    for slug, fake in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        add_provider(slug, fake)
    return alpha, beta, gamma


async def _run(alice, **fields):
    experiment = await database_sync_to_async(make_experiment)(
        alice, [("alpha", "fake-model"), ("beta", "fake-model"), ("gamma", "fake-model")], repeats=5,
        response_format=JSON_SCHEMA_FORMAT, **fields)
    return experiment, await run_to_end(experiment, alice)


async def test_every_run_is_stored_once_with_its_verdict(alice, three):
    experiment, batch = await _run(alice, concurrency=1)
    assert batch.status == "complete" and batch.number == 1 and batch.total == 15 and batch.finished
    rows = await database_sync_to_async(rows_of)(batch)
    assert [(r["provider"], r["repeat"], r["status"], r["valid"]) for r in rows] == [
        ("alpha", 1, "complete", True), ("alpha", 2, "complete", True), ("alpha", 3, "complete", True),
        ("alpha", 4, "complete", True), ("alpha", 5, "complete", True),
        ("beta", 1, "complete", False), ("beta", 2, "complete", False), ("beta", 3, "complete", False),
        ("beta", 4, "complete", False), ("beta", 5, "complete", False),
        ("gamma", 1, "complete", True), ("gamma", 2, "error", None), ("gamma", 3, "complete", True),
        ("gamma", 4, "error", None), ("gamma", 5, "complete", True),
    ]
    failed = rows[11]
    assert failed["error_code"] == "provider_error"
    assert failed["error_message"] == "Gamma answered 500: upstream exploded"
    assert failed["output"] == "" and failed["cost"] is None and failed["ttft_ms"] is None
    assert failed["duration_ms"] is not None and failed["duration_ms"] >= 0
    for row in rows:
        if row["status"] == "complete":
            assert (row["prompt_tokens"], row["completion_tokens"]) == (12, 5)
            assert row["cost"] == pytest.approx(COST)
            assert 0 <= row["ttft_ms"] <= row["duration_ms"]
    assert rows[5]["validation_errors"] == [{"path": "$", "message": "'age' is a required property"}]
    assert await ExperimentRun.objects.filter(status="pending").acount() == 0


async def test_the_table_has_exact_percentages_and_sums(alice, three):
    experiment, batch = await _run(alice)
    rows = await database_sync_to_async(rows_of)(batch)
    table = stats.table(rows, batch.spec)
    assert [(t["provider"], t["runs"], t["complete"], t["errors"], t["valid"], t["valid_pct"]) for t in table] == [
        ("alpha", 5, 5, 0, 5, 100.0), ("beta", 5, 5, 0, 0, 0.0), ("gamma", 5, 3, 2, 3, 60.0)]
    assert [(t["prompt_tokens"], t["completion_tokens"]) for t in table] == [(60, 25), (60, 25), (36, 15)]
    assert [t["cost"] for t in table] == [pytest.approx(5 * COST), pytest.approx(5 * COST), pytest.approx(3 * COST)]
    assert all(t["tool_valid_pct"] is None and t["tool_valid"] is None for t in table)
    gamma = table[2]
    complete = sorted(r["duration_ms"] for r in rows if r["provider"] == "gamma" and r["status"] == "complete")
    assert gamma["duration_median_ms"] == complete[1] and gamma["duration_p90_ms"] == complete[2]


async def test_the_csv_has_one_exact_row_per_run(alice, three):
    experiment, batch = await _run(alice, concurrency=1)
    text = await database_sync_to_async(
        lambda: export.as_csv(Experiment.objects.get(pk=experiment.pk), [batch]))()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["experiment", "batch", "provider", "model", "repeat", "status", "valid", "errors",
                        "tool_calls_valid", "prompt_tokens", "completion_tokens", "ttft_ms", "duration_ms", "cost",
                        "error", "output"]
    assert len(lines) == 16
    timings = [(line[11], line[12]) for line in lines[1:]]
    stripped = [line[:11] + line[13:] for line in lines[1:]]
    cost = str(round(COST, 8))
    ok = ["", "12", "5", cost, "", VALID]
    bad = ["'age' is a required property"]
    expected = (
        [["Test experiment", "1", "alpha", "fake-model", str(n), "complete", "true", "", ""] + ok[1:3] + ok[3:]
         for n in range(1, 6)]
        + [["Test experiment", "1", "beta", "fake-model", str(n), "complete", "false", f"$: {bad[0]}", "", "12",
            "5", cost, "", MISSING_AGE] for n in range(1, 6)]
        + [["Test experiment", "1", "gamma", "fake-model", str(n), "complete", "true", "", "", "12", "5", cost, "",
            VALID] if n % 2 else
           ["Test experiment", "1", "gamma", "fake-model", str(n), "error", "", "", "", "", "", "",
            "provider_error: Gamma answered 500: upstream exploded", ""] for n in range(1, 6)]
    )
    assert stripped == expected
    for (ttft, duration), line in zip(timings, lines[1:]):
        assert float(duration) >= 0
        assert (ttft == "") == (line[5] == "error")
