"""Experiment workers: one run set spread over two real `manage.py experimentworker` processes
(PostgreSQL claims, Redis frames), each cell run exactly once, progress reaching the page's group, cancel reaching them."""
import asyncio
import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import connection

from chat import recovery
from chat.experiments import runner, store
from chat.models import ExperimentBatch, ExperimentRun
from tests.experiments.conftest import make_experiment
from tests.fakes.script import Reply
from tests.live import experiment_worker, server_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not (django_settings.REDIS_URL and "postgresql" in django_settings.DATABASES["default"]["ENGINE"]),
                       reason="needs PostgreSQL and REDIS_URL: runs in make test's PostgreSQL + Redis pass"),
]


def _second_model(provider):
    from providers.models import ProviderModel

    ProviderModel.objects.create(provider=provider, model_id="fake-model-mini")


def _env():
    return server_env(dict(connection.settings_dict), PLAYGROUND_EXPERIMENT_WORKERS="1",
                      PLAYGROUND_EXPERIMENT_POLL_SECONDS="0.2")


async def _frames_until_end(channel: str, timeout: float = 60) -> list[dict]:
    layer, frames = get_channel_layer(), []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads((await layer.receive(channel))["text"])
            frames.append(frame)
            if frame["type"] == "experiment.progress" and frame["status"] != "running":
                return frames


def _ran(log) -> int:
    return sum(int(n) for n in re.findall(rb"Ran (\d+) cells", log.read_bytes()))


