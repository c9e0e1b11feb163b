"""A secret that stays hidden until an adapter call asks for it."""
import os
from typing import Callable

from providers import crypto


_UNREAD = object()


class Secret:
    """Holds how to get a key, not the key: `reveal()` decrypts on demand, once.

    A Secret is made with each plan's provider config, so a request decrypts its key once however many
    times its adapter asks (the headers, the scrubbing of the reply), and no key outlives its request's config.
    """

    __slots__ = ("_resolve", "_value")

    def __init__(self, resolve: Callable[[], str | None]):
        self._resolve = resolve
        self._value = _UNREAD

    @classmethod
    def encrypted(cls, token: str) -> "Secret":
        return cls(lambda: crypto.decrypt(token))

    @classmethod
    def from_env(cls, variable: str) -> "Secret":
        return cls(lambda: os.environ.get(variable) or None)

    def reveal(self) -> str | None:
        if self._value is _UNREAD:
            self._value = self._resolve()
        return self._value

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__
