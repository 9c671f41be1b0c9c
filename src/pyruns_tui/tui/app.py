"""PyrunsApp: the Textual application — three modes over one workspace, shared refresh, palette."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import os
import signal
import threading
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import Reactive, reactive
from textual.screen import ModalScreen, Screen
from textual.widget import AwaitMount

from pyruns_tui.errors import USER_ERRORS, PyrunsError, error_line
from pyruns_tui.runner.breaker import Pause
from pyruns_tui.tui.compositor import safe_update
from pyruns_tui.tui.key_order import KeyOrder
from pyruns_tui.tui.messages import LoadConfig, OpenTask
from pyruns_tui.tui.models.prefs import PREFS_FILE, ManagerPrefs
from pyruns_tui.tui.screens.help import HelpScreen, widget_sections
from pyruns_tui.tui.state import WorkspaceState
from pyruns_tui.tui.theme import ANSI_DARK, PYRUNS_DARK
from pyruns_tui.tui.upgraded import UpgradeSafe
from pyruns_tui.tui.widgets.topbar import summary_text
from pyruns_tui.workspace.critical_section import wait_idle
from pyruns_tui.workspace.fsio import moved_from
from pyruns_tui.workspace.gc_pause import bulk_load
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from pyruns_tui.tui.screens.generator import GeneratorScreen
    from pyruns_tui.tui.screens.monitor import MonitorScreen
    from pyruns_tui.workspace.model import Task

REFRESH_BACKOFF = 4.0  # after a scan that took t seconds, the next periodic one waits at least 4t
DISK_FULL_BYTES = 64 * 1024  # less free space than this on the workspace's disk shows the banner
DISK_BANNER_S = 24 * 3600.0  # the banner stays until the disk has space again
HANG_UP_WAIT_S = 300.0  # the longest a hang-up waits for a batch being written (10,000 tasks: ~10 s)
RUNNER_NOTE_S = 20.0  # "Runner stopped" (the header keeps saying `runner: down` after it)


def disk_full(path: Path) -> bool:
    """Whether the file system holding `path` has (almost) no space left for us."""
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < DISK_FULL_BYTES


# each screen's module is imported when the screen is first shown, not at start-up
SCREEN_CLASSES = {
    "generator": ("pyruns_tui.tui.screens.generator", "GeneratorScreen"),
    "manager": ("pyruns_tui.tui.screens.manager", "ManagerScreen"),
    "monitor": ("pyruns_tui.tui.screens.monitor", "MonitorScreen"),
}


def screen_class(mode: str) -> type[Screen[None]]:
    """The screen class of `mode`, its module imported on first use; ImportError when it cannot be."""
    module, name = SCREEN_CLASSES[mode]
    loaded = importlib.import_module(module)
    try:
        return getattr(loaded, name)  # type: ignore[no-any-return]
    except AttributeError:
        raise ImportError(f"cannot import name {name!r} from {module!r}", name=module) from None


def make_screen(mode: str) -> Screen[None]:
    return screen_class(mode)()


class PyrunsApp(KeyOrder, UpgradeSafe):
    """The pyruns-tui terminal UI for one workspace; after `pip install --upgrade` under it, code
    that no longer fits is said in one line and the app stays open (UpgradeSafe).

    Reactive attributes: `tasks_version` (bumped when tasks change on disk; screens watch it),
    `summary` (the top bar's counts and runner status), `pause` (why the circuit breaker paused
    the queue, or None; ctrl+g resumes).
    """

    TITLE = "pyruns-tui"
    CSS_PATH = "app.tcss"
    MODES = {mode: partial(make_screen, mode) for mode in SCREEN_CLASSES}
    BINDINGS = [
        # the top bar shows 1/2/3: the footer keeps its room for the current screen's keys
        Binding("1", "switch_mode('generator')", "Generator", key_display="1", show=False),
        Binding("2", "switch_mode('manager')", "Manager", key_display="2", show=False),
        Binding("3", "switch_mode('monitor')", "Monitor", key_display="3", show=False),
        Binding("f2", "switch_mode('generator')", "Generator", show=False),
        Binding("f3", "switch_mode('manager')", "Manager", show=False),
        Binding("f4", "switch_mode('monitor')", "Monitor", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+g", "resume_queue", "Resume queue"),  # shown only while paused (check_action)
    ]

    ansi_theme_dark = Reactive(ANSI_DARK, init=False)  # (tui/theme.py: a red readable on every row)
    tasks_version: reactive[int] = reactive(0)
    summary: reactive[Text] = reactive(Text)
    pause: reactive[Pause | None] = reactive(None)

    def __init__(self, layout: Layout, *, start_mode: str = "generator", watch_disk: bool = True,
                 attach_runner: bool = False) -> None:
        """`attach_runner`: after the first scan, start a runner if tasks are queued or running and
        none is alive (it crashed, the machine rebooted), as `runner.control.attach` does."""
        super().__init__()
        self.register_theme(PYRUNS_DARK)
        self.theme = PYRUNS_DARK.name
        self.state = WorkspaceState(layout)
        self.start_mode = start_mode
        self.watch_disk = watch_disk
        self._attach_runner = attach_runner
        self._first_scan = True
        self.runner_text = "?"
        self._refresh_busy = threading.Lock()
        self._next_refresh = 0.0
        self.disk_full = False
        self.gone = False  # the workspace directory is no longer at its path (moved, renamed, deleted)
        try:  # the workspace directory as it was opened: `moved_from` tells when it is gone from its path
            self._home: os.stat_result | None = os.stat(layout.workspace_dir, follow_symlinks=False)
        except OSError:
            self._home = None  # (never checked)

    @property
    def layout(self) -> Layout:
        return self.state.layout

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        # every frame of every screen passes here on its way to the terminal (Textual's private
        # hook, checked by tests/reliability/test_tui_escapes.py): no control character gets out
        super()._display(screen, safe_update(renderable))  # type: ignore[arg-type]

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Show a notification, its message as text, never markup: messages quote task names, config
        files, paths and values, any of which may hold `[...]` (a task or `config/x.py` named
        `[@click=app.quit]x` put a click running app.quit in the toast; `[red]` coloured it). Screens
        and widgets notify through here (their `markup=True` default is ignored too)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        self.title = f"pyruns-tui — {self.layout.name}"
        # SIGTERM (kill, a closing session manager) exits like `q`: the terminal is restored
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.exit)
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._hung_up)
        self.refresh_tasks()
        self.switch_mode(self.start_mode)
        # what is alive after the first paint (modules, classes, screens) lives as long as the app:
        # keep it out of the full collections a flood of log output triggers (they stalled the UI)
        self.call_after_refresh(gc.freeze)
        if self.watch_disk:
            self.set_interval(1 / self.state.settings.refresh_hz, self._watch_tick)
        for warning in self.state.settings.warnings:
            self.notify(warning, title="settings", severity="warning", timeout=10)

    def _hung_up(self) -> None:
        """The terminal hung up (an SSH drop, a killed tmux): end as the default SIGHUP did (there is
        no terminal to restore: Textual's writes to it blocked `exit` for good), but once a batch
        the Generator is writing is whole, created and queued: the default ended the TUI between
        two of its renames (108 of 200 tasks in, `pending`, the rest lost). Create holds the batch's
        critical section from its key (workspace/critical_section.py, as the CLI's `gen`)."""
        wait_idle(HANG_UP_WAIT_S)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGHUP)

    def _watch_tick(self) -> None:
        # never stack refreshes, and leave the CPU mostly to the UI when a scan is slow (10,000 tasks)
        if not self._refresh_busy.locked() and time.monotonic() >= self._next_refresh:
            self.refresh_tasks()

    # not exclusive: cancelling a refresh in flight stops nothing (a thread runs on) but fails whoever
    # awaits it (WorkerCancelled); the lock makes a refresh asked meanwhile scan after it instead
    @work(thread=True, group="refresh")
    def refresh_tasks(self) -> None:
        """Re-read the workspace off the UI thread; bump `tasks_version` only when something changed."""
        with self._refresh_busy:
            if self._home is not None:
                gone = moved_from(self.layout.workspace_dir, self._home)
                if gone != self.gone:
                    self.call_from_thread(self._show_gone, gone)
                if gone:  # the last tasks stay on screen: a scan here would show none ("No tasks yet")
                    return
            started = time.monotonic()
            first, self._first_scan = self._first_scan, False
            with bulk_load(freeze=True) if first else contextlib.nullcontext():  # the first scan reads every task
                if first:
                    self._first_page()
                snapshot = self.state.refresh()
            if self.state.store.notes:  # a batch an interrupted writer left half-written, finished by the scan
                notes, self.state.store.notes = self.state.store.notes, []
                for note in notes:
                    self.call_from_thread(self.notify, note, title="Generator", severity="warning", timeout=12)
            self._next_refresh = time.monotonic() + REFRESH_BACKOFF * (time.monotonic() - started)
        runner = self._runner_text(snapshot.tasks.values())
        pause = self._read_pause()
        if pause != self.pause:
            self.call_from_thread(setattr, self, "pause", pause)
        full = disk_full(self.layout.workspace_dir)
        if full != self.disk_full:
            self.call_from_thread(self._show_disk_state, full)
        if snapshot.changed or snapshot.removed or runner != self.runner_text or not self.tasks_version:
            self.call_from_thread(self._apply_refresh, runner)
        if self._attach_runner:  # once, with this scan's tasks (a scan of its own cost ~1 s of the first paint)
            self._attach_runner = False
            if runner in ("idle", "down") and any(task.status.is_active for task in snapshot.tasks.values()):
                self._start_runner()

    def _first_page(self) -> None:
        """Opening the Manager on a big workspace sorted by creation time (its default): show the
        tasks it starts with before the first scan has read them all (WorkspaceState.first_page)."""
        if self.start_mode != "manager":
            return
        prefs = ManagerPrefs.load(self.layout.workspace_dir / PREFS_FILE)
        if prefs.sort == "created" and self.state.first_page(newest_first=prefs.reverse):
            self.call_from_thread(self._apply_refresh, self.runner_text)

    def _show_disk_state(self, full: bool) -> None:
        """A banner (an error notification that stays) while the workspace's disk is full."""
        self.disk_full = full
        if full:
            self.notify(f"{self.layout.workspace_dir}: no space left. Runs lose output and nothing can be "
                        "saved until space is freed.", title="Disk full", severity="error", timeout=DISK_BANNER_S)
        else:
            self.clear_notifications()
            self.notify("The disk has space again.", title="Disk")

    def _show_gone(self, gone: bool) -> None:
        """A banner (an error notification that stays) while the workspace is not at its path."""
        self.gone = gone
        if gone:
            self.notify(f"{self.layout.workspace_dir} is gone from its path (moved, renamed or deleted). Shown as it "
                        "last was: quit (q) and run pyr-tui where it is now; its tasks go on.",
                        title="Workspace moved", severity="error", timeout=DISK_BANNER_S, markup=False)
        else:
            self.clear_notifications()
            self.notify("The workspace is back at its path.", title="Workspace")

    def _start_runner(self) -> None:
        from pyruns_tui.runner.client import start_or_wake

        with contextlib.suppress(PyrunsError, OSError):
            start_or_wake(self.layout)

    def _runner_text(self, tasks: Iterable[Task]) -> str:
        """`up`; `down` while queued tasks wait for a runner that is not running (killed, or stopped
        with tasks left queued: `idle` claimed all was well and nothing started them); else `idle`."""
        from pyruns_tui.runner.client import runner_alive

        try:
            if runner_alive(self.layout):
                return "up"
        except OSError:  # the status line must never break the UI
            return "?"
        return "down" if any(task.status is Status.QUEUED for task in tasks) else "idle"

    def _read_pause(self) -> Pause | None:
        from pyruns_tui.runner.control import paused

        try:
            return paused(self.layout)
        except OSError:  # the banner must never break the UI
            return None

    def watch_pause(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume_queue":
            return self.pause is not None
        return True

    @work(thread=True, group="resume", exit_on_error=False)
    def action_resume_queue(self) -> None:
        """Let the runner start queued tasks again (runner.control.resume, as `runner resume`)."""
        from pyruns_tui.runner.control import resume

        try:
            lifted = resume(self.state.store)
        except USER_ERRORS as exc:
            self.call_from_thread(self.notify, error_line(exc), severity="error", markup=False)
            return
        if lifted is not None:
            self.call_from_thread(self.notify, "queue resumed: queued tasks start again", markup=False)
        self.call_from_thread(setattr, self, "pause", None)

    def _apply_refresh(self, runner: str) -> None:
        if runner == "down" and self.runner_text == "up":  # it went while we watched: say what to do
            self.notify("The runner is not running: queued tasks wait. `pyr-tui runner start` starts it (or "
                        "quit and reopen pyr-tui).", title="Runner stopped", severity="warning", timeout=RUNNER_NOTE_S)
        self.runner_text = runner
        snapshot = self.state.snapshot
        counts = dict(snapshot.counts()) if snapshot.total is None else {}  # a first page: counted once read
        self.summary = summary_text(self.layout.name, counts, runner, self.state.script_info.subcommand)
        self.tasks_version += 1

    def action_help(self) -> None:
        """Every key: the current screen's first (its own, then its lists', logs' and dialogs'), then
        those that work everywhere, then the other screens' in 1/2/3 order."""
        screen = self.screen
        focus = [Binding("tab", "focus_next", "Next pane (in YAML text Tab indents: Esc first)", key_display="Tab"),
                 Binding("shift+tab", "focus_previous", "Previous pane", key_display="shift+Tab")]
        loaded = [self.loaded_screen(mode) for mode in SCREEN_CLASSES]
        if None in loaded:
            return
        classes = cast("list[type[Screen[None]]]", loaded)
        by_mode = {mode: [(mode.capitalize(), list(getattr(cls, "BINDINGS", []))),
                          *widget_sections(mode)]  # lists, logs, dialogs: keys that work when focused
                   for mode, cls in zip(SCREEN_CLASSES, classes)}
        sections: list[tuple[str, list[BindingType]]] = []
        if isinstance(screen, Screen) and type(screen) not in classes:
            sections.append(("This screen", list(screen.BINDINGS)))
        sections.extend(by_mode.pop(self.current_mode, []))
        sections.append(("Everywhere", [*self.BINDINGS, *focus]))
        for rest in by_mode.values():
            sections.extend(rest)
        self.push_screen(HelpScreen(sections))

    def loaded_screen(self, mode: str) -> type[Screen[None]] | None:
        """`screen_class(mode)`, or None when its code cannot be imported, said in one line
        (`say_upgraded`, with why) instead of a traceback that ends the app."""
        try:
            return screen_class(mode)
        except ImportError as exc:
            self.say_upgraded(f"cannot load the {mode.capitalize()}: {exc}")
            return None

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual's, for every way a screen is shown (keys, palette, start): a screen whose
        code cannot be imported is not shown (see `loaded_screen`), the current one stays."""
        if mode in SCREEN_CLASSES and self.loaded_screen(mode) is None:
            return AwaitMount(self.screen, [])
        return super().switch_mode(mode)

    async def action_switch_mode(self, mode: str) -> None:
        await self.show_mode(mode)

    async def show_mode(self, mode: str) -> None:
        """Switch to a screen once it is mounted; a dialog asked on the screen left is dismissed
        (a confirmation belongs to the screen it was asked on)."""
        if mode == self.current_mode:
            return
        while len(self.screen_stack) > 1 and isinstance(self.screen, ModalScreen):
            await self.pop_screen()
        await self.switch_mode(mode)

    async def open_task(self, name: str, run: int | None = None) -> None:
        """Show task `name` (its run `run`, else the last) in the Monitor."""
        await self.show_mode("monitor")
        monitor = self.screen
        if self.current_mode == "monitor" and isinstance(monitor, screen_class("monitor")):
            cast("MonitorScreen", monitor).show_task(name, run)

    async def load_config(self, name: str) -> None:
        """Open the Generator with task `name`'s config as the starting point."""
        await self.show_mode("generator")
        generator = self.screen
        if self.current_mode == "generator" and isinstance(generator, screen_class("generator")):
            cast("GeneratorScreen", generator).load_task_config(name)

    async def on_open_task(self, message: OpenTask) -> None:
        await self.open_task(message.name, message.run)

    async def on_load_config(self, message: LoadConfig) -> None:
        await self.load_config(message.name)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("Generator", "Create tasks from the parameter form (1)", lambda: self.switch_mode("generator"))
        yield SystemCommand("Manager", "Browse, search, run and stop tasks (2)", lambda: self.switch_mode("manager"))
        yield SystemCommand("Monitor", "Live logs, system and metric charts (3)", lambda: self.switch_mode("monitor"))
        yield SystemCommand("Help", "Show every key binding (?)", self.action_help)
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            yield from extra()
        # Textual's own, less "Keys": its side panel squeezed the screen and only the palette
        # closed it; `?` (Help above) is the one way to see the keys. Kept: Theme, Quit,
        # Maximize/Minimize (Esc restores) and Screenshot.
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command
