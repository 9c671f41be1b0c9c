"""VaryingParams: which parameters differ between tasks (a sweep's axes), the one rule of the
Manager's varying columns and the chart labels of marked tasks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pyruns_tui.params.values import same_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class VaryingParams:
    """The flat parameters whose value is not the same in every task, in the order their keys
    were first seen. A key some tasks lack differs too (as `compare` says `only in A`): a task
    without it ran with the script's default, or before the script had it. A task with no
    parameters at all (its config not read yet, or unreadable) counts for none.

    Tasks are added one at a time (`add`); a task that goes or changes its parameters needs a
    new count over all (`of`), since which values are left is not kept.
    """

    def __init__(self) -> None:
        self._first: dict[str, Any] = {}  # every key seen -> the first value seen of it
        self._varying: set[str] = set()
        self._tasks = 0  # tasks added that have parameters
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
        if not params:
            return
        first, varying = self._first, self._varying
        for key, value in params.items():
            if key in varying:
                continue
            seen = first.get(key, first)  # (`first` itself: not seen yet)
            if seen is first:
                first[key] = value
                self._keys = None
                if self._tasks:  # the tasks added before lack it
                    varying.add(key)
            elif seen is not value and not (type(seen) is type(value) and seen == value) and not same_value(seen, value):
                varying.add(key)
                self._keys = None
        self._tasks += 1
        if len(params) < len(first):  # (every key of `params` is in `first`: equal sizes, equal keys)
            lacked = [key for key in first if key not in params and key not in varying]
            if lacked:
                varying.update(lacked)
                self._keys = None

    def keys(self) -> list[str]:
        """The varying keys, in first-seen order."""
        if self._keys is None:
            self._keys = [key for key in self._first if key in self._varying]
        return list(self._keys)
