"""LogPane: a task's log with a header line (task, run selector, follow state) and a search box."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from pyruns_tui.humanize import format_duration, format_progress, plural
from pyruns_tui.printable import middle_cut
from pyruns_tui.runner.log_cut import log_cut
from pyruns_tui.tui.widgets.manager.detail_pane import failure_text
from pyruns_tui.tui.widgets.monitor.logview import LogView
from pyruns_tui.tui.widgets.popup_input import SHOWN, PopupInput
from pyruns_tui.tui.widgets.topbar import STATUS_GLYPHS
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.progress_file import read_run_progress

MAX_RUN_TABS = 6  # more runs than this show as "run 7/12"


def run_selector(indices: list[int], current: int | None) -> Text:
    """`run1 [run2] run3`, or `run 7/12` when there are many runs."""
    text = Text(no_wrap=True)
    if not indices or current is None:
        return text
    if len(indices) > MAX_RUN_TABS:
        text.append(f"run {current}/{indices[-1]}", style="bold reverse")
        return text
    for index in indices:
        text.append(f" run{index} ", style="bold reverse" if index == current else "dim")
    return text


class LogSearch(PopupInput):
    """The log's `/` search box. Its keys are bindings, so the footer shows them while it has the
    focus (as the Manager's search bar shows `esc Clear search`) and `?` lists them.

    Bindings: enter finds (Input.Submitted), escape closes (`LogSearch.Closed`).
    """

    BINDINGS = [
        Binding("enter", "submit", "Find"),
        Binding("escape", "close", "Close search"),
    ]

    class Closed(Message):
        """Esc was pressed in the search box."""

    def action_close(self) -> None:
        self.post_message(self.Closed())


@dataclass
class HeaderPart:
    """One item of the log header: `variants` from the full text to the shortest. Until the line
    fits, the step of lowest priority is taken: shortening a part (at `shorten_at`, default its
    `priority`) or leaving it out (at `priority`); the first part (the task) is only cut. An
    `elastic` part (a failure's reason) counts as at most that many cells: it is cut with `…` to
    the room the line leaves it, rather than left out, with all of lower priority, for being long."""

    priority: int
    variants: list[Text]
    gap: int = 0  # spaces before it
    shorten_at: int | None = None
    elastic: int = 0


def fit_header(parts: list[HeaderPart], width: int) -> Text:
    """The header line of `parts` (in their order) in `width` cells (0: unknown, everything)."""
    chosen = {id(part): 0 for part in parts}

    def line(cut: int = 0) -> Text:
        """The chosen parts; elastic ones `cut` cells shorter (down to their `elastic` cells)."""
        out = Text(no_wrap=True, overflow="ellipsis")
        for part in parts:
            if id(part) in chosen:
                out.append(" " * part.gap)
                piece = part.variants[chosen[id(part)]]
                if part.elastic and cut and piece.cell_len > part.elastic:
                    piece = piece.copy()
                    piece.truncate(max(part.elastic, piece.cell_len - cut), overflow="ellipsis")
                out.append_text(piece)
        return out

    steps: list[tuple[int, HeaderPart, bool]] = []  # (priority, part, leave out)
    for part in parts[1:]:
        shorten_at = part.priority if part.shorten_at is None else part.shorten_at
        steps += [(shorten_at, part, False)] * (len(part.variants) - 1) + [(part.priority, part, True)]
    shortest = 1 << 30  # elastic parts at their least
    text = line(cut=shortest)
    for _, part, leave_out in sorted(steps, key=lambda step: step[0]):
        if not width or text.cell_len <= width:
            break
        if leave_out:
            del chosen[id(part)]
        else:
            chosen[id(part)] += 1
        text = line(cut=shortest)
    text = line()
    if width and text.cell_len > width:
        if len(chosen) == 1:  # the task's name alone is too long: cut in its middle, as in the lists
            return cut_text_middle(text, width)
        text = line(cut=text.cell_len - width)
        text.truncate(width, overflow="ellipsis")
    return text


def cut_text_middle(text: Text, width: int) -> Text:
    """`text` in `width` cells, its middle left out as `cut_cells_middle` does, each kept part in its style."""
    kept = middle_cut(text.plain, width)
    if kept is None or width <= 0:
        return text
    out = text[: kept[0]]
    out.append("…")
    out.append_text(text[kept[1]:])
    out.no_wrap, out.overflow = True, "ellipsis"
    return out


PROGRESS_REFRESH_S = 1.0  # the header's ETA counts down this often (its progress follows the sidecar: _look_at_progress)
FAILURE_CELLS = 24  # a failure's reason in the header is cut to the room left, not below this (`✖ RuntimeError: CUD…`)


class LogPane(Vertical):
    """One task's run log: header, `LogView`, and a search input shown by `/`.

    Attributes: `task` (shown task or None), `run` (run index shown). `compact` panes (the
    split view) show a shorter header. No bindings of its own (the LogView has them).
    """

    DEFAULT_CSS = """
    LogPane { height: 1fr; }
    LogPane > .logpane--header { height: 1; background: $boost; }
    LogPane > Input { display: none; height: 3; }
    LogPane > Input.-shown { display: block; }
    LogPane.-compact { border: round $panel-lighten-2; }
    LogPane.-compact:focus-within { border: round $accent; }
    """

    def __init__(self, layout: Layout, *, scrollback: int = 100_000, hz: float = 4.0, compact: bool = False,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.workspace = layout
        self.shown_task: Task | None = None
        self.run: int | None = None
        self.compact = compact
        self.set_class(compact, "-compact")
        self._view = LogView(scrollback=scrollback, idle_hz=hz)
        self._header: Text | None = None  # the header line shown
        self._progress_seen: tuple[int, int, int] | None = None  # the sidecar the header last showed (a stat)

    @property
    def view(self) -> LogView:
        return self._view

    def compose(self) -> ComposeResult:
        yield Static(classes="logpane--header")
        yield self._view
        yield LogSearch(placeholder="search this log (Enter: find, Esc: close)", id="log-search")

    def on_mount(self) -> None:
        self.watch(self._view, "follow", self._update_header, init=False)
        self.watch(self._view, "lines", self._update_header, init=False)
        self.watch(self._view, "search", self._update_header, init=False)
        self.watch(self._view, "scroll_x", self._update_header, init=False)
        self._view.on_poll = self._look_at_progress
        self.set_interval(PROGRESS_REFRESH_S, self._refresh_progress)
        self._update_header()

    def _shows_live_run(self) -> bool:
        task = self.shown_task
        return task is not None and task.status is Status.RUNNING and bool(task.runs) and task.runs[-1].index == self.run

    def _refresh_progress(self) -> None:
        if not self.screen.is_active:  # under a dialog: the header is redone when it closes (update_task)
            return
        if self._shows_live_run():
            self._update_header()

    def _look_at_progress(self) -> None:
        """At each look of the view at the log (4 times a second, more while it grows): the header
        again as soon as the runner replaced the sidecar, often with no new line (a bar redrawn
        with `\\r`); a stat, so a quiet run costs nothing more."""
        if not self._shows_live_run():
            return
        assert self.shown_task is not None
        try:
            found = os.stat(self.workspace.progress_file(self.shown_task.name))
        except OSError:
            seen = None
        else:
            seen = (found.st_ino, found.st_mtime_ns, found.st_size)
        if seen != self._progress_seen:
            self._progress_seen = seen
            self._update_header()

    def show(self, task: Task | None, run: int | None = None) -> None:
        """Show `task`'s run `run` (default: its last run); None shows an empty pane."""
        self.shown_task = task
        runs = [r.index for r in task.runs] if task is not None else []
        if run not in runs:
            run = runs[-1] if runs else None
        if task is None:
            self.run = None
            self._view.open(None, empty_text="no task — pick one in the list (Tab, j/k)")
        elif run is None:
            self.run = None
            failure = failure_text(task)
            state = f"{task.status.value}: {failure}" if failure else task.status.value
            self._view.open(None, empty_text=f"{task.name} has not run yet ({state})")
        elif (task.name, run) != self._shown():
            self.run = run
            missing = self.workspace.missing_run_log(task, run)  # deleted, or never started: one line, not an empty pane
            # queued on Slurm: why, until its launcher writes the log, which is then followed
            waiting = None if missing else self.workspace.waiting_run_log(task, run)
            self._view.open(None if missing else self.workspace.run_log(task.name, run),
                            empty_text=missing or waiting or "")
        self._update_header()

    def _shown(self) -> tuple[str, int] | None:
        source = self._view.source
        if source is None or self.shown_task is None or self.run is None:
            return None
        return (self.shown_task.name, self.run) if source == self.workspace.run_log(self.shown_task.name, self.run) else None

    def update_task(self, task: Task) -> None:
        """The task changed on disk: refresh the header; a new run is followed if we were on the last."""
        was_last = self.shown_task is not None and self.shown_task.runs and self.run == self.shown_task.runs[-1].index
        changed = self.shown_task is not None and self.shown_task.status is not task.status
        self.shown_task = task
        if was_last and task.runs and task.runs[-1].index != self.run:
            self.show(task, task.runs[-1].index)
        elif self.run is None and changed:  # the "has not run yet (state)" text follows the state
            self.show(task)
        else:
            self._update_header()

    def cycle_run(self, step: int) -> int | None:
        """Show the next (step=1) or previous (-1) run, wrapping around; returns its index."""
        if self.shown_task is None or not self.shown_task.runs:
            return None
        indices = [r.index for r in self.shown_task.runs]
        position = indices.index(self.run) if self.run in indices else len(indices) - 1
        run = indices[(position + step) % len(indices)]
        self.show(self.shown_task, run)
        return run

    def _update_header(self) -> None:
        header = self.query_one(".logpane--header", Static)
        text = fit_header(self._header_parts(), header.size.width)
        if text != self._header:  # the progress check each second mostly finds the same line: not re-sent
            self._header = text
            header.update(text)

    def on_resize(self) -> None:
        self._update_header()

    def _header_parts(self) -> list[HeaderPart]:
        task = self.shown_task
        if task is None:
            return [HeaderPart(100, [Text(" no task", style="dim")])]
        glyph, style = STATUS_GLYPHS[task.status]
        name = Text(f" {glyph} ", style=style)
        name.append(task.name, style="bold")
        indices = [r.index for r in task.runs]
        parts = [HeaderPart(100, [name])]
        if indices and self.run is not None:
            short = Text(f"run {self.run}/{indices[-1]}" if len(indices) > 1 else f"run{self.run}", style="bold")
            parts.append(HeaderPart(80, [run_selector(indices, self.run), short], gap=2, shorten_at=65))
        view = self._view
        if view.source is not None:
            follow = ("● follow", "green") if view.follow else ("‖ paused", "yellow")
            parts.append(HeaderPart(85, [Text(follow[0], style=follow[1]), Text(follow[0][0], style=follow[1])], gap=2))
            # only the tail is read (1 MB, then a page per `g`): a count of the lines held is not the log's size
            held = "" if view.buffer is None or view.buffer.holds_start else "last "
            parts.append(HeaderPart(30, [Text(held + plural(view.lines, "line"), style="dim")], gap=2))
            cut = log_cut(self.workspace, task) if self._shows_live_run() else None
            if cut is not None:  # nothing more reaches this log, however long the task runs on
                parts.append(HeaderPart(92, [Text(f"✂ {cut.reason}; task runs on", style="bold yellow"),
                                             Text(f"✂ {cut.reason}", style="bold yellow")],
                                        gap=2, shorten_at=40, elastic=FAILURE_CELLS))
            parts.extend(self._progress_parts(task, stale=cut is not None))
            sideways = self._sideways_text()
            if sideways:
                parts.append(HeaderPart(50, [Text(sideways, style="cyan")], gap=2))
            if view.search:
                search = Text(f"/{view.search}", style="bold yellow")
                position = view.match_position()
                if position is not None:
                    search.append(f" {position[0]}/{position[1]}", style="yellow")
                parts.append(HeaderPart(95, [search], gap=2))
        failure = failure_text(task) if task.runs and self.run == task.runs[-1].index else None
        if failure:
            parts.append(HeaderPart(90, [Text(f"✖ {failure}", style="bold red")], gap=2, elastic=FAILURE_CELLS))
        return parts

    def _sideways_text(self) -> str:
        """`⇆ 41-88/160` while lines are wider than the view (h/l scroll), else empty."""
        view = self._view
        width, total = view.scrollable_content_region.width, view.virtual_size.width
        if view.wrap or not width or total <= width:
            return ""
        left = int(view.scroll_x)
        return f"⇆ {left + 1}-{min(total, left + width)}/{total}"

    def _progress_parts(self, task: Task, stale: bool = False) -> list[HeaderPart]:
        """`██▌   42%`, `eta 3m05s`, `epoch 3/10 · 812/1563` for the running run shown, else none;
        no ETA when the reading is `stale` (its log was cut: the progress shown is where it stopped)."""
        last = task.last_run
        if task.status is not Status.RUNNING or last is None or last.index != self.run:
            return []
        progress = read_run_progress(self.workspace.task_dir(task.name), run=self.run)
        if progress is None:
            return []
        parts = []
        if progress.progress is not None:
            percent = Text(f"{int(progress.progress * 100)}%", style="green")
            parts.append(HeaderPart(70, [Text(format_progress(progress.progress), style="green"), percent], gap=2))
        eta = None if stale else progress.eta_at(time.time())
        if eta is not None:
            parts.append(HeaderPart(60, [Text(f"eta {format_duration(eta)}", style="cyan")], gap=2))
        if not self.compact and progress.progress_label:
            parts.append(HeaderPart(20, [Text(progress.progress_label, style="dim")], gap=2))
        return parts

    @on(LogView.MatchMoved)
    def _match_moved(self, event: LogView.MatchMoved) -> None:
        event.stop()
        self._update_header()

    @on(LogView.SearchRequested)
    def _open_search(self, event: LogView.SearchRequested) -> None:
        event.stop()
        box = self.query_one(Input)
        box.value = self._view.search
        box.add_class(SHOWN)
        box.focus()

    @on(Input.Submitted)
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        self._view.search = event.value
        self._close_search()
        if event.value:
            self._view.find(forward=True)

    def _close_search(self) -> None:
        self.query_one(Input).remove_class(SHOWN)
        self._view.focus()

    @on(LogSearch.Closed)
    def _search_closed(self, event: LogSearch.Closed) -> None:
        event.stop()
        self._close_search()
