"""Running ORM work off the event loop.

Channels' default runs every call on one shared thread, so one slow query
delays every other connection's; replies use the loop's executor instead
(each thread keeps its own connection, reused for CONN_MAX_AGE).

On SQLite they use one thread of their own instead: SQLite lets one writer in at a time
and makes the others sleep in its busy handler (1, 2, 5 … 100 ms), so
several writer threads only add those sleeps to every turn and checkpoint.

Turns, checkpoints and finished replies are stored with a group commit
(`grouped`): what arrives while a batch is being stored waits for the next
batch, and each batch is one trip to the thread and one transaction, where
each write alone paid a trip and a commit (a third of a turn's cost on
SQLite, an fsync on PostgreSQL). Writes of a kind that can be stored
together in fewer statements (turns: multi-row inserts) say so with a
`together` attribute, and fall back to one at a time when that fails.
"""
import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection, transaction

_executors: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor]" = weakref.WeakKeyDictionary()


def _executor() -> ThreadPoolExecutor | None:
    """SQLite: the running loop's one ORM thread; other databases: the loop's default pool (None)."""
    if connection.vendor != "sqlite":
        return None
    loop = asyncio.get_running_loop()
    executor = _executors.get(loop)
    if executor is None:
        executor = _executors[loop] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        weakref.finalize(loop, executor.shutdown, wait=False)
    return executor


def db(function):
    """`function` as a coroutine function that runs off the event loop, on the ORM executor."""

    async def run(*args, **kwargs):
        return await DatabaseSyncToAsync(function, thread_sensitive=False, executor=_executor())(*args, **kwargs)

    return run


async def here_or_off(function, *args):
    """`function(*args)` on the event loop when it needs no database, else off the loop, as `db` runs it.

    Planning a new conversation's first turn reads only configuration the process keeps (models, quota
    limits): there the trip to the ORM thread and back costs more than the planning. Anything that would
    query raises SynchronousOnlyOperation before it does (Django refuses the ORM on an event loop), and the
    whole function runs again off the loop, so it must write nothing before its first query.
    """
    try:
        return function(*args)
    except SynchronousOnlyOperation:
        return await db(function)(*args)


# Group commit ------------------------------------------------------------------------------


class _GroupCommit:
    """The writes waiting for this loop's next batch, and whether a batch is being stored."""

    def __init__(self):
        self.waiting: list[tuple[object, asyncio.Future]] = []
        self.storing: asyncio.Task | None = None

    async def drain(self) -> None:
        batch: list = []
        try:
            while self.waiting:
                batch, self.waiting = [(f, future) for f, future in self.waiting if not future.done()], []
                try:
                    outcomes = await db(_together)([function for function, _ in batch])
                except Exception as error:  # the batch's own transaction failed: every write in it did
                    outcomes = [(False, error)] * len(batch)
                for (_, future), (ok, value) in zip(batch, outcomes):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:  # stopped itself (the loop is closing): whoever still waits is cancelled, not left hanging
            self.storing = None
            for _, future in batch + self.waiting:
                future.cancel()


_groups: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit]" = weakref.WeakKeyDictionary()


def _together(functions: list) -> list[tuple[bool, object]]:
    """Run each function in its own savepoint of one transaction (one alone needs none): one failing rolls back
    only itself. Functions with the same `together` (a function of a list of them, returning their results) are
    stored with it first, in one savepoint; if that fails, each of them alone."""
    outcomes: dict[int, tuple[bool, object]] = {}
    kinds: dict[object, list[int]] = {}
    for index, function in enumerate(functions):
        kinds.setdefault(getattr(function, "together", None), []).append(index)
    with transaction.atomic():
        for together, indexes in kinds.items():
            if together is not None and len(indexes) > 1:
                outcomes.update(_all_or_none(together, {index: functions[index] for index in indexes}))
        for index, function in enumerate(functions):
            if index not in outcomes:
                outcomes[index] = _alone(function, savepoint=len(functions) > 1)
    return [outcomes[index] for index in range(len(functions))]


def _all_or_none(together, functions: dict[int, object]) -> dict[int, tuple[bool, object]]:
    """`together(functions)` in a savepoint: every outcome, or none if it failed."""
    try:
        with transaction.atomic():
            results = together(list(functions.values()))
    except Exception:
        return {}
    return {index: (True, result) for index, result in zip(functions, results)}


def _alone(function, savepoint: bool) -> tuple[bool, object]:
    try:
        with transaction.atomic(savepoint=savepoint):
            return True, function()
    except Exception as error:
        return False, error


async def grouped(function):
    """`function()` (synchronous ORM writes) stored with whatever else arrives meanwhile; its result or exception.

    A caller that stops waiting before its batch starts stores nothing.
    """
    loop = asyncio.get_running_loop()
    group = _groups.get(loop)
    if group is None:
        group = _groups[loop] = _GroupCommit()
    future = loop.create_future()
    group.waiting.append((function, future))
    if group.storing is None:
        group.storing = loop.create_task(group.drain())
    return await future
