"""What the Manager's action keys do to a set of tasks: each one call into the engine.

Run/rerun/stop/force-start go through `runner.control` (the only writer of task states
besides the runner itself); pin, notes, delete and restore through the store. Every function
returns an `ActionResult` naming what was done and what was refused, with why. Run and
force-start start the runner before they write the queue, as `pyr-tui run` and Create & Run do,
so they may take a moment (call them off the UI thread); a stop is written at once and the
runner is woken after it (`client.start_or_wake`, by the caller). On Slurm, `slurm_answer` then
waits for sbatch's answer to what was queued (off the UI thread too) and says it as `pyr-tui run`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pyruns_tui.errors import USER_ERRORS, error_line
from pyruns_tui.runner import control
from pyruns_tui.workspace import edits
from pyruns_tui.workspace.store import TaskStore


@dataclass(frozen=True)
class ActionResult:
    """The outcome of one action over several tasks."""

    verb: str
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (task, why)
    needs_runner: bool = False  # the runner must be started or woken to carry it out
    outcome: control.Outcome | None = None  # what a queue did (run, to front, force-start): see `slurm_answer`

    @property
    def ok(self) -> bool:
        return not self.refused

    def message(self) -> str:
        """One line for a notification: `queued 3 tasks` plus the first refusal."""
        parts = []
        if self.done:
            parts.append(f"{self.verb} {len(self.done)} tasks" if len(self.done) > 1 else f"{self.verb} {self.done[0]}")
        if self.refused:
            name, why = self.refused[0]
            more = f" (+{len(self.refused) - 1} more)" if len(self.refused) > 1 else ""
            parts.append(f"{name}: {why}{more}")
        return "; ".join(parts) or f"nothing to {self.verb}"


Action = Callable[[TaskStore, Sequence[str]], ActionResult]  # one of the functions below, as a key calls it


def _each(verb: str, names: Sequence[str], call: Callable[[str], object]) -> ActionResult:
    result = ActionResult(verb)
    for name in names:
        try:
            call(name)
        except USER_ERRORS as exc:
            result.refused.append((name, error_line(exc)))
        else:
            result.done.append(name)
    return result


def _outcome(verb: str, names: Sequence[str], call: Callable[[], control.Outcome], needs_runner: bool) -> ActionResult:
    try:
        outcome = call()
    except USER_ERRORS as exc:
        return ActionResult(verb, refused=[(name, error_line(exc)) for name in names])
    return ActionResult(verb, outcome.changed, list(outcome.skipped.items()), needs_runner and bool(outcome.changed),
                        outcome)


@dataclass(frozen=True)
class Notice:
    """One notification: a line of Slurm's answer (`slurm_answer`)."""

    message: str
    error: bool = False


def slurm_answer(store: TaskStore, outcome: control.Outcome, given_up: Callable[[], bool] | None = None) -> list[Notice]:
    """What Slurm answered the tasks a queue just changed, in the words of `pyr-tui run`: the job
    arrays they went to (`submitted 4 tasks to Slurm as job array 123`), then one error notice
    with each refusal and why (`Slurm refused 2 of 4 tasks (a, b): ...`). Nothing for a local
    queue, which returns at once; on Slurm it blocks until the runner has called sbatch (call it
    off the UI thread), or until `given_up()` (then nothing)."""
    if not outcome.changed:
        return []
    try:
        if not control.submits_to_slurm(store, outcome.changed):
            return []
        found = control.submission_of(store, outcome, given_up)
    except USER_ERRORS as exc:  # the runner did not submit them in time, or a task went away
        return [Notice(error_line(exc), error=True)]
    if given_up is not None and given_up():
        return []
    notices = [Notice(line)] if (line := found.said()) is not None else []
    problems = [*found.refusals(), *found.not_submitted()]
    if problems:
        notices.append(Notice("\n".join(problems), error=True))
    return notices


def run_tasks(store: TaskStore, names: Sequence[str]) -> ActionResult:
    """Queue pending tasks and rerun finished ones (the runner appends run N+1)."""
    return _outcome("queued", names, lambda: control.queue(store, names), False)


def to_front_tasks(store: TaskStore, names: Sequence[str]) -> ActionResult:
    """Queue tasks ahead of every other queued one (their priority, as `run --priority`)."""
    return _outcome("moved to the front", names, lambda: control.to_front(store, names), False)


def force_start_tasks(store: TaskStore, names: Sequence[str]) -> ActionResult:
    """Start tasks without waiting for a slot or free GPUs (queued ones too)."""
    return _outcome("force-started", names, lambda: control.force_start(store, names), False)


def stop_tasks(store: TaskStore, names: Sequence[str]) -> ActionResult:
    """Queued tasks go back to pending; running ones are asked to stop (see `client.start_or_wake`)."""
    try:
        outcome = control.stop(store, names, start_runner=False)
    except USER_ERRORS as exc:
        return ActionResult("stopped", refused=[(name, error_line(exc)) for name in names])
    done = [*outcome.cancelled, *outcome.stopping]
    return ActionResult("stopped", done, list(outcome.skipped.items()), bool(outcome.stopping))


def _all(verb: str, names: Sequence[str], call: Callable[[], object]) -> ActionResult:
    """One all-or-nothing engine call: every name done, or every name refused with its reason."""
    try:
        call()
    except USER_ERRORS as exc:
        return ActionResult(verb, refused=[(name, error_line(exc)) for name in names])
    return ActionResult(verb, list(names))


def delete_tasks(store: TaskStore, names: Sequence[str]) -> ActionResult:
    """Move tasks to the trash, all or nothing as `pyr-tui rm` (an active one refuses the request)."""
    return _all("moved to trash", names, lambda: edits.trash(store, names))


def restore_tasks(store: TaskStore, trash_names: Sequence[str]) -> ActionResult:
    result = ActionResult("restored")
    try:
        result.done.extend(edits.restore(store, trash_names))
    except USER_ERRORS as exc:
        result.refused.extend((name, error_line(exc)) for name in trash_names)
    return result


def set_pinned(store: TaskStore, names: Sequence[str], pinned: bool) -> ActionResult:
    return _all("pinned" if pinned else "unpinned", names, lambda: edits.set_pinned(store, names, pinned))


def set_notes(store: TaskStore, names: Sequence[str], text: str, bases: Mapping[str, str]) -> ActionResult:
    """Save notes edited from `bases` (each task's notes when the editor opened): a change made on
    disk meanwhile (`note -a`) is merged in, never overwritten."""
    from pyruns_tui.workspace.notes import NotesMerge, save_edited_notes

    merged: list[str] = []

    def save(name: str) -> None:
        if save_edited_notes(store, name, text, bases.get(name, "")) is not NotesMerge.SAVED:
            merged.append(name)

    result = _each("saved notes of", names, save)
    if merged:
        return replace(result, verb=f"saved notes (merged with a change made meanwhile: {', '.join(merged)}) of")
    return result
