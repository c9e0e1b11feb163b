"""Running ORM work off the event loop.

Channels' default runs every call on one shared thread, so one slow query
delays every other connection's; replies use the loop's executor instead
(each thread keeps its own connection, reused for CONN_MAX_AGE).

On SQLite they use one thread of their own instead: SQLite lets one writer in at a time
and makes the others sleep in its busy handler (1, 2, 5 … 100 ms), so
several writer threads only add those sleeps to every turn and checkpoint.
"""
import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.db import connection

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
