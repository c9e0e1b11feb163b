"""Reading a provider's JSON with a type check on every field.

A field of the wrong type is a ProviderError that names the field and what it
held ("choices[0].delta.content is a number, not text"), never a TypeError
deep in an adapter nor a reply silently dropped. A missing field or `null` in
an optional place reads as absent.
"""
from __future__ import annotations

import math

from providers.types import PROVIDER_ERROR, ProviderError


def kind_of(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Fields:
    """One JSON object of a provider's reply; its path is built only when a field is wrong."""

    __slots__ = ("data", "parent", "key", "provider")

    def __init__(self, data, key: str | int, provider: str, parent: Fields | None = None):
        self.data, self.key, self.provider, self.parent = data, key, provider, parent
        if not isinstance(data, dict):
            raise self.wrong(None, data, "an object")

    @classmethod
    def empty(cls, key: str, parent: Fields) -> Fields:
        return cls({}, key, parent.provider, parent)

    def path(self, key: str | int | None = None) -> str:
        parts, node = [] if key is None else [key], self
        while node is not None:
            parts.append(node.key)
            node = node.parent
        text = ""
        for part in reversed(parts):
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def wrong(self, key: str | int | None, value, expected: str) -> ProviderError:
        return ProviderError(PROVIDER_ERROR, f"{self.provider} sent a reply in a shape the playground cannot read: "
                                             f"{self.path(key)} is {kind_of(value)}, not {expected}.")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _typed(self, key: str, types, expected: str):
        value = self.data.get(key)
        if value is None or (isinstance(value, types) and not (isinstance(value, bool) and bool not in types)):
            return value
        raise self.wrong(key, value, expected)

    def text(self, key: str) -> str | None:
        return self._typed(key, (str,), "text")

    def integer(self, key: str) -> int | None:
        return self._typed(key, (int,), "a whole number")

    def number(self, key: str) -> int | float | None:
        return self._typed(key, (int, float), "a number")

    def flag(self, key: str) -> bool | None:
        return self._typed(key, (bool,), "true/false")

    def value(self, key: str):
        """Any JSON value (tool arguments as objects, opaque signatures)."""
        return self.data.get(key)

    def obj(self, key: str) -> Fields:
        value = self.data.get(key)
        return Fields.empty(key, self) if value is None else Fields(value, key, self.provider, self)

    def needed(self, key: str) -> Fields:
        """An object that must be there (null or missing is an error)."""
        value = self.data.get(key)
        if value is None:
            raise self.wrong(key, value, "an object")
        return Fields(value, key, self.provider, self)

    def objects(self, key: str) -> list[Fields]:
        """A list of objects (absent or null: empty)."""
        value = self._typed(key, (list,), "a list")
        if not value:
            return []
        holder = Fields.empty(key, self)
        return [Fields(item, number, self.provider, holder) for number, item in enumerate(value)]

    def vector(self, key: str) -> list[float]:
        """A list of finite numbers that must be there (an embedding)."""
        value = self.data.get(key)
        numbers = _numbers(value)
        if numbers is None:
            raise self.wrong(key, value, "a list of numbers")
        return numbers

    def vectors(self, key: str) -> list[list[float]]:
        """A list of embeddings (absent or null: empty)."""
        holder = Fields.empty(key, self)
        vectors = []
        for number, value in enumerate(self._typed(key, (list,), "a list") or []):
            numbers = _numbers(value)
            if numbers is None:
                raise holder.wrong(number, value, "a list of numbers")
            vectors.append(numbers)
        return vectors


def _numbers(value) -> list[float] | None:
    """`value` as floats when it is a non-empty list of finite numbers, else None."""
    if not isinstance(value, list) or not value or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in value):
        return None
    return [float(x) for x in value]
