"""What every CLI command needs: where the workspace is, its store and settings, how to print."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.workspace.layout import Layout, find_root, list_workspaces

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:  # the rest is imported by the commands that need it (start-up time)
    from typing import Any

    from pyruns_tui.workspace.model import Task
    from pyruns_tui.workspace.settings import Settings
    from pyruns_tui.workspace.store import TaskStore


@dataclass
class Context:
    """The resolved global options (-C, -w, --debug) of one CLI invocation."""

    cwd: Path
    workspace: str | None = None
    debug: bool = False
    named: tuple[str, ...] = ()  # the task names the command was given: they can say which workspace
    named_in_trash: bool = False  # those names are of the trash (`restore`)
    label: str = ""  # what each line said of this workspace begins with: `NAME: ` (`each_workspace`)
    _store: TaskStore | None = field(default=None, repr=False)
    _warned: bool = field(default=False, repr=False)

    def path(self, given: str) -> Path:
        """A path the user typed, taken relative to `-C DIR` like git does."""
        return self.cwd / Path(given).expanduser()

    def root(self) -> Path:
        root = find_root(self.cwd)
        if root is None:
            raise WorkspaceError(f"no _pyruns_ folder in {self.cwd} or above; run `pyr-tui init SCRIPT.py` first")
        return root

    def layout(self) -> Layout:
        root = self.root()
        if self.workspace:
            from pyruns_tui.workspace.bootstrap import check_workspace_name

            check_workspace_name(self.workspace)
            if not (root / self.workspace / "tasks").is_dir():
                known = ", ".join(list_workspaces(root)) or "none"
                raise WorkspaceError(f"no workspace {self.workspace!r} in {root} (workspaces: {known})")
            return Layout(root=root, name=self.workspace)
        names = list_workspaces(root)
        if not names:
            raise WorkspaceError(f"{root} has no workspace yet; run `pyr-tui init SCRIPT.py` first")
        if len(names) > 1:
            holders = self._holders(root, names)
            if len(holders) == 1:
                return Layout(root=root, name=holders[0])
            tasks = ", ".join(map(repr, self.named))
            trash, ls = (" in its trash", "ls --trash") if self.named_in_trash else ("", "ls")
            if len(holders) > 1:
                raise WorkspaceError(f"workspaces {', '.join(holders)} of {root} each have {tasks}{trash}; "
                                     "choose one with -w NAME")
            if len(self.named) == 1:
                where = "the trash of any workspace" if self.named_in_trash else "any workspace"
                raise WorkspaceError(f"no task named {tasks} in {where} of {root} ({', '.join(names)}); "
                                     f"see `pyr-tui -w NAME {ls}`")
            if self.named:
                raise WorkspaceError(f"no workspace of {root} ({', '.join(names)}) has all of {tasks}{trash}; "
                                     f"see `pyr-tui -w NAME {ls}`")
            raise WorkspaceError(f"{root} has several workspaces ({', '.join(names)}); choose one with -w NAME")
        return Layout(root=root, name=names[0])

    def each_workspace(self) -> list[Context]:
        """Where a command over the whole project (`stop --all`, `wait --all`, `runner stop`) acts:
        this context, or with several workspaces and no -w, one per workspace (in name order),
        each labelled with its name."""
        if self.workspace is None:
            names = list_workspaces(self.root())
            if len(names) > 1:
                return [replace(self, workspace=name, label=f"{name}: ", _store=None) for name in names]
        return [self]

    def find_by_names(self, query: list[str]) -> None:
        """Let the plain words of a query (`ls NAME`, `export NAME`) say the workspace, as a
        command's TASK words do (`show NAME`), in a project with several workspaces and no -w: the
        one workspace that has tasks they all name is taken; several are one error naming them
        (`layout`); words that name no task anywhere change nothing (the query needs -w, as before)."""
        if self.workspace is not None or self.named:
            return
        words = [word for word in query if _plain_word(word)]
        if not words:
            return
        root = self.root()
        names = list_workspaces(root)
        if len(names) < 2:
            return
        self.named = tuple(dict.fromkeys(words))
        holders = self._holders(root, names)
        if len(holders) == 1:
            self.workspace = holders[0]
        elif not holders:
            self.named = ()

    def _holders(self, root: Path, names: list[str]) -> list[str]:
        """The workspaces that hold every task the command names (none when it names none)."""
        if not self.named:
            return []
        from pyruns_tui.workspace.named import matching, matching_trashed
        from pyruns_tui.workspace.store import TaskStore

        has = matching_trashed if self.named_in_trash else matching
        stores = [TaskStore(Layout(root=root, name=name)) for name in names]
        return [store.layout.name for store in stores if all(has(store, task) for task in self.named)]

    def store(self) -> TaskStore:
        if self._store is None:
            from pyruns_tui.workspace.store import TaskStore

            # (a scan finishes a batch an interrupted `gen` left half-written: `say_notes` says it)
            self._store = TaskStore(self.layout(), disk_cache=True, finish_batches=True)
        return self._store

    def say_notes(self) -> None:
        """Say on stderr, once, what the store did unasked (a batch it finished)."""
        if self._store is None or not self._store.notes:
            return
        notes, self._store.notes = self._store.notes, []
        for note in notes:
            sys.stderr.write(f"pyr-tui: note: {note}\n")

    def settings(self) -> Settings:
        """The project's settings; a key they do not know is named once on stderr."""
        from pyruns_tui.workspace.settings import load_settings

        settings = load_settings(self.root() / "_pyruns_settings.yaml")
        if not self._warned:
            self._warned = True
            for warning in settings.warnings:
                sys.stderr.write(f"pyr-tui: warning: {warning}\n")
        return settings

    def resolve_tasks(self, words: list[str]) -> list[str]:
        """The tasks the words name (exact names, batches, globs: workspace/named.py; with
        `named_in_trash`, of the trash), in the order given; one clear error for the first that
        names none. A word that is a task's name and also a batch's prefix says so on stderr."""
        from pyruns_tui.workspace.named import resolve, resolve_trashed

        named = (resolve_trashed if self.named_in_trash else resolve)(self.store(), words)
        sys.stderr.write("".join(f"pyr-tui: note: {note}\n" for note in named.notes))
        return named.tasks

    def resolve_task(self, word: str) -> str:
        """The one task a command that takes one (`show`, `log`, `note`, `compare`) is given."""
        store = self.store()
        if store.exists(word):
            return word
        from pyruns_tui.workspace.named import resolve_one

        return resolve_one(store, word)


