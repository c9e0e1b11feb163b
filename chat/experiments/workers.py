"""Experiment workers: processes that run the cells of every running run set, claimed from the database.

Each worker looks for run sets with cells to claim every PLAYGROUND_EXPERIMENT_POLL_SECONDS and runs one
BatchRunner per run set (the same runner the embedded server uses), next to every other worker's. The
database is the queue: a cell runs once, in whichever worker claimed it; no message has to arrive.
"""
import asyncio
import logging

from channels.layers import get_channel_layer

from chat.db import db
from chat.experiments import cells
from chat.experiments.runner import BatchRunner, poll_seconds

log = logging.getLogger(__name__)


async def serve(stop: asyncio.Event, report=log.info, drain_seconds: float = 30.0) -> None:
    """Run cells until `stop` is set; then claim nothing more and let running cells end (at most `drain_seconds`).
    `report` gets a line for each run set this worker helped with."""
    layer, runners = get_channel_layer(), {}
    while not stop.is_set():
        try:
            for batch_id in await db(cells.open_batches)():
                if batch_id not in runners or runners[batch_id].task.done():
                    runners[batch_id] = await BatchRunner.load(batch_id, layer, alone=False)
                    runners[batch_id].start()
        except Exception:  # the database went away for a moment: look again next time
            log.exception("Looking for experiment cells failed")
        for batch_id in [b for b, runner in runners.items() if runner.task.done()]:
            report(f"Ran {runners.pop(batch_id).ran} cells of run set {batch_id}.")
        try:
            await asyncio.wait_for(stop.wait(), poll_seconds())
        except TimeoutError:
            pass
    for runner in runners.values():
        runner.drain()
    tasks = [runner.task for runner in runners.values()]
    if tasks:
        _, late = await asyncio.wait(tasks, timeout=drain_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for runner in runners.values():
            if runner.claimed:  # cut off mid-run: let another worker run them again
                await db(cells.release)(runner.claimed)
    for batch_id, runner in runners.items():
        report(f"Ran {runner.ran} cells of run set {batch_id}.")