def test_two_workers_run_every_cell_exactly_once_and_the_page_sees_it_end(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_EXPERIMENT_WORKERS = True
    _second_model(provider)
    openai_fake.default_reply = Reply.text_of("a reply in pieces", pieces=4, delay=0.02)
    experiment = make_experiment(alice, [("loopback", "fake-model"), ("loopback", "fake-model-mini")],
                                 repeats=15, concurrency=3)

    async def scenario() -> tuple[list[dict], int]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(runner.group_name(experiment.pk), channel)
        started = await runner.launch(experiment.pk, alice)
        assert started.task is None  # nothing runs in this (server) process
        return await _frames_until_end(channel), started.batch.pk

    with experiment_worker(_env(), "worker-a") as worker_a, experiment_worker(_env(), "worker-b") as worker_b:
        frames, batch_id = asyncio.run(scenario())
    log_a, log_b = worker_a.log, worker_b.log
    batch = ExperimentBatch.objects.get(pk=batch_id)
    runs = list(batch.runs.all())
    assert batch.status == "complete" and len(runs) == 30
    assert all(run.status == "complete" and run.output == "a reply in pieces" for run in runs)
    assert len(openai_fake.chat_requests()) == 30  # every cell sent once: none twice, none missed
    assert openai_fake.max_open <= 3  # the per-provider limit held across both workers
    assert _ran(log_a) > 0 and _ran(log_b) > 0 and _ran(log_a) + _ran(log_b) == 30
    progress = [f for f in frames if f["type"] == "experiment.progress"]
    assert progress[-1]["done"] == progress[-1]["total"] == 30 and progress[-1]["stats"][0]["runs"] == 15
    assert sum(1 for f in frames if f["type"] == "experiment.run") == 30


def test_a_cancel_reaches_the_cells_running_in_workers(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_EXPERIMENT_WORKERS = True
    openai_fake.default_reply = Reply.text_of("x" * 100, pieces=100, delay=0.05)
    experiment = make_experiment(alice, [("loopback", "fake-model")], repeats=8, concurrency=2)

    async def scenario() -> int:
        started = await runner.launch(experiment.pk, alice)
        assert await asyncio.to_thread(openai_fake.wait_for, lambda: openai_fake.open_now == 2, 20)
        await database_sync_to_async(store.request_cancel)(started.batch.pk)
        return started.batch.pk

    with experiment_worker(_env(), "worker-a"), experiment_worker(_env(), "worker-b"):
        batch_id = asyncio.run(scenario())
        assert openai_fake.wait_for(lambda: ExperimentBatch.objects.get(pk=batch_id).status != "running", 20)
    batch = ExperimentBatch.objects.get(pk=batch_id)
    assert batch.status == "cancelled"
    assert openai_fake.wait_for(lambda: openai_fake.disconnects == 2, 5)  # upstream streams closed
    runs = list(batch.runs.all())
    assert all(run.status == ExperimentRun.CANCELLED for run in runs) and len(openai_fake.chat_requests()) == 2
    assert sum(1 for run in runs if run.error_message == "Cancelled before it started.") == 6


def test_a_run_set_survives_a_worker_killed_mid_run_and_a_restart(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_EXPERIMENT_WORKERS = True
    openai_fake.default_reply = Reply.text_of("slow " * 10, pieces=10, delay=0.05)
    experiment = make_experiment(alice, [("loopback", "fake-model")], repeats=12, concurrency=2)
    batch_id = asyncio.run(runner.launch(experiment.pk, alice)).batch.pk
    assert ExperimentRun.objects.filter(batch_id=batch_id, status="pending").count() == 12  # stored, waiting
    with experiment_worker(_env(), "worker-killed") as doomed:
        assert openai_fake.wait_for(lambda: ExperimentRun.objects.filter(batch_id=batch_id, status="complete").exists()
                                    and openai_fake.open_now == 2, 20)
        doomed.kill()  # no goodbye: its two cells stay `running`
        doomed.wait(5)
    finished_before = set(ExperimentRun.objects.filter(batch_id=batch_id, status="complete").values_list("pk", "output"))
    assert ExperimentRun.objects.filter(batch_id=batch_id, status="running").count() == 2
    assert recovery.mark_interrupted_runs() == 2  # the whole deployment's restart: bootstrap before the processes
    assert ExperimentBatch.objects.get(pk=batch_id).status == "running"
    with experiment_worker(_env(), "worker-after"):
        assert openai_fake.wait_for(lambda: ExperimentBatch.objects.get(pk=batch_id).status != "running", 30)
    runs = ExperimentRun.objects.filter(batch_id=batch_id)
    assert ExperimentBatch.objects.get(pk=batch_id).status == "complete"
    assert runs.count() == runs.filter(status="complete", output="slow " * 10).count() == 12
    assert finished_before <= set(runs.values_list("pk", "output"))  # finished cells were not run again
    assert len(openai_fake.chat_requests()) == 12 + 2  # only the two cut off were sent again


def test_a_worker_stopped_with_sigterm_finishes_its_running_cells_and_another_runs_the_rest(
        alice, provider, openai_fake, settings):
    settings.PLAYGROUND_EXPERIMENT_WORKERS = True
    openai_fake.default_reply = Reply.text_of("steady " * 10, pieces=10, delay=0.1)
    experiment = make_experiment(alice, [("loopback", "fake-model")], repeats=8, concurrency=2)
    batch_id = asyncio.run(runner.launch(experiment.pk, alice)).batch.pk
    with experiment_worker(_env(), "worker-stopping") as stopping:
        assert openai_fake.wait_for(lambda: openai_fake.open_now == 2, 20)
        stopping.terminate()
        assert stopping.wait(20) == 0
    runs = ExperimentRun.objects.filter(batch_id=batch_id)
    assert runs.filter(status="running").count() == 0  # nothing left half-done
    assert runs.filter(status="complete").count() >= 2 and runs.filter(status="pending").exists()
    with experiment_worker(_env(), "worker-taking-over"):
        assert openai_fake.wait_for(lambda: ExperimentBatch.objects.get(pk=batch_id).status != "running", 30)
    assert runs.filter(status="complete", output="steady " * 10).count() == 8
    assert len(openai_fake.chat_requests()) == 8  # none sent twice


def test_the_cost_cap_stops_the_run_set_across_workers(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_EXPERIMENT_WORKERS = True
    cost = 12 * 1 / 1e6 + 5 * 2 / 1e6  # usage (12, 5) at $1 / $2 per million tokens
    openai_fake.default_reply = Reply.text_of("priced " * 5, pieces=10, delay=0.1)
    experiment = make_experiment(alice, [("loopback", "fake-model")], repeats=20, concurrency=1, cost_cap=3.5 * cost)
    batch_id = asyncio.run(runner.launch(experiment.pk, alice)).batch.pk
    with experiment_worker(_env(), "worker-a"), experiment_worker(_env(), "worker-b"):
        assert openai_fake.wait_for(lambda: ExperimentBatch.objects.get(pk=batch_id).status != "running", 30)
    batch = ExperimentBatch.objects.get(pk=batch_id)
    assert batch.status == "budget" and batch.reason.startswith("Stopped at the cost cap: $0.0001 spent of $")
    runs = ExperimentRun.objects.filter(batch_id=batch_id)
    assert runs.filter(status="complete").count() == 4  # one provider slot across both workers: the 4th reached it
    assert runs.filter(status="cancelled", error_message=batch.reason).count() >= 15
    assert len(openai_fake.chat_requests()) <= 5
