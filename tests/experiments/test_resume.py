"""Resuming a run set a restart interrupted: its unfinished runs run again (planned from the run set's own spec),
finished ones are kept, the same run set ends complete; a complete run set is not resumed."""
import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from chat import recovery
from chat.experiments import runner
from chat.models import ExperimentBatch, ExperimentRun
from tests.experiments.conftest import rows_of
from tests.experiments.test_workbench_runs import EVALUATORS, bench, make  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _interrupt(batch: ExperimentBatch, keep: int) -> list[int]:
    """What a process dying mid-run leaves once start-up recovery has run: all but `keep` runs unfinished."""
    runs = list(batch.runs.order_by("id"))
    redo = [r.pk for r in runs[keep:] if r.status == "complete"]
    ExperimentRun.objects.filter(pk__in=redo).update(status="pending", output="", verdicts=[], cost=None)
    ExperimentBatch.objects.filter(pk=batch.pk).update(status="running", finished=None)
    recovery.mark_interrupted_runs()
    return redo


async def _resume(client, experiment_id: int, number: int):
    return await client.post(f"/api/experiments/{experiment_id}/batches/{number}/resume")


async def test_an_interrupted_run_set_resumes_its_unfinished_runs(alice, bench):  # noqa: F811
    experiment = await database_sync_to_async(make)(alice, bench, evaluators=EVALUATORS[:1])
    started = await runner.launch(experiment.pk, alice)
    await asyncio.wait_for(asyncio.shield(started.task), 20)
    batch = await ExperimentBatch.objects.aget(pk=started.batch.pk)
    redo = await database_sync_to_async(_interrupt)(batch, keep=4)
    assert len(redo) >= 3
    assert await ExperimentRun.objects.filter(batch=batch, status="interrupted").acount() == len(redo)
    sent_before = len(bench["alpha"].chat_requests()) + len(bench["beta"].chat_requests())

    client = AsyncClient()
    await client.aforce_login(alice)
    response = await _resume(client, experiment.pk, batch.number)
    assert response.status_code == 202 and json.loads(response.content)["batch"]["status"] == "running"
    await asyncio.wait_for(asyncio.shield(runner.running(experiment.pk).task), 20)
    batch = await ExperimentBatch.objects.aget(pk=batch.pk)
    assert batch.status == "complete" and batch.total == 12
    rows = await database_sync_to_async(rows_of)(batch)
    assert len(rows) == 12 and await ExperimentBatch.objects.acount() == 1
    assert sum(1 for r in rows if r["status"] == "complete") == 8
    assert all(r["verdicts"] for r in rows)
    again = {r["id"]: r for r in rows if r["id"] in redo}
    assert all(r["status"] == "complete" and r["output"] in ("Paris", "Tokyo") for r in again.values())
    assert len(bench["alpha"].chat_requests()) + len(bench["beta"].chat_requests()) == sent_before + len(redo)

    refused = await _resume(client, experiment.pk, batch.number)
    assert refused.status_code == 409 and json.loads(refused.content)["error"] == (
        "Only an interrupted or cancelled run set can be resumed; run the experiment again.")
    assert (await _resume(client, experiment.pk, 9)).status_code == 404
