"""The per-provider limit, and cancel: running requests stopped upstream, waiting ones never sent."""
import asyncio

import pytest
from channels.db import database_sync_to_async

from chat.experiments import runner, store
from chat.models import ExperimentBatch, ExperimentRun
from tests.experiments.conftest import make_experiment, rows_of, run_to_end
from tests.fakes.script import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _second_model(provider):
    from providers.models import ProviderModel

    ProviderModel.objects.create(provider=provider, model_id="fake-model-mini")


async def test_no_provider_has_more_requests_open_than_the_limit(alice, provider, openai_fake, fakes, add_provider):
    other = fakes()
    await database_sync_to_async(add_provider)("other", other)
    await database_sync_to_async(_second_model)(provider)
    slow = Reply.text_of("slow and steady", pieces=5, delay=0.03)
    openai_fake.default_reply = other.default_reply = slow
    experiment = await database_sync_to_async(make_experiment)(
        alice, [("loopback", "fake-model"), ("loopback", "fake-model-mini"), ("other", "fake-model")],
        repeats=5, concurrency=3)
    batch = await run_to_end(experiment, alice)
    assert batch.status == "complete"
    assert openai_fake.max_open == 3 and len(openai_fake.chat_requests()) == 10
    assert other.max_open == 3 and len(other.chat_requests()) == 5
    assert await ExperimentRun.objects.filter(batch=batch, status="complete").acount() == 15


async def test_the_limit_defaults_to_the_setting(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_EXPERIMENT_CONCURRENCY = 2
    openai_fake.default_reply = Reply.text_of("one at a time-ish", pieces=4, delay=0.03)
    experiment = await database_sync_to_async(make_experiment)(alice, [("loopback", "fake-model")], repeats=6)
    assert experiment.concurrency is None
    await run_to_end(experiment, alice)
    assert openai_fake.max_open == 2 and len(openai_fake.chat_requests()) == 6


async def _two_running(alice, openai_fake):
    openai_fake.default_reply = Reply.text_of("x" * 100, pieces=100, delay=0.05)
    experiment = await database_sync_to_async(make_experiment)(
        alice, [("loopback", "fake-model")], repeats=6, concurrency=2)
    started = await runner.launch(experiment.pk, alice)
    assert await asyncio.to_thread(openai_fake.wait_for, lambda: openai_fake.open_now == 2, 5)
    # some text of both has arrived (each stream's first event is its role chunk)
    assert await asyncio.to_thread(openai_fake.wait_for, lambda: openai_fake.events_sent >= 10, 5)
    return started


async def _stored_after_cancel(started, openai_fake):
    await asyncio.wait_for(asyncio.shield(started.task), 10)
    assert await asyncio.to_thread(openai_fake.wait_for, lambda: openai_fake.disconnects == 2, 3)
    assert len(openai_fake.chat_requests()) == 2  # the four waiting runs were never sent
    batch = await ExperimentBatch.objects.aget(pk=started.batch.pk)
    assert batch.status == "cancelled" and batch.finished
    rows = await database_sync_to_async(rows_of)(batch)
    assert [r["status"] for r in rows] == ["cancelled"] * 6
    ran = [r for r in rows if r["started"]]
    assert len(ran) == 2
    for row in ran:
        assert 0 < len(row["output"]) < 100 and row["finish_reason"] == "cancelled" and row["duration_ms"] > 0
    never = [r for r in rows if not r["started"]]
    assert len(never) == 4 and all(r["error_message"] == "Cancelled before it started." for r in never)
    assert runner.running(batch.experiment_id) is None


async def test_cancel_stops_running_requests_and_never_starts_waiting_ones(alice, provider, openai_fake):
    started = await _two_running(alice, openai_fake)
    assert started.cancel() is True
    assert started.cancel() is False
    await _stored_after_cancel(started, openai_fake)


async def test_a_cancel_stored_by_another_process_is_picked_up(alice, provider, openai_fake, settings):
    settings.PLAYGROUND_EXPERIMENT_POLL_SECONDS = 0.05
    started = await _two_running(alice, openai_fake)
    await database_sync_to_async(store.request_cancel)(started.batch.pk)
    await _stored_after_cancel(started, openai_fake)


async def test_a_second_run_set_waits_for_the_first(alice, provider, openai_fake):
    started = await _two_running(alice, openai_fake)
    with pytest.raises(store.Busy):
        await runner.launch(started.batch.experiment_id, alice)
    started.cancel()
    await asyncio.wait_for(asyncio.shield(started.task), 10)
    again = await runner.launch(started.batch.experiment_id, alice)
    again.cancel()
    await asyncio.wait_for(asyncio.shield(again.task), 10)
    assert [b.number async for b in ExperimentBatch.objects.order_by("number")] == [1, 2]


async def test_each_run_is_written_once_and_the_batch_once_more(alice, provider, openai_fake, monkeypatch):
    writes = []
    for name in ("finish_run", "finish_batch"):
        original = getattr(store, name)
        monkeypatch.setattr(store, name, lambda *args, _f=original, _n=name: (writes.append(_n), _f(*args))[1])
    openai_fake.default_reply = Reply.text_of("many small pieces " * 10, pieces=40)
    experiment = await database_sync_to_async(make_experiment)(alice, [("loopback", "fake-model")], repeats=4)
    await run_to_end(experiment, alice)
    assert sorted(writes) == ["finish_batch"] + ["finish_run"] * 4
