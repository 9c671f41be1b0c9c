"""What the Manager computes off the UI thread for a load of many tasks: their order, the
parameters that vary and column widths (taken as is by the UI thread), and which search keys to
group ahead of the first search."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pyruns_tui.params.varying import VaryingParams
from pyruns_tui.tui.models.columns import Column, build_columns, column_widths, varying_columns
from pyruns_tui.tui.models.operand_groups import Slot
from pyruns_tui.tui.models.task_index import TaskEntry, TaskIndex, order_entries

GROUP_AHEAD_KEYS = 12  # parameters and metrics grouped ahead (each ~5 MB and ~0.2 s of a thread for 100,000 tasks)


@dataclass(frozen=True)
class Prepared:
    """The order, varying parameters and widths of every task once a load is applied."""

    column: Column
    reverse: bool
    order: list[TaskEntry]
    widths: dict[str, int]  # column key -> width, for the columns that could be shown but metrics
    varying: VaryingParams


def prepare(current: Mapping[str, TaskEntry], entries: Sequence[TaskEntry], removed: Sequence[str],
            column: Column, reverse: bool, pinned_params: Sequence[str], cluster: bool,
            hidden: Collection[str] | None = ()) -> Prepared:
    """`current` (the index's entries, unchanged meanwhile) with `entries` swapped in and `removed`
    dropped, ordered by `column`, its varying parameters counted, and measured for every column
    that could be shown (Slurm's job id and node with `cluster` only; the varying parameters not
    `hidden`, none when it is None: a column not measured here is measured on the UI thread)."""
    merged = dict(current)
    merged.update((entry.name, entry) for entry in entries)
    for name in removed:
        merged.pop(name, None)
    views = [entry.view for entry in merged.values()]
    varying = VaryingParams.of(view.params for view in views)
    shown = varying_columns(varying.keys(), pinned_params, hidden) if hidden is not None else []
    candidates = build_columns(pinned_params, [], cluster=cluster, live=True, errors=True, varying=shown)
    widths = column_widths(candidates, views)
    return Prepared(column, reverse, order_entries(merged.values(), column, reverse),
                    {column.key: width for column, width in zip(candidates, widths)}, varying)


def group_ahead_slots(index: TaskIndex, keys: Sequence[str]) -> list[Slot]:
    """The groupings (not built yet) for status and, of `keys` then every parameter and metric, the
    first GROUP_AHEAD_KEYS, for a keyed and for a comparison term."""
    names = list(dict.fromkeys(key.lower() for key in [*keys, *index.param_names(), *index.metric_names()]))
    slots = [index.search_slot(kind, key) for key in names[:GROUP_AHEAD_KEYS] for kind in ("keyed", "compare")]
    return index.missing_groups([("keyed", "status"), *slots])