def grouped(texts: dict[str, str], label: str = "") -> list[str]:
    """`NAME: text` a task, or one line for a text more than 3 tasks share (a batch): `12 tasks
    are completed, nothing to stop: a, b, c, d, e, ... (7 more)`, `40 tasks failed (Killed): ...`;
    each line begins with `label` (the workspace's, `Context.label`)."""
    by_text: dict[str, list[str]] = {}
    for name, text in texts.items():
        by_text.setdefault(text, []).append(name)
    lines = []
    for text, names in by_text.items():
        if len(names) <= 3:
            lines += [f"{label}{name}: {text}" for name in names]
            continue
        from pyruns_tui.humanize import listed

        said = f"are {text[3:]}" if text.startswith("is ") else text
        lines.append(f"{label}{len(names)} tasks {said}: {listed(names)}")
    return lines


def say_skipped(skipped: dict[str, str], label: str = "") -> None:
    """The tasks a command left alone (`run`, `stop`), each with the engine's reason (the TUI's
    keys say the same), on stderr (`grouped`)."""
    sys.stderr.write("".join(line + "\n" for line in grouped(skipped, label)))


def say_waited(layout: Layout, tasks: dict[str, Task], label: str = "") -> bool:
    """What a wait ended with (`wait`, `run --wait`), on stdout: each task that did not complete
    and why (its error, or its reason: `grouped`), `3 of 4 tasks completed`, and the circuit
    breaker's pause when it holds queued ones back, each line after `label`. True when every
    task completed."""
    from pyruns_tui.runner import control

    failed = control.failed_names(tasks)
    lines = grouped({name: _state(tasks[name]) for name in failed}, label=label)
    lines.append(f"{label}{len(tasks) - len(failed)} of {len(tasks)} {'task' if len(tasks) == 1 else 'tasks'} completed")
    pause = control.paused(layout)
    if pause is not None:
        lines.append(f"{label}paused: {pause.message}; `pyr-tui runner resume` starts the queued ones")
    sys.stdout.write("".join(line + "\n" for line in lines))
    return not failed


def _state(task: Task) -> str:
    """`failed (KeyError: 'lr')`, `interrupted (stopped by user)`, `queued`."""
    cause = task.error or task.reason
    return task.status.value + (f" ({cause})" if cause else "")


def say_states(tasks: dict[str, Task], label: str = "") -> None:
    """Where tasks ended (`stop`), on stdout: `grouped` by state and cause."""
    states = {name: _state(task) for name, task in tasks.items()}
    sys.stdout.write("".join(line + "\n" for line in grouped(states, label=label)))


def read_stdin(limit: int, what: str) -> str:
    """Standard input as text for a `-` argument, at most `limit` + 1 characters of it (more says
    it is over `limit` without reading the rest: `< /dev/zero` never ends). A closed standard
    input (`<&-`) is one line, not an empty `what`."""
    if sys.stdin is None:
        raise WorkspaceError(f"standard input is closed, so there is no {what} to read for `-`; "
                             f"pipe the {what} in, or give it as an argument")
    return sys.stdin.read(limit + 1)


def print_json(data: Any) -> None:
    """The stable `--json` output: one JSON document, UTF-8, NaN and infinities as null."""
    from pyruns_tui.metrics.report_format import json_text
    from pyruns_tui.printable import json_safe

    sys.stdout.write(json_safe(json_text(data)))


def _plain_word(word: str) -> bool:
    """Whether a query word is a plain word (a substring to look for), as a task's or a batch's
    name is (a glob is not: it picks no workspace, it is matched in the one searched)."""
    from pyruns_tui.workspace.named import is_pattern
    from pyruns_tui.workspace.query import Query

    if is_pattern(word):
        return False
    terms = Query.parse(word).terms
    return len(terms) == 1 and terms[0].kind == "text" and not terms[0].negate and terms[0].value == word.lower()
