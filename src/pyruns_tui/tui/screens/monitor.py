"""MonitorScreen: live logs of tasks and runs, a split view, the system panel, metric charts, export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, OptionList

from pyruns_tui.errors import USER_ERRORS, error_line
from pyruns_tui.metrics.runs import run_window
from pyruns_tui.runner.slurm.records import is_slurm_run
from pyruns_tui.tui.models import task_actions as actions
from pyruns_tui.tui.screens.base import PyrunsScreen
from pyruns_tui.tui.widgets.monitor.charts import (
    ChartSource,
    MetricCharts,
    differing_params,
)
from pyruns_tui.tui.widgets.monitor.log_grid import MAX_PANES, LogGrid
from pyruns_tui.tui.widgets.monitor.log_pane import LogPane
from pyruns_tui.tui.widgets.monitor.logview import LogView
from pyruns_tui.tui.widgets.monitor.system_panel import SystemPanel
from pyruns_tui.tui.widgets.monitor.task_list import TaskList
from pyruns_tui.workspace.model import Status, Task

SHOW_DELAY_S = 0.08  # moving through the list quickly opens only the task the cursor stops on
NARROW_COLUMNS = 80  # below this the task list gives up 10 columns to the log


class MonitorScreen(PyrunsScreen):
    """The Monitor: task list and system panel on the left; log, split view or charts on the right.

    Bindings: ]/[ next/previous run, v split view, c charts, r rerun, s stop, e duplicate,
    x export, i system panel, space mark tasks (list), Tab moves focus; the log keys (/, n/N, t/T, g/G, f, w) work from the
    list too and act on the focused log (or the main one).
    """

    MODE = "monitor"
    DEFAULT_CSS = """
    MonitorScreen #monitor-body { height: 1fr; }
    MonitorScreen #monitor-side { width: 30; border-right: vkey $panel-lighten-2; }
    MonitorScreen.-narrow #monitor-side { width: 20; }
    MonitorScreen #monitor-side.-hidden-panel SystemPanel { display: none; }
    MonitorScreen SystemPanel { border-top: hkey $panel-lighten-2; }
    MonitorScreen #monitor-main { width: 1fr; height: 1fr; }
    """
    BINDINGS = [
        # Stop and Rerun first: at 80 columns the footer has room for ~5 keys
        Binding("s", "stop", "Stop"),
        Binding("r", "run", "Rerun"),
        Binding("right_square_bracket", "cycle_run(1)", "Next run", key_display="]"),
        Binding("left_square_bracket", "cycle_run(-1)", "Previous run", key_display="[", show=False),
        Binding("v", "toggle_view('grid')", "Split"),
        Binding("c", "toggle_view('charts')", "Charts"),
        Binding("e", "duplicate", "Duplicate into Generator", show=False),
        Binding("x", "export", "Export (CSV, JSON, Markdown)", show=False),
        Binding("i", "toggle_system", "System panel", show=False),
        Binding("escape", "show_view('log')", "Log", show=False),
        # the log view's own keys, listed here for `?` and usable while the task list has focus
        Binding("slash", "log('search')", "Search log", show=False, key_display="/"),
        Binding("n", "log('next_match')", "Next match", show=False),
        Binding("N", "log('previous_match')", "Previous match", show=False),
        Binding("t", "log('next_traceback')", "Traceback (first, then next)", show=False),
        Binding("T", "log('previous_traceback')", "Previous traceback", show=False),
        Binding("g", "log('scroll_home')", "Log top", show=False),
        Binding("G", "log('scroll_end')", "Log bottom + follow", show=False),
        Binding("f", "log('toggle_follow')", "Follow on/off", show=False),
        Binding("w", "log('toggle_wrap')", "Wrap long lines", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pending: Timer | None = None
        self._requested: tuple[str, int | None] | None = None
        self._focus_in_log: Widget | None = None  # what had focus when the log view was left

    def compose_body(self) -> ComposeResult:
        settings = self.pyruns.state.settings
        layout = self.pyruns.layout
        with Horizontal(id="monitor-body"):
            with Vertical(id="monitor-side"):
                yield TaskList(id="task-list")
                yield SystemPanel(hz=settings.refresh_hz, cluster=layout if settings.executor == "slurm" else None)
            with ContentSwitcher(initial="log", id="monitor-main"):
                yield LogPane(layout, scrollback=settings.log_scrollback, hz=settings.refresh_hz, id="log")
                yield LogGrid(layout, scrollback=settings.log_scrollback, hz=settings.refresh_hz, id="grid")
                yield MetricCharts(hz=settings.refresh_hz, id="charts")

    @property
    def task_list(self) -> TaskList:
        return self.query_one(TaskList)

    @property
    def log_pane(self) -> LogPane:
        return self.query_one("#log", LogPane)

    @property
    def grid(self) -> LogGrid:
        return self.query_one(LogGrid)

    @property
    def charts(self) -> MetricCharts:
        return self.query_one(MetricCharts)

    @property
    def view_name(self) -> str:
        return self.query_one(ContentSwitcher).current or "log"

    def _tasks(self) -> dict[str, Task]:
        return self.pyruns.state.snapshot.tasks

    def chosen(self) -> list[str]:
        """Marked tasks in list order, else the highlighted one: what charts and export use."""
        marked = [name for name in self.task_list.names if name in self.task_list.marked]
        if marked:
            return marked
        current = self.task_list.current
        return [current] if current else []

    def show_task(self, name: str, run: int | None = None) -> None:
        """Show task `name` (its run `run`, default the last) in the log view."""
        if not self.query(TaskList):
            self._requested = (name, run)  # called right after switch_mode: done once mounted
            return
        task = self._tasks().get(name)
        if task is None:
            try:
                task = self.pyruns.state.store.get(name)
            except USER_ERRORS as error:
                self.notify(error_line(error), severity="error")
                return
        self.task_list.select_name(name)
        self.query_one(ContentSwitcher).current = "log"
        self.log_pane.show(task, run)
        self.log_pane.view.focus()
        self._refresh_dependents()

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None

    @on(OptionList.OptionHighlighted, "#task-list")
    def _highlighted(self) -> None:
        self._cancel_pending()
        self._pending = self.set_timer(SHOW_DELAY_S, self._show_highlighted)

    def _show_highlighted(self) -> None:
        self._pending = None
        name = self.task_list.current
        task = self._tasks().get(name) if name else None
        if task is not None and (self.log_pane.shown_task is None or self.log_pane.shown_task.name != name):
            self.log_pane.show(task)
        self._refresh_dependents()

    @on(OptionList.OptionSelected, "#task-list")
    def _selected(self) -> None:
        self._show_highlighted()
        if self.view_name == "log":
            self.log_pane.view.focus()

    @on(TaskList.Marked)
    def _marked(self) -> None:
        self._refresh_dependents()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_COLUMNS, "-narrow")  # the log keeps 40 of 60 columns

    def on_mount(self) -> None:
        self.on_tasks_changed()
        if self._requested is not None:
            self.show_task(*self._requested)
            self._requested = None

    def on_tasks_changed(self) -> None:
        tasks = self._tasks()
        task_list = self.task_list
        task_list.set_tasks(tasks.values())
        pane = self.log_pane
        shown = pane.shown_task
        if shown is not None and shown.name in tasks:
            pane.update_task(tasks[shown.name])
        elif shown is None or shown.name in self.pyruns.state.snapshot.removed:
            name = task_list.current  # nothing shown yet, or the shown task was deleted
            pane.show(tasks[name] if name is not None else None)
        running = {t.last_run.pid: t.name for t in tasks.values()
                   if t.status is Status.RUNNING and t.last_run is not None and t.last_run.pid}
        panel = self.query_one(SystemPanel)
        if panel.feed is not None:
            panel.feed.set_task_pids(running)
        if panel.cluster is not None:  # counted as the list shows them, not by Slurm's job states
            on_slurm = Counter(t.status.value for t in tasks.values() if is_slurm_run(t))
            panel.set_slurm_tasks({status: on_slurm[status] for status in ("running", "queued") if on_slurm[status]})
        self._refresh_dependents()

    def _refresh_dependents(self) -> None:
        """Keep the split view and the charts in step with the list (only the one shown)."""
        view = self.view_name
        if view == "grid":
            self.grid.show_tasks(self._grid_tasks())
        elif view == "charts":
            self.charts.set_sources(self._chart_sources())

    def _grid_tasks(self) -> list[Task]:
        tasks = self._tasks()
        names = [n for n in self.task_list.names if n in self.task_list.marked]
        if not names:
            names = [n for n in self.task_list.names if tasks[n].status is Status.RUNNING]
        if not names and self.task_list.current:
            names = [self.task_list.current]
        return [tasks[n] for n in names[:MAX_PANES] if n in tasks]

    def _chart_sources(self) -> list[ChartSource]:
        names = self.chosen()
        layout = self.pyruns.layout
        labels = {name: name for name in names}
        if len(names) > 1:
            store = self.pyruns.state.store
            configs = {}
            for name in names:
                try:
                    configs[name] = store.load_config(name)
                except USER_ERRORS:
                    configs[name] = {}
            for name, params in differing_params(configs).items():
                if params:
                    labels[name] = f"{name} {params}"
        return [ChartSource(name, layout.metrics_file(name), *self._run_of(name, labels[name])) for name in names]

    def _run_of(self, name: str, label: str) -> tuple[str, tuple[float, float] | None]:
        """The label and time window of the run charted for task `name`: the run shown in the log
        header for the shown task, the latest run for the others (one run's rows, never a mix)."""
        task = self._tasks().get(name)
        if task is None or not task.runs:
            return label, None
        shown = self.log_pane.shown_task
        run = self.log_pane.run if shown is not None and shown.name == name else None
        if run is None:
            run = task.runs[-1].index
        if len(task.runs) == 1:
            return label, None
        return f"{label} run{run}", run_window(task, run)

    def on_screen_suspend(self) -> None:
        self.query_one(SystemPanel).set_active(False)
        self.charts.set_active(False)

    def on_screen_resume(self) -> None:  # the base class's handler runs too (tasks refresh)
        for view in self.query(LogView):
            view.catch_up()  # what was written while a dialog was open, shown at once
        if not self.query_one("#monitor-side").has_class("-hidden-panel"):
            self.query_one(SystemPanel).set_active(True)
        self.charts.set_active(self.view_name == "charts")

    def action_cycle_run(self, step: int) -> None:
        if self.log_pane.cycle_run(step) is None:
            self.notify("this task has no runs yet", severity="warning")
        self._refresh_dependents()  # the charts follow the run picked

    def _active_view(self) -> LogView:
        """The log view with focus (a split pane), else the main one."""
        focused = self.focused
        if isinstance(focused, LogView):
            return focused
        return self.log_pane.view

    def action_log(self, action: str) -> None:
        if self.view_name == "charts":
            return
        view = self._active_view()
        getattr(view, f"action_{action}")()
        if action == "search":
            view.focus()

    def action_show_view(self, view: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == view:
            return
        if switcher.current == "log":
            self._focus_in_log = self.focused  # given back on the way back (c, Esc: space marks again)
        switcher.current = view
        self.charts.set_active(view == "charts")
        self._refresh_dependents()
        if view == "log":
            before, self._focus_in_log = self._focus_in_log, None
            if before is not None and before.is_attached and before.display and self.focused is not before:
                before.focus()  # the task list, or the log: whichever had focus before the other view
            elif not isinstance(self.focused, TaskList):
                self.log_pane.view.focus()
        elif view == "grid" and self.grid.shown:
            self.grid.panes[0].view.focus()

    def action_toggle_view(self, view: str) -> None:
        self.action_show_view("log" if self.view_name == view else view)

    def action_toggle_system(self) -> None:
        side = self.query_one("#monitor-side")
        side.toggle_class("-hidden-panel")
        self.query_one(SystemPanel).set_active(not side.has_class("-hidden-panel"))

    def _watched(self) -> str | None:
        shown = self.log_pane.shown_task
        return shown.name if shown is not None else self.task_list.current

    def action_run(self) -> None:
        name = self._watched()
        if name:
            self.start_tasks(actions.run_tasks, [name])

    def action_stop(self) -> None:
        name = self._watched()
        if name:
            self.stop_tasks([name])

    async def action_duplicate(self) -> None:
        name = self._watched()
        if name:
            await self.pyruns.load_config(name)

    def action_export(self) -> None:
        self.export_tasks(self.chosen())

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Monitor: split view", "Tails of up to four tasks at once (v)",
                            lambda: self.action_toggle_view("grid"))
        yield SystemCommand("Monitor: metric charts", "Charts of the chosen tasks' metrics (c)",
                            lambda: self.action_toggle_view("charts"))
        yield SystemCommand("Monitor: export", "Export the chosen tasks to CSV/JSON/Markdown (x)", self.action_export)
        yield SystemCommand("Monitor: system panel", "Show or hide CPU/RAM/GPU (i)", self.action_toggle_system)
