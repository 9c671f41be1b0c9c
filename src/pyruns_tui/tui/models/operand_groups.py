"""OperandGroups: the tasks grouped by what a `key:value` or comparison term looks at in them.

A sweep of 100,000 tasks has a handful of values per parameter, so `lr>=0.01` is decided once
per distinct `lr` (by query.py's own rule, `operand_matches`) instead of once per task. Grouping
one term key walks every task (~0.2 s for 100,000 on a slow core): the Manager builds the likely
ones (status, the pinned params, the metric columns) in a thread ahead of the first keystroke
(`build`, then `install`), the others on first use; all are then kept up to date task by task.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pyruns_tui.workspace.query import TaskView, Term, operand_matches, term_operand

COLUMNS = 24  # term keys whose groupings are kept (most recently used)
UNGROUPED = frozenset({"name", "notes"})  # keyed terms on a value each task has its own of
Slot = tuple[str, str]  # (term kind, term key): what decides a term's operand
GroupKey = tuple[Any, ...]
Change = tuple[str, TaskView | None, TaskView | None]  # name, old view (None: new), new view (None: removed)


def group_key(operand: Any) -> GroupKey:
    """Equal keys for operands the rule cannot tell apart: 1, 1.0 and True differ (their type is
    part of the key), as do 0.0 and -0.0 (floats by repr, which also puts every NaN together).
    Unhashable for a list parameter (hashing the key raises TypeError)."""
    if type(operand) is tuple:  # (found, value)
        found, value = operand
        return (found, float, repr(value)) if type(value) is float else (found, type(value), value)
    return (float, repr(operand)) if type(operand) is float else (type(operand), operand)


def groupable(term: Term) -> bool:
    return term.kind in ("keyed", "compare") and not (term.kind == "keyed" and term.key in UNGROUPED)


class Column:
    """One term key's tasks by group, plus the tasks whose operand cannot be grouped."""

    def __init__(self, slot: Slot) -> None:
        self.probe = Term(slot[0], slot[1], "", "")  # only kind and key decide the operand
        self.groups: dict[GroupKey, tuple[Any, set[str]]] = {}
        self.loose: dict[str, Any] = {}  # name -> operand, decided one by one

    def add_all(self, views: Iterable[tuple[str, TaskView]]) -> None:
        probe, groups = self.probe, self.groups
        for name, view in views:  # runs over every task: no call but term_operand's
            operand = term_operand(probe, view)
            if type(operand) is tuple:
                found, value = operand
                key: GroupKey = (found, float, repr(value)) if type(value) is float else (found, type(value), value)
            else:
                key = (float, repr(operand)) if type(operand) is float else (type(operand), operand)
            try:
                group = groups.get(key)
            except TypeError:  # unhashable
                self.loose[name] = operand
                continue
            if group is None:
                group = groups[key] = (operand, set())
            group[1].add(name)

    def discard(self, name: str, view: TaskView) -> None:
        """Forget task `name`, whose view was `view` when it was added."""
        if self.loose.pop(name, None) is not None:
            return
        try:
            key = group_key(term_operand(self.probe, view))
            group = self.groups.get(key)
        except TypeError:
            return
        if group is not None:
            group[1].discard(name)
            if not group[1]:
                del self.groups[key]

    def matching(self, term: Term) -> set[str]:
        result: set[str] = set()
        for operand, names in self.groups.values():
            if operand_matches(term, operand):
                result |= names
        result.update(name for name, operand in self.loose.items() if operand_matches(term, operand))
        return result


def _regroup(column: Column, changed: Sequence[Change]) -> None:
    for name, old, new in changed:
        if old is not None:
            column.discard(name, old)
        if new is not None:
            column.add_all(((name, new),))


def build(slots: Sequence[Slot], views: Sequence[tuple[str, TaskView]]) -> dict[Slot, Column]:
    """Columns for `slots` over `views` (every task); pure, so it may run in a thread."""
    columns = {}
    for slot in slots:
        column = columns[slot] = Column(slot)
        column.add_all(views)
    return columns


class OperandGroups:
    """Groupings of the tasks for the term keys searched lately (or built ahead)."""

    def __init__(self) -> None:
        self._columns: dict[Slot, Column] = {}

    def __contains__(self, slot: Slot) -> bool:
        return slot in self._columns

    def matching(self, term: Term, slot: Slot, views: Iterable[tuple[str, TaskView]]) -> set[str]:
        """Names of the tasks (every task of the index, as `views`) satisfying the `groupable` term,
        grouped as `slot` says (the term's kind and key, or a grouping whose operands equal its)."""
        column = self._columns.pop(slot, None)
        if column is None:
            column = Column(slot)
            column.add_all(views)
        self._put(slot, column)
        return column.matching(term)

    def install(self, columns: dict[Slot, Column], changed: Sequence[Change] = ()) -> None:
        """Take columns built (by `build`), after regrouping the tasks `changed` since."""
        for slot, column in columns.items():
            _regroup(column, changed)
            self._columns.pop(slot, None)
            self._put(slot, column)

    def _put(self, slot: Slot, column: Column) -> None:
        self._columns[slot] = column  # most recently used last
        while len(self._columns) > COLUMNS:
            self._columns.pop(next(iter(self._columns)))

    def update(self, changed: Sequence[Change]) -> None:
        """Tasks changed: regroup them in every column."""
        for column in self._columns.values():
            _regroup(column, changed)

    def clear(self) -> None:
        self._columns.clear()
