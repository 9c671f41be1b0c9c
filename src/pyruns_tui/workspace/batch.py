"""Creating a batch from the Generator: plan, write all-or-nothing, optionally queue (engine calls only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyruns_tui.errors import PyrunsError
from pyruns_tui.workspace.bootstrap import read_script_info
from pyruns_tui.workspace.generate import create_from_plan, plan_tasks
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore


@dataclass(frozen=True)
class BatchResult:
    """What a create did: the names written, how many identical configs were skipped, and the
    problem that kept them from being queued (None when queued or not asked to)."""

    names: tuple[str, ...]
    skipped: int = 0
    queued: bool = False
    queue_problem: str | None = None


def queue_names(store: TaskStore, names: Sequence[str]) -> str | None:
    """Queue tasks through the runner engine (starting a runner if needed); returns the problem,
    or None when all were queued."""
    from pyruns_tui.runner.control import (
        queue,  # lazy: the runner is not needed to open the UI
    )

    try:
        outcome = queue(store, list(names))
    except PyrunsError as exc:
        return f"created but not queued: {exc}"
    if outcome.skipped:
        shown = ", ".join(f"{name} ({why})" for name, why in list(outcome.skipped.items())[:3])
        return f"{len(outcome.skipped)} not queued: {shown}"
    return None


def create_batch(
    layout: Layout,
    spec: Mapping[str, Any],
    *,
    prefix: str = "",
    skip_existing: bool = False,
    run: bool = False,
    max_tasks: int = 10_000,
) -> BatchResult:
    """Expand `spec` and create its tasks (nothing is written when it is invalid: GridError),
    then queue them when `run`. Uses its own TaskStore: safe from a worker thread."""
    store = TaskStore(layout)
    info = read_script_info(layout)
    existing = [config for _, config in store.iter_tasks_with_config()] if skip_existing else None
    plan = plan_tasks(spec, prefix=prefix or None, max_tasks=max_tasks, shell=layout.is_shell,
                      existing_configs=existing)
    kind = "shell" if layout.is_shell else info.kind
    created = create_from_plan(store, plan, task_kind=kind, script=info.script)
    names = tuple(task.name for task in created)
    if not run or not names:
        return BatchResult(names, plan.skipped)
    problem = queue_names(store, names)
    return BatchResult(names, plan.skipped, queued=problem is None, queue_problem=problem)


def describe(result: BatchResult) -> str:
    """`created and queued 4 tasks exp_1-of-4 ... exp_4-of-4 (2 identical skipped)`."""
    count = len(result.names)
    skipped = f" ({result.skipped} identical skipped)" if result.skipped else ""
    if not count:
        return f"nothing created: every config already exists{skipped}"
    verb = "created and queued" if result.queued else "created"
    noun = "task" if count == 1 else "tasks"
    if count == 1:
        shown = result.names[0]
    elif count == 2:
        shown = f"{result.names[0]} {result.names[1]}"
    else:
        shown = f"{result.names[0]} ... {result.names[-1]}"
    return f"{verb} {count} {noun} {shown}{skipped}"
