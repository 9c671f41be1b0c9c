"""Task dependencies (`run B --after A`): the rules, apart from who applies them.

A task with `after` stays queued until every task it names has completed; when one of them
fails, is interrupted or no longer exists, it goes back to pending with the reason (nothing of
it is lost, and it did not start), and so do the tasks waiting for it in turn. A dependency
that is merely pending (not queued yet) is waited for. The runner applies `readiness` at every pass; `run` checks
the graph before writing (`check_after`). All of it is plain data: names and statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from pyruns_tui.errors import RunnerError
from pyruns_tui.workspace.model import Status

__all__ = ["Readiness", "readiness", "check_after", "dependents_of"]

_BLOCKING = {Status.FAILED: "failed", Status.INTERRUPTED: "was interrupted"}
BLOCKED_PREFIX = "dependency "  # the reason of a task sent back to pending by this module


@dataclass(frozen=True)
class Readiness:
    """What a queued task's dependencies allow: start, wait (with a reason) or give up."""

    ready: bool
    blocked: bool = False
    reason: str | None = None


def readiness(after: Sequence[str], state_of: Callable[[str], tuple[Status, str | None] | None]) -> Readiness:
    """`state_of(name)` is a task's (status, reason), None when it does not exist."""
    waiting = []
    for name in after:
        state = state_of(name)
        if state is None:
            return Readiness(False, True, f"{BLOCKED_PREFIX}{name} no longer exists")
        status, reason = state
        if status in _BLOCKING:
            return Readiness(False, True, f"{BLOCKED_PREFIX}{name} {_BLOCKING[status]}")
        if status is Status.PENDING and reason and reason.startswith(BLOCKED_PREFIX):
            return Readiness(False, True, f"{BLOCKED_PREFIX}{name} did not start ({reason})")
        if status is not Status.COMPLETED:
            waiting.append(name if status is not Status.PENDING else f"{name} (not queued)")
    if waiting:
        return Readiness(False, False, f"waiting for {', '.join(waiting)}")
    return Readiness(True)


def check_after(names: Iterable[str], after: Sequence[str], graph: Mapping[str, Sequence[str]],
                what: str = "--after") -> list[str]:
    """The tasks `after` names, checked: a batch or a glob (workspace/named.py) stands for its
    tasks; dependencies on unknown tasks, on the task itself, or that close a cycle are refused
    (one RunnerError line). `graph` maps every existing task, in the listing's order, to its
    current `after`; `what` names the option or spec key in the message."""
    names = list(names)
    after = _expanded(after, graph)
    for dep in after:
        if dep not in graph:
            from pyruns_tui.workspace.named import is_pattern

            said = "no task matches it" if is_pattern(dep) else "no such task"
            raise RunnerError(f"{what} {dep!r}: {said} in this workspace (see `pyr-tui ls`)")
        if dep in names:
            raise RunnerError(f"{what} {dep}: a task cannot wait for itself")
    edges = {name: list(deps) for name, deps in graph.items()}
    for name in names:
        edges[name] = list(dict.fromkeys([*edges.get(name, []), *after]))
    for name in names:
        path = _cycle_from(name, edges)
        if path:
            raise RunnerError(f"{what} would make a cycle: " + " -> ".join(path))
    return after


def _expanded(after: Sequence[str], graph: Mapping[str, Sequence[str]]) -> list[str]:
    """`after` with each word that is not a task replaced by the tasks it names, if any (a word
    naming none stays, for the refusal to name it)."""
    if all(dep in graph for dep in after):
        return list(dict.fromkeys(after))
    from pyruns_tui.workspace.named import matches_in

    expanded: list[str] = []
    for dep in after:
        expanded += [dep] if dep in graph else matches_in(dep, graph) or [dep]
    return list(dict.fromkeys(expanded))


def _cycle_from(start: str, edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A path start -> ... -> start following `after` edges, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for dep in edges.get(node, ()):
            if dep == start:
                return [*path, dep]
            if dep not in seen:
                seen.add(dep)
                stack.append((dep, [*path, dep]))
    return None


def dependents_of(names: Iterable[str], graph: Mapping[str, Sequence[str]]) -> list[str]:
    """Every task that waits for one of `names`, directly or through others (order of `graph`)."""
    wanted = set(names)
    found: list[str] = []
    grew = True
    while grew:
        grew = False
        for task, deps in graph.items():
            if task not in wanted and wanted.intersection(deps):
                wanted.add(task)
                found.append(task)
                grew = True
    return found
