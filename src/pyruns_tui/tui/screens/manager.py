"""ManagerScreen: every task of the workspace in one live table — search, select, act, inspect."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.timer import Timer

from pyruns_tui.errors import USER_ERRORS, error_line, os_error_line
from pyruns_tui.humanize import plural
from pyruns_tui.tui.models import task_actions as actions
from pyruns_tui.tui.screens.base import PyrunsScreen
from pyruns_tui.tui.widgets.manager.browser import TaskBrowser
from pyruns_tui.tui.widgets.manager.compare import CompareDialog
from pyruns_tui.tui.widgets.manager.detail_pane import DetailPane
from pyruns_tui.tui.widgets.manager.dialogs import (
    ConfirmDialog,
    NotesDialog,
    names_text,
)
from pyruns_tui.tui.widgets.manager.task_table import TaskTable
from pyruns_tui.tui.widgets.manager.trash import TrashView
from pyruns_tui.workspace import edits
from pyruns_tui.workspace.notes import too_long
from pyruns_tui.workspace.store import trash_refusal

WIDE = 120  # from this width the detail pane sits on the right and is shown by default
DETAIL_DEBOUNCE_S = 0.05



class ManagerScreen(PyrunsScreen):
    """The task table with search, multi-select, actions and a detail pane.

    Actions apply to the selected tasks, or to the highlighted one when nothing is selected.
    """

    MODE = "manager"
    AUTO_FOCUS = "TaskTable"  # the keys typed right after switching here go to the table
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("enter", "open", "Monitor"),
        Binding("r", "run", "Run"),
        Binding("s", "stop", "Stop"),
        Binding("d", "delete", "Delete"),
        Binding("e", "duplicate", "Duplicate"),
        Binding("n", "notes", "Notes"),
        Binding("F", "force", "Force-start (skip the queue)", key_display="F", show=False),
        Binding("P", "to_front", "Front of the queue (priority)", key_display="P", show=False),
        Binding("x", "export", "Export (CSV, JSON, Markdown)", show=False),
        Binding("t", "trash", "Trash (restore deleted)", show=False),
        Binding("p", "pin", "Pin/unpin (pinned first)", show=False),
        Binding("c", "compare", "Compare two selected", show=False),
        Binding("space", "toggle_select", "Select/unselect row", key_display="space", show=False),
        Binding("shift+down", "extend('down')", "Extend selection down", key_display="shift+↓", show=False),
        Binding("shift+up", "extend('up')", "Extend selection up", key_display="shift+↑", show=False),
        Binding("a", "select_all", "Select all shown", show=False),
        Binding("u", "clear_selection", "Clear selection", show=False),
        Binding("o", "cycle_sort", "Next sort column", show=False),
        Binding("O", "flip_sort", "Flip sort direction", key_display="O", show=False),
        Binding("m", "choose_metrics", "Metric columns", show=False),
        Binding("V", "toggle_varying", "Varying parameters as columns on/off", key_display="V", show=False),
        Binding("E", "group_errors", "Group failures by error (counts below)", key_display="E", show=False),
        Binding("v", "toggle_detail", "Detail pane", show=False),
        Binding("escape", "escape", "Clear search / selection", show=False),
    ]
    DEFAULT_CSS = """
    #manager-body { height: 1fr; layout: horizontal; }
    #manager-body.-narrow { layout: vertical; }
    #manager-detail { width: 42%; height: 1fr; }
    #manager-body.-narrow #manager-detail { width: 100%; height: 45%; border-left: none; border-top: hkey $panel-lighten-1; }
    #manager-detail.-hidden { display: none; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.detail_shown: bool | None = None  # None: decided by the width
        self._detail_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Container(id="manager-body"):
            yield TaskBrowser(self.pyruns.state, id="manager-browser")
            yield DetailPane(id="manager-detail")

    @property
    def browser(self) -> TaskBrowser:
        return self.query_one(TaskBrowser)

    @property
    def table(self) -> TaskTable:
        return self.query_one(TaskTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def on_mount(self) -> None:
        super().on_mount()
        self._apply_layout(self.size.width)
        self.table.focus()

    def on_resize(self) -> None:
        self._apply_layout(self.size.width)

    def _apply_layout(self, width: int) -> None:
        wide = width >= WIDE
        self.query_one("#manager-body").set_class(not wide, "-narrow")
        shown = wide if self.detail_shown is None else self.detail_shown
        self.detail.set_class(not shown, "-hidden")

    def on_screen_resume(self) -> None:
        if self.is_mounted:  # the Generator may have pinned other params meanwhile
            try:
                self.browser.set_pinned_params(self.pyruns.state.reload_script_info().pinned_params)
            except USER_ERRORS as exc:
                self.notify(error_line(exc), severity="warning", markup=False)
        super().on_screen_resume()

    def on_tasks_changed(self) -> None:
        self.browser.sync()

    @on(TaskTable.Highlighted)
    def _highlighted(self) -> None:
        self._schedule_detail()

    @on(TaskBrowser.Changed)
    def _tasks_updated(self, event: TaskBrowser.Changed) -> None:
        if self.detail.task_name in event.names or self.detail.task_name is None:
            self._schedule_detail()

    def _schedule_detail(self) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DEBOUNCE_S, self.update_detail)

    def update_detail(self) -> None:
        """Show the highlighted task in the detail pane (its config is read from disk now)."""
        if self.detail.has_class("-hidden"):
            return
        name = self.table.cursor_name
        entry = self.browser.index.entries.get(name) if name else None
        if entry is None:
            self.detail.show(None)
            return
        store = self.pyruns.state.store
        try:
            file, text = store.config_text(entry.name)
        except OSError as exc:
            file, text = "config.yaml", os_error_line(exc)
        last = entry.task.last_run
        env = store.run_env(entry.name, last) if last is not None else None
        dependents = self.browser.index.dependents(entry.name)
        title = "Command (config.sh)" if file == "config.sh" else "Config (config.yaml)"
        self.detail.show(entry.task, title, text, env, dependents, self.pyruns.state.settings.env, entry.log_cut)

    def action_toggle_detail(self) -> None:
        self.detail_shown = self.detail.has_class("-hidden")
        self._apply_layout(self.size.width)
        self.update_detail()

    def action_search(self) -> None:
        self.browser.open_search()

    def action_toggle_select(self) -> None:
        self.table.action_toggle_select()

    def action_extend(self, direction: str) -> None:
        self.table.action_extend_down() if direction == "down" else self.table.action_extend_up()

    def action_select_all(self) -> None:
        self.table.set_selected(self.table.visible_names())

    def action_clear_selection(self) -> None:
        self.table.set_selected(())

    def action_escape(self) -> None:
        if self.browser.query_text:
            self.browser.clear_search()
        elif self.table.selected:
            self.action_clear_selection()

    def action_cycle_sort(self) -> None:
        self.browser.cycle_sort()

    def action_flip_sort(self) -> None:
        self.browser.flip_sort()

    def action_group_errors(self) -> None:
        if not self.browser.toggle_error_groups():
            self.notify("no failed task has an error to group by")

    def action_toggle_varying(self) -> None:
        browser = self.browser
        if browser.toggle_varying():
            shown = browser.varying_columns()
            self.notify(f"varying parameter columns: {', '.join(shown)}" if shown else
                        "varying parameter columns on (none now: pinned ones fill the room, or nothing varies)",
                        markup=False)
        else:
            self.notify("varying parameter columns off (V shows them again; a pinned parameter stays)", markup=False)

    def pin_param(self, key: str) -> None:
        """Pin the parameter `key` as a column (as `pyr-tui pin --param KEY`)."""
        state = self.pyruns.state
        try:
            edits.pin_params(state.store, [key], True)
            pinned = state.reload_script_info().pinned_params  # (the Generator marks it ⚑ too)
        except USER_ERRORS as exc:
            self.notify(error_line(exc), severity="error", markup=False)
            return
        self.browser.set_pinned_params(pinned)

    def action_choose_metrics(self) -> None:
        if not self.browser.choose_metrics():
            self.notify("no task has metrics (pr.log, output) or GPU accounting yet")

    def _act(self, do: actions.Action) -> None:
        names = self.browser.targets()
        if names:
            self.start_tasks(do, names)

    def action_run(self) -> None:
        self._act(actions.run_tasks)

    def action_stop(self) -> None:
        names = self.browser.targets()
        if names:
            self.stop_tasks(names)

    def action_force(self) -> None:
        self._act(actions.force_start_tasks)

    def action_to_front(self) -> None:
        self._act(actions.to_front_tasks)

    def action_export(self) -> None:
        self.export_tasks(self.browser.targets())

    def action_delete(self) -> None:
        targets = self.browser.targets()
        entries = self.browser.index.entries
        refusal = trash_refusal([entries[name].task for name in targets])
        if refusal is not None:  # all or nothing, as `pyr-tui rm`: refused up front, not after the confirmation
            self.notify(refusal, severity="warning", markup=False)
            return
        names = list(targets)
        if not names:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.table.selected.difference_update(names)
                self.report(actions.delete_tasks(self.pyruns.state.store, names))

        where = "They go to the trash; press t to restore them" if len(names) > 1 else \
            "It goes to the trash; press t to restore it"
        body = f"{names_text(names)}\n\n{where}."
        self.app.push_screen(ConfirmDialog(f"Delete {plural(len(names), 'task')}?", body, "Delete"), done)

    def action_trash(self) -> None:
        def done(chosen: list[str] | None) -> None:
            if chosen:
                self.report(actions.restore_tasks(self.pyruns.state.store, chosen))

        self.app.push_screen(TrashView(self.pyruns.state.store.scan_trash()), done)

    def action_pin(self) -> None:
        names = self.browser.targets()
        if names:
            entries = self.browser.index.entries
            pin = not all(entries[name].task.pinned for name in names)
            self.report(actions.set_pinned(self.pyruns.state.store, names, pin))

    def action_notes(self) -> None:
        names = self.browser.targets()
        if not names:
            return
        store = self.pyruns.state.store
        bases = {}  # what the editor starts from, read now: a change made while it is open is merged
        for name in names:
            try:
                bases[name] = store.get(name).notes
            except USER_ERRORS:
                bases[name] = self.browser.index.entries[name].task.notes
        for name, base in bases.items():
            why = too_long(name, base)
            if why is not None:  # (written by hand or by an older version: the editor would take seconds)
                self.app.notify(f"{why}: shorten them with `pyr-tui note {name} TEXT`", severity="error", markup=False)
                return
        notes = set(bases.values())
        text = notes.pop() if len(notes) == 1 else ""
        title = f"Notes of {names[0]}" if len(names) == 1 else f"Notes of {len(names)} tasks (replaces each)"

        def save(notes: str) -> str | None:
            """Save, or say why not and keep the editor open (nothing saved: a note over the limit,
            a read-only disk); a save of some of several tasks is reported and closes it."""
            result = actions.set_notes(store, names, notes, bases)
            if result.done:
                self.report(result)
                return None
            return result.message()

        self.app.push_screen(NotesDialog(title, text, save))

    async def action_open(self) -> None:
        name = self.table.cursor_name
        if name:  # awaited, not a message: keys typed next go to the Monitor
            await self.pyruns.open_task(name)

    async def action_duplicate(self) -> None:
        name = self.table.cursor_name
        if name:
            await self.pyruns.load_config(name)

    def action_compare(self) -> None:
        names = self.browser.targets() if self.table.selected else []
        if len(names) != 2:
            self.notify("select exactly two tasks (space) to compare them", severity="warning")
            return
        a, b = (self.browser.index.entries[name].view for name in names)
        self.app.push_screen(CompareDialog(a, b))

    def palette_commands(self) -> Iterable[SystemCommand]:
        browser = self.browser
        yield SystemCommand("Manager: search", "Filter tasks (/)", self.action_search)
        yield SystemCommand("Manager: trash", "Show deleted tasks and restore them (t)", self.action_trash)
        yield SystemCommand("Manager: detail pane", "Show or hide the detail pane (v)", self.action_toggle_detail)
        yield SystemCommand("Manager: flip sort", "Reverse the sort direction (O)", browser.flip_sort)
        yield SystemCommand("Manager: group failures by error", "Sort by error with counts per cause (E)",
                            self.action_group_errors)
        for column in browser.columns:
            yield SystemCommand(f"Manager: sort by {column.label}", f"Sort the task table by {column.key}",
                                lambda key=column.key: browser.set_sort(key, browser.prefs.reverse))
        varying = "hide" if browser.prefs.varying else "show"
        yield SystemCommand(f"Manager: {varying} varying parameter columns",
                            "Parameters whose value differs between tasks, as columns after the pinned ones (V)",
                            self.action_toggle_varying)
        hidden = browser.prefs.hidden_params
        for key in browser.varying_columns():
            yield SystemCommand(f"Manager: hide varying parameter {key}", f"Hide the column of {key}; the next varying one takes its place",
                                lambda k=key: browser.toggle_hidden_param(k))
            yield SystemCommand(f"Manager: pin parameter {key}", f"Pin {key} as a column (first, here and in `pyr-tui ls`)",
                                lambda k=key: self.pin_param(k))
        for key in [key for key in hidden if key in browser.index.varying_params()]:
            yield SystemCommand(f"Manager: show varying parameter {key}", f"Show the column of {key} again",
                                lambda k=key: browser.toggle_hidden_param(k))
        shown = browser.metric_columns()
        for metric in browser.index.metric_names():
            verb = "hide" if metric in shown else "show"
            yield SystemCommand(f"Manager: {verb} metric {metric}", f"{verb.capitalize()} the metric column {metric}",
                                lambda m=metric: browser.toggle_metric(m))
