"""A secret that stays hidden until an adapter call asks for it."""
import os
from typing import Callable

from providers import crypto


class Secret:
    """Holds how to get a key, not the key: `reveal()` decrypts on demand."""

    __slots__ = ("_resolve",)

    def __init__(self, resolve: Callable[[], str | None]):
        self._resolve = resolve

    @classmethod
    def encrypted(cls, token: str) -> "Secret":
        return cls(lambda: crypto.decrypt(token))

    @classmethod
    def from_env(cls, variable: str) -> "Secret":
        return cls(lambda: os.environ.get(variable) or None)

    def reveal(self) -> str | None:
        return self._resolve()

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__
