"""VaryingParams: which parameters differ between the tasks of a workspace (a sweep's axes), the
Manager's automatic columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyruns_tui.params.values import same_value


class VaryingParams:
    """The flat parameters whose value is not the same in every task that has one, in the order
    their keys were first seen; a key only some tasks have varies only when their values differ.

    Tasks are added one at a time (`add`); a task that goes or changes its parameters needs a
    new count over all (`of`), since which values are left is not kept.
    """

    def __init__(self) -> None:
        self._first: dict[str, Any] = {}  # every key seen -> the first value seen of it
        self._varying: set[str] = set()
        self._keys: list[str] | None = []

    @classmethod
    def of(cls, params: Iterable[Mapping[str, Any]]) -> VaryingParams:
        varying = cls()
        varying.add_all(params)
        return varying

    def add_all(self, params: Iterable[Mapping[str, Any]]) -> None:
        for one in params:
            self.add(one)

    def add(self, params: Mapping[str, Any]) -> None:
        first, varying = self._first, self._varying
        for key, value in params.items():
            if key in varying:
                continue
            seen = first.get(key, first)  # (`first` itself: not seen yet)
            if seen is first:
                first[key] = value
                self._keys = None
            elif seen is not value and not (type(seen) is type(value) and seen == value) and not same_value(seen, value):
                varying.add(key)
                self._keys = None

    def keys(self) -> list[str]:
        """The varying keys, in first-seen order."""
        if self._keys is None:
            self._keys = [key for key in self._first if key in self._varying]
        return list(self._keys)
