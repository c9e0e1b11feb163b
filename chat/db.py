"""Running ORM work off the event loop.

Channels' default runs every call on one shared thread, so one slow query
delays every other connection's; replies use a pool instead (each thread
keeps its own connection, reused for CONN_MAX_AGE).
"""
from channels.db import DatabaseSyncToAsync


def db(function):
    """`function` as a coroutine function that runs in the thread pool."""
    return DatabaseSyncToAsync(function, thread_sensitive=False)
