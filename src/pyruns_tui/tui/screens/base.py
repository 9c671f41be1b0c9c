"""PyrunsScreen: what every main screen shares — the top bar above, the footer below."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.worker import get_current_worker

from pyruns_tui.errors import USER_ERRORS, error_line
from pyruns_tui.runner import client
from pyruns_tui.tui.compositor import use_cropping_compositor
from pyruns_tui.tui.models import task_actions as actions
from pyruns_tui.tui.widgets.footer import KeyFooter
from pyruns_tui.tui.widgets.manager.dialogs import ConfirmDialog, names_text
from pyruns_tui.tui.widgets.pause_banner import PauseBanner
from pyruns_tui.tui.widgets.topbar import TopBar
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.settings import save_setting

if TYPE_CHECKING:
    from pathlib import Path

    from pyruns_tui.runner import control
    from pyruns_tui.tui.app import PyrunsApp
    from pyruns_tui.tui.widgets.monitor.export_dialog import ExportDone, ExportRequest


def stop_words(running: Sequence[Task], grace_s: float) -> str:
    """How the stop confirmation says the running tasks are stopped: one task is `it`; on Slurm
    the stop is a scancel (the task gets SIGTERM, then SIGKILL), as the runner sends it."""
    after = f"SIGTERM, then SIGKILL after the grace period ({grace_s:g} s)."
    on_slurm = sum(1 for task in running if task.last_run is not None and task.last_run.backend == "slurm")
    local = len(running) - on_slurm
    if not on_slurm:
        return f"{'It gets' if local == 1 else 'They get'} {after}"
    if not local:
        return f"scancel stops {'it' if on_slurm == 1 else 'them'} on Slurm: {after}"
    here = "The one on this machine gets" if local == 1 else f"The {local} on this machine get"
    there = "the one on Slurm" if on_slurm == 1 else f"the {on_slurm} on Slurm"
    return f"{here} {after}\nscancel stops {there}: {after}"


class PyrunsScreen(Screen[None]):
    """A main screen (mode). Subclasses implement `compose_body` and may react to `on_tasks_changed`.

    Only the screen on top draws what changed on disk: under a dialog (and behind another mode) it
    waits, and catches up when it is on top again (`on_screen_resume`). Textual repaints the whole
    dimmed terminal under a dialog for each repaint of the screen below (~35 kB a frame at 120x40).
    """

    MODE = ""

    def __init__(self) -> None:
        super().__init__()
        use_cropping_compositor(self)  # repainting one cell sends that cell, not the line up to it

    @property
    def pyruns(self) -> PyrunsApp:
        return cast("PyrunsApp", self.app)

    def compose(self) -> ComposeResult:
        yield TopBar(self.MODE)
        yield PauseBanner()
        yield from self.compose_body()
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.watch(self.app, "tasks_version", self._tasks_version_changed, init=False)
        self.watch(self.app, "summary", self._summary_changed)
        self.watch(self.app, "pause", self._pause_changed)

    def _pause_changed(self) -> None:
        self.query_one(PauseBanner).pause = self.pyruns.pause

    def _summary_changed(self) -> None:
        if self.is_active:
            self.query_one(TopBar).summary = self.pyruns.summary

    def _tasks_version_changed(self) -> None:
        if self.is_active:
            self.on_tasks_changed()

    def on_screen_resume(self) -> None:
        self.query_one(TopBar).summary = self.pyruns.summary
        self.on_tasks_changed()

    def on_tasks_changed(self) -> None:
        """The workspace changed on disk (see `self.pyruns.state.snapshot`)."""

    def report(self, result: actions.ActionResult) -> None:
        """Say what an action did (and the first refusal), re-read the disk, wake the runner if needed."""
        self.notify(result.message(), severity="information" if result.ok else "warning", markup=False)
        self.pyruns.refresh_tasks()
        if result.needs_runner:
            self._start_or_wake_runner()
        if result.outcome is not None and result.outcome.changed:
            self.say_slurm_answer(result.outcome)

    @work(thread=True, group="slurm-answer", exit_on_error=False)
    def say_slurm_answer(self, outcome: control.Outcome) -> None:
        """Tasks just queued on Slurm (`r`, Create & Run...): wait off the UI thread for sbatch's
        answer and say it, the job arrays or each refusal and why (`actions.slurm_answer`). A
        local queue says nothing more. Given up when the app closes meanwhile."""
        worker = get_current_worker()
        notices = actions.slurm_answer(self.pyruns.state.store, outcome, lambda: worker.is_cancelled)
        if notices and not worker.is_cancelled:
            self.app.call_from_thread(self._say_notices, notices)

    def _say_notices(self, notices: list[actions.Notice]) -> None:
        for notice in notices:
            if notice.error:
                self.notify(notice.message, title="Slurm", severity="error", timeout=12, markup=False)
            else:
                self.notify(notice.message, title="Slurm", markup=False)
        self.pyruns.refresh_tasks()  # the refused ones failed

    @work(thread=True, group="screen-runner", exit_on_error=False)
    def start_tasks(self, do: actions.Action, names: Sequence[str]) -> None:
        """Run or force-start `names` off the UI thread: the engine verb starts the runner before it
        writes the queue (as Create & Run does), which may take a moment."""
        result = do(self.pyruns.state.store, names)
        self.app.call_from_thread(self.report, result)

    @work(thread=True, group="screen-runner", exit_on_error=False)
    def _start_or_wake_runner(self) -> None:
        """Start or poke the runner off the UI thread (starting one takes a moment)."""
        try:
            client.start_or_wake(self.pyruns.state.store.layout)
        except USER_ERRORS as exc:
            self.app.call_from_thread(self.notify, error_line(exc), severity="error", markup=False)

    def stop_tasks(self, names: Sequence[str]) -> None:
        """Stop `names`: asks first when some are running, unless told not to ask again
        (`confirm_stop: false` in the settings, written by the dialog's "Always")."""
        state = self.pyruns.state
        tasks = state.snapshot.tasks
        running = [name for name in names if name in tasks and tasks[name].status is Status.RUNNING]
        if not running or not state.settings.confirm_stop:
            self.report(actions.stop_tasks(state.store, names))
            return
        dialog = ConfirmDialog(f"Stop {len(running)} running task{'s' if len(running) != 1 else ''}?",
                               f"{names_text(running)}\n\n{stop_words([tasks[n] for n in running], state.settings.stop_grace_s)}",
                               "Stop", remember=True)

        def done(yes: bool | None) -> None:
            if not yes:
                return
            if dialog.always:
                try:
                    save_setting(state.layout.settings_file, "confirm_stop", False)
                    state.settings = dataclasses.replace(state.settings, confirm_stop=False)
                except USER_ERRORS as exc:
                    self.notify(error_line(exc), severity="warning", markup=False)
            self.report(actions.stop_tasks(state.store, names))

        self.app.push_screen(dialog, done)

    def export_tasks(self, names: list[str]) -> None:
        """Ask for a format and a file, then export `names` (one row per run); a refusal is shown
        in the dialog, which stays open with the path as typed."""
        if not names:
            self.notify("no task to export: mark or select tasks first (space)", severity="warning")
            return
        from pyruns_tui.metrics.export import export_tasks, report_refusal
        from pyruns_tui.tui.widgets.monitor.export_dialog import ExportDialog

        def write(request: ExportRequest) -> int:
            return export_tasks(self.pyruns.state.store, names, request.format, request.path)

        def refusal(path: Path) -> str | None:
            return report_refusal(self.pyruns.state.store, path)

        self.app.push_screen(ExportDialog(names, self.pyruns.layout.project_dir, write, refusal=refusal),
                             self._exported)

    def _exported(self, done: ExportDone | None) -> None:
        if done is not None:
            self.notify(f"exported {done.rows} row{'s' if done.rows != 1 else ''} to {done.request.path}")
