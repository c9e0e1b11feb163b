"""The experiments websocket and the run endpoints: progress frames, a closed tab, reopening, cancel rights."""
import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chat.experiments import runner
from chat.experiments.consumer import ExperimentConsumer
from chat.models import ExperimentBatch, ExperimentRun
from tests.experiments.conftest import make_experiment
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _connect(user) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(ExperimentConsumer.as_asgi(), "/ws/experiments/")
    ws.scope["user"] = user
    connected, _ = await ws.connect()
    assert connected
    return ws


async def _watch(ws, experiment_id: int) -> dict:
    await ws.send_json_to({"type": "experiment.watch", "experiment_id": experiment_id})
    return await ws.receive_json_from(timeout=5)


async def _until(ws, predicate, timeout: float = 10) -> list[dict]:
    seen = []
    while True:
        frame = await ws.receive_json_from(timeout=timeout)
        seen.append(frame)
        if predicate(frame):
            return seen


def _finished(frame: dict) -> bool:
    return frame["type"] == "experiment.progress" and frame["status"] != "running"


async def _experiment(alice, **fields):
    return await database_sync_to_async(make_experiment)(alice, [("loopback", "fake-model")], **fields)


async def _wait_for_runner_to_end(experiment_id: int):
    live = runner.running(experiment_id)
    if live is not None:
        await asyncio.wait_for(asyncio.shield(live.task), 10)


async def test_an_anonymous_socket_is_refused(provider):
    from django.contrib.auth.models import AnonymousUser

    ws = WebsocketCommunicator(ExperimentConsumer.as_asgi(), "/ws/experiments/")
    ws.scope["user"] = AnonymousUser()
    await ws.connect()
    assert (await ws.receive_output(timeout=2))["type"] == "websocket.close"


async def test_bad_frames_get_an_error_and_the_socket_stays(alice, provider):
    ws = await _connect(alice)
    for text in ("not json", '{"type": "chat.send"}', '{"type": "experiment.watch", "experiment_id": "1"}'):
        await ws.send_to(text_data=text)
        frame = await ws.receive_json_from()
        assert frame["type"] == "error" and frame["code"] == "bad_request"
    assert (await _watch(ws, 999))["code"] == "not_found"
    await ws.disconnect()


async def test_a_teammate_watches_the_progress_bar_fill_and_the_rows_arrive(alice, bob, provider, openai_fake,
                                                                           async_client):
    openai_fake.default_reply = Reply.text_of("hello", pieces=2, delay=0.02)
    experiment = await _experiment(alice, repeats=3, concurrency=2)
    ws = await _connect(bob)
    state = await _watch(ws, experiment.pk)
    assert state["type"] == "experiment.state" and state["batch"] is None and state["live"] is None
    await async_client.aforce_login(bob)
    response = await async_client.post(f"/api/experiments/{experiment.pk}/run")
    assert response.status_code == 202 and response.json()["batch"]["number"] == 1
    frames = await _until(ws, _finished)
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "experiment.batch" and kinds.count("experiment.run") == 3
    assert [r["status"] for r in frames[0]["runs"]] == ["pending"] * 3
    progress = [f for f in frames if f["type"] == "experiment.progress"]
    assert [p["done"] for p in progress] == [0, 1, 2, 3, 3] and progress[-1]["status"] == "complete"
    assert progress[-1]["stats"][0]["runs"] == 3 and all(p["total"] == 3 for p in progress)
    runs = [f["run"] for f in frames if f["type"] == "experiment.run"]
    assert all(r["status"] == "complete" and r["output"] == "hello" for r in runs)
    await ws.disconnect()


async def test_a_closed_tab_does_not_stop_it_and_reopening_shows_where_it_stands(alice, provider, openai_fake,
                                                                                 async_client):
    openai_fake.default_reply = Reply.text_of("y" * 20, pieces=20, delay=0.03)
    experiment = await _experiment(alice, repeats=4, concurrency=1)
    ws = await _connect(alice)
    await _watch(ws, experiment.pk)
    await async_client.aforce_login(alice)
    assert (await async_client.post(f"/api/experiments/{experiment.pk}/run")).status_code == 202
    await _until(ws, lambda f: f["type"] == "experiment.run")
    await ws.disconnect()
    again = await _connect(alice)
    state = await _watch(again, experiment.pk)
    assert state["batch"]["status"] == "running" and state["live"]["total"] == 4
    assert state["live"]["running"] and 1 <= state["live"]["done"] < 4
    assert [r["status"] for r in state["runs"]].count("complete") >= 1
    await _until(again, _finished)
    await again.disconnect()
    batch = await ExperimentBatch.objects.aget(experiment=experiment)
    assert batch.status == "complete" and openai_fake.disconnects == 0
    assert await ExperimentRun.objects.filter(batch=batch, status="complete").acount() == 4


async def test_the_owner_or_starter_cancels_over_http_and_others_may_not(alice, bob, provider, openai_fake,
                                                                        async_client):
    openai_fake.default_reply = Reply.text_of("z" * 100, pieces=100, delay=0.05)
    experiment = await _experiment(alice, repeats=4, concurrency=1)
    await async_client.aforce_login(alice)
    assert (await async_client.post(f"/api/experiments/{experiment.pk}/run")).status_code == 202
    assert (await async_client.post(f"/api/experiments/{experiment.pk}/run")).status_code == 409
    await async_client.aforce_login(bob)
    refused = await async_client.post(f"/api/experiments/{experiment.pk}/cancel")
    assert refused.status_code == 403
    await async_client.aforce_login(alice)
    assert (await async_client.post(f"/api/experiments/{experiment.pk}/cancel")).status_code == 202
    await _wait_for_runner_to_end(experiment.pk)
    assert (await ExperimentBatch.objects.aget(experiment=experiment)).status == "cancelled"
    assert (await async_client.post(f"/api/experiments/{experiment.pk}/cancel")).status_code == 404
    # a re-run is a new run set; the old one is kept
    await async_client.aforce_login(bob)
    openai_fake.default_reply = Reply.text_of("quick")
    assert (await async_client.post(f"/api/experiments/{experiment.pk}/run")).status_code == 202
    await _wait_for_runner_to_end(experiment.pk)
    assert [(b.number, b.status) async for b in ExperimentBatch.objects.order_by("number")] == [
        (1, "cancelled"), (2, "complete")]


async def test_recovery_marks_run_sets_left_running(alice, provider):
    from chat.recovery import mark_interrupted_replies

    experiment = await _experiment(alice, repeats=2)

    def left_running():
        batch = ExperimentBatch.objects.create(experiment=experiment, number=1, spec=experiment.spec(), total=2)
        ExperimentRun.objects.create(batch=batch, provider="loopback", model="fake-model", repeat=1, status="complete")
        ExperimentRun.objects.create(batch=batch, provider="loopback", model="fake-model", repeat=2)
        return batch

    batch = await database_sync_to_async(left_running)()
    assert await database_sync_to_async(mark_interrupted_replies)() == 0
    await batch.arefresh_from_db()
    assert batch.status == "interrupted" and batch.finished
    statuses = [r.status async for r in ExperimentRun.objects.filter(batch=batch).order_by("repeat")]
    assert statuses == ["complete", "interrupted"]
