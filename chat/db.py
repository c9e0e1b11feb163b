"""Running ORM work off the event loop.

Channels' default runs every call on one shared thread, so one slow query
delays every other connection's; replies use their own executor instead
(each thread keeps its own connection, reused for CONN_MAX_AGE).

On SQLite that executor has one thread: SQLite lets one writer in at a time
and makes the others sleep in its busy handler (1, 2, 5 … 100 ms), so
several writer threads only add those sleeps to every turn and checkpoint.
"""
import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.db import connection

POOL_THREADS = 8
_executors: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor]" = weakref.WeakKeyDictionary()


def _executor() -> ThreadPoolExecutor:
    """The running loop's ORM executor (one per loop, like the loop's own default executor)."""
    loop = asyncio.get_running_loop()
    executor = _executors.get(loop)
    if executor is None:
        threads = 1 if connection.vendor == "sqlite" else POOL_THREADS
        executor = _executors[loop] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="orm")
        weakref.finalize(loop, executor.shutdown, wait=False)
    return executor


def db(function):
    """`function` as a coroutine function that runs on the running loop's ORM executor."""

    async def run(*args, **kwargs):
        return await DatabaseSyncToAsync(function, thread_sensitive=False, executor=_executor())(*args, **kwargs)

    return run
