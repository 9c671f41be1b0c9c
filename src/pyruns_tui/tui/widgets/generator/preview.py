"""PreviewPanel: what the current spec expands to — task count, first rows, or what is wrong."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from pyruns_tui.errors import GridError
from pyruns_tui.params.grid import GridSpec, parse_grid
from pyruns_tui.workspace.generate import fill_command, split_shell_spec
from pyruns_tui.workspace.names import name_problem
from pyruns_tui.workspace.query import flatten, format_value

PREVIEW_ROWS = 20
PREFIX_PLACEHOLDER = "MMDD-HHMMSS"  # what an empty prefix becomes (the creation time)


@dataclass(frozen=True)
class PreviewData:
    """The preview of one spec: `count` tasks (None when invalid) and their first rows."""

    count: int | None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    problems: tuple[str, ...] = ()
    prefix: str = ""
    skipped: int = 0  # configs left out as identical to an existing task's (skip configs that already exist)

    @property
    def valid(self) -> bool:
        return self.count is not None and not self.problems


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return format_value(value) if not isinstance(value, (list, dict)) else str(value)


def compute_preview(
    spec: Mapping[str, Any],
    *,
    shell: bool = False,
    max_tasks: int = 10_000,
    prefix: str = "",
    problems: Sequence[str] = (),
    limit: int = PREVIEW_ROWS,
    conflict: Callable[[GridSpec], Sequence[str]] | None = None,
    skip: Callable[[], tuple[int, Sequence[dict[str, Any]]]] | None = None,
) -> PreviewData:
    """Count the tasks of `spec` (cheap: arithmetic) and expand only the first `limit` of them.

    `problems` are field problems found by the form; any of them makes the spec invalid.
    `conflict`, given the grid of a valid spec (its tasks: it may expand them all; it is only
    passed for a script with mutually exclusive groups), says why Create would refuse them: one
    line per group it refuses, none when it would not.
    `skip`, asked of a valid spec when *skip configs that already exist* is on, gives how many of
    its configs Create would skip as existing and the ones it would create, in order: the count
    and the rows are of those.
    """
    found = list(problems)
    if prefix:
        problem = name_problem(prefix)
        if problem:
            found.append(f"name prefix: {problem}")
    try:
        template, params = split_shell_spec(spec) if shell else (None, dict(spec))
        grid = parse_grid(params, max_tasks=max_tasks)
        if found:
            return PreviewData(None, problems=tuple(found), prefix=prefix)
        conflicts = tuple(conflict(grid)) if conflict is not None and template is None else ()
        if conflicts:
            return PreviewData(None, problems=conflicts, prefix=prefix)
        count, skipped = grid.count, 0
        if skip is not None:
            skipped, kept = skip()
            count, configs = len(kept), list(kept[:limit])
        else:
            configs = list(itertools.islice(grid.expand(), limit))
        if template is not None:
            commands = tuple((str(i), fill_command(template, c)) for i, c in enumerate(configs, 1))
            return PreviewData(count, ("#", "command") if commands else (), commands, prefix=prefix, skipped=skipped)
    except GridError as exc:  # often the very problem a field already reported: listed once
        return PreviewData(None, problems=tuple(dict.fromkeys((*found, str(exc)))), prefix=prefix)
    keys = tuple(grid.varying_keys)
    flat_rows = (flatten(c) for c in configs)
    rows = tuple(
        (str(i), *(_cell(row.get(k)) for k in keys)) for i, row in enumerate(flat_rows, 1)
    ) if keys else ()
    return PreviewData(count, ("#", *keys) if keys and rows else (), rows, prefix=prefix, skipped=skipped)


def tasks_phrase(data: PreviewData) -> str:
    """`4 tasks`, or `2 new tasks` when some configs are skipped as existing."""
    count = data.count or 0
    return f"{count} {'new ' if data.skipped else ''}task{'s' if count != 1 else ''}"


def names_line(count: int, prefix: str) -> Text:
    """`names: exp_{1..4}-of-4` (an empty prefix shows as the timestamp pattern it becomes)."""
    line = Text("names: ", style="dim")
    shown = prefix or PREFIX_PLACEHOLDER
    style = "" if prefix else "italic"
    line.append(shown if count == 1 else f"{shown}_{{1..{count}}}-of-{count}", style=style)
    return line


class PreviewPanel(VerticalScroll):
    """The live preview beside (or below) the form.

    Reactive-free: `show(data)` renders a PreviewData. Component ids: `#preview-summary`
    (count or problems), `#preview-table` (the first rows).
    """

    DEFAULT_CSS = """
    PreviewPanel { width: 1fr; height: 1fr; padding: 0 1; border-left: vkey $primary; }
    PreviewPanel #preview-summary { height: auto; }
    PreviewPanel #preview-table { height: auto; }
    """

    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: PreviewData | None = None
        self.summary_text = ""  # plain text of the summary, for status lines and tests

    def compose(self) -> ComposeResult:
        yield Static("", id="preview-summary")
        yield Static("", id="preview-table")

    def show(self, data: PreviewData) -> None:
        self.data = data
        summary = self._summary(data)
        self.summary_text = summary.plain
        self.query_one("#preview-summary", Static).update(summary)
        self.query_one("#preview-table", Static).update(self._table(data))

    def _summary(self, data: PreviewData) -> Text:
        if not data.valid:
            text = Text("✖ invalid — nothing can be created\n", style="bold red")
            for problem in data.problems:
                text.append(f"{problem}\n", style="red")
            return text
        assert data.count is not None
        text = Text()
        text.append(tasks_phrase(data), style="bold")
        if data.skipped:
            text.append(f" ({data.skipped} identical skipped)", style="dim")
        if data.count > len(data.rows) and data.rows:
            text.append(f"  (first {len(data.rows)} shown)", style="dim")
        if data.count:
            text.append("\n")
            text.append_text(names_line(data.count, data.prefix))
        if data.count and not data.columns and not data.skipped:
            text.append("\nno field varies: one task with these values", style="dim")
        elif data.count == 0 and data.skipped:
            text.append("\nnothing to create: every config already exists", style="dim")
        elif data.count == 0:
            text.append("\nnothing to create", style="dim")
        return text

    def _table(self, data: PreviewData) -> RenderableType:
        if not data.valid or not data.columns:
            return Text("")
        table = Table(box=None, pad_edge=False, expand=False, show_edge=False, padding=(0, 1),
                      header_style="bold underline")
        for i, column in enumerate(data.columns):
            table.add_column(column, justify="right" if i == 0 else "left", no_wrap=True,
                             style="dim" if i == 0 else None, overflow="ellipsis")
        for row in data.rows:
            table.add_row(*row)
        return Group(Text(""), table)
