"""Admin-set configuration read on the path to every first token, kept briefly in each process.

Providers, models and quotas change rarely and are read for every reply. Each
`BriefCache` keeps what it computed for PLAYGROUND_CONFIG_CACHE_SECONDS; a
save or delete of a model it depends on clears it at once in the process that
made the change, and other processes see the change within that time.
"""
import time

from django.conf import settings


class BriefCache:
    def __init__(self):
        self._entries: dict = {}

    def get(self, key, compute):
        """The value cached for `key`, or `compute()`'s (an exception is not cached)."""
        cached = self._entries.get(key)
        if cached is not None and time.monotonic() - cached[0] < settings.PLAYGROUND_CONFIG_CACHE_SECONDS:
            return cached[1]
        value = compute()
        self._entries[key] = (time.monotonic(), value)
        return value

    def clear(self, **signal_kwargs) -> None:
        """Forget everything (also a signal receiver: connect it with `weak=False`)."""
        self._entries.clear()

    def clear_on(self, *signals_and_senders) -> "BriefCache":
        """Clear on each (signal, sender) pair; returns the cache, to connect where it is made."""
        for signal, sender in signals_and_senders:
            signal.connect(self.clear, sender=sender, weak=False)
        return self
