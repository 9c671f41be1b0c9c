"""DetailPane: everything about the highlighted task — config, runs, environment, notes, reason."""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from pyruns_tui.contracts import CONFIG_ENV, GPU_ENV, TASK_DIR_ENV, TERMINAL_ENV
from pyruns_tui.humanize import format_duration, format_time, plural, run_place
from pyruns_tui.printable import printable
from pyruns_tui.runner.log_cut import LogCut
from pyruns_tui.runner.slurm.pending import pending_help
from pyruns_tui.tui.widgets.topbar import STATUS_GLYPHS
from pyruns_tui.workspace.model import Run, Status, Task

_NEGATIVE_NUMBER = re.compile(r"-\.?\d")  # `-0.5`, `-1e-3`: a value, not a flag


def exit_text(run: Run) -> str:
    """`0`, `1`, `SIG9`, or empty while the run has not ended."""
    if run.signal:
        return f"SIG{run.signal}"
    return "" if run.exit_code is None else str(run.exit_code)


def failure_text(task: Task) -> str | None:
    """Why a failed task failed, in one line: its last run's `error` summary when the runner
    recorded one, else the reason it gave (a task that could not start), else the exit code."""
    if task.status is not Status.FAILED:
        return None
    run = task.last_run
    if task.error and task.error.strip():
        return task.error.strip().splitlines()[0]
    reason = task.reason or (run.reason if run is not None else None)
    if reason:
        return reason
    code = exit_text(run) if run is not None else ""
    return f"exit {code}" if code else None


def git_text(git: dict[str, Any] | None) -> str:
    if not git or not git.get("commit"):
        return ""
    return f"{str(git['commit'])[:8]}{'*' if git.get('dirty') else ''}"


# what the runner sets in every run (launch.task_env); with the workspace settings' `env`, and the
# CUDA_* and PYRUNS_* variables, the part of a run's environment the pane shows
RUNNER_ENV = frozenset((CONFIG_ENV, TASK_DIR_ENV, *TERMINAL_ENV, *GPU_ENV))
SHOWN_ENV_PREFIXES = ("CUDA_", "PYRUNS_")


def own_env(env: Mapping[str, str], settings_env: Collection[str] = ()) -> tuple[dict[str, str], int]:
    """The variables of a run's environment worth a glance (what pyr-tui set, the settings' `env`,
    CUDA_* and PYRUNS_*), sorted, and how many others it inherited from the runner's shell."""
    shown = {name: env[name] for name in sorted(env)
             if name in RUNNER_ENV or name in settings_env or name.startswith(SHOWN_ENV_PREFIXES)}
    return shown, len(env) - len(shown)


def _is_option(arg: str) -> bool:
    return arg.startswith("-") and not _NEGATIVE_NUMBER.match(arg)


def command_pieces(argv: Sequence[str]) -> list[str]:
    """The command line's arguments shell-quoted (as `shlex.join` writes them) and escaped, a flag
    and its value as one piece (`--lr 0.01`, `--lr -0.5`): the pieces it wraps between."""
    pieces: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if _is_option(arg) and arg != "--" and "=" not in arg and i + 1 < len(argv) and not _is_option(argv[i + 1]):
            pieces.append(printable(f"{shlex.quote(arg)} {shlex.quote(argv[i + 1])}"))
            i += 2
        else:
            pieces.append(printable(shlex.quote(arg)))
            i += 1
    return pieces


class CommandLine:
    """A command line as a Rich renderable that wraps only between its pieces (`command_pieces`:
    a flag stays with its value) at the width it is given; a piece wider than a line wraps inside."""

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = list(pieces)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        line = ""
        for piece in self.pieces:
            if line and cell_len(line) + 1 + cell_len(piece) > width:
                yield Text(line)
                line = piece
            else:
                line = f"{line} {piece}" if line else piece
        yield Text(line)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max(map(cell_len, self.pieces), default=0)
        return Measurement(widest, cell_len(" ".join(self.pieces))).clamp(max_width=options.max_width)


def _heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def runs_text(task: Task) -> Text:
    """Two lines per run, newest first: status, start, duration, exit; then pid, GPUs, host, git."""
    text = Text()
    for run in reversed(task.runs):
        glyph, style = STATUS_GLYPHS[run.status]
        duration = task.duration_s() if run is task.last_run else run.duration_s
        text.append(f"#{run.index} ", style="bold")
        text.append(f"{glyph} {run.status.value}", style=style)
        text.append(f"  {format_time(run.start)}  {format_duration(duration)}")
        code = exit_text(run)
        if code:
            text.append(f"  exit {code}", style="green" if code == "0" else "red")
        facts = [f"pid {run.pid}" if run.pid is not None else "", f"gpus {','.join(map(str, run.gpus))}" if run.gpus else "",
                 run_place(run) or run.host or "", f"git {git_text(run.git)}" if git_text(run.git) else ""]
        if run.retry_of is not None:
            facts.append(f"retry of #{run.retry_of}")
        text.append("\n   " + " · ".join(fact for fact in facts if fact) + "\n", style="dim")
        if run.error:
            where = f" (log line {run.error_line})" if run.error_line else ""
            text.append(f"   {printable(run.error)}{where}\n", style="red")
    text.rstrip()
    return text


def detail_renderable(task: Task, config_title: str, config_text: str,
                      env: dict[str, str] | None = None, dependents: Sequence[str] = (),
                      settings_env: Collection[str] = (), log_cut: LogCut | None = None) -> RenderableType:
    """The pane's content for `task`; `config_text` is config.yaml (or the shell command);
    `dependents`: the tasks whose `after` names it; `settings_env`: the names the workspace's
    settings set in every run's environment (shown with those pyr-tui sets; the rest is counted);
    `log_cut`: where a full disk cut the log of its running run."""
    glyph, style = STATUS_GLYPHS[task.status]
    title = Text()
    title.append(printable(task.name), style="bold")
    title.append(f"  {glyph} {task.status.value}", style=style)
    if task.pinned:
        title.append("  ★ pinned", style="yellow")
    facts = Text(f"created {format_time(task.created_at)} · {task.task_kind}", style="dim")
    if task.gpus is not None:
        facts.append(f" · asks {plural(task.gpus, 'GPU')}")
    if task.priority:
        facts.append(f" · priority {task.priority}")
    parts: list[RenderableType] = [title, facts]
    if log_cut is not None:
        parts.append(Text(f"✂ {printable(log_cut.text)}", style="bold yellow"))
    if task.error:
        parts.append(Text(f"error: {printable(task.error)}", style="bold red"))
    if task.after:
        parts.append(Text(f"after: {printable(', '.join(task.after))}", style="dim"))
    if dependents:
        parts.append(Text(f"waited for by: {printable(', '.join(dependents))}", style="dim"))
    failure = failure_text(task)
    if failure and not (task.error and task.error.strip()):  # an error: the line above says it
        parts.append(Text(f"✖ {printable(failure)}", style="bold red"))
    if task.reason and task.reason != failure:
        parts.append(Text(f"reason: {printable(task.reason)}", style="yellow"))
        if task.status is Status.QUEUED and (meaning := pending_help(task.reason)):  # Slurm's, in plain words
            parts.append(Text(f"why: {meaning}", style="yellow"))
    run = task.last_run
    if run is not None and run.reason and run.reason not in (task.reason, failure):
        parts.append(Text(f"last run: {printable(run.reason)}", style="yellow"))
    if run is not None and run.argv:  # as started, in the project folder (secrets redacted)
        parts.append(_heading(f"Command line (run {run.index})"))
        parts.append(CommandLine(command_pieces([str(item) for item in run.argv])))
    parts.append(_heading("Notes"))
    parts.append(Text(printable(task.notes, multiline=True)) if task.notes else Text("(none — press n to edit)", style="dim"))
    parts.append(_heading(config_title))
    parts.append(Text(printable(config_text.rstrip("\n"), multiline=True)) if config_text.strip() else Text("(empty)", style="dim"))
    parts.append(_heading(f"Runs ({len(task.runs)})"))
    parts.append(runs_text(task) if task.runs else Text("(never run)", style="dim"))
    if run is not None:
        parts.append(_heading(f"Environment (run {run.index})"))
        env = run.env or env
        if env:
            shown, inherited = own_env(env, settings_env)
            lines = Text()
            for key, value in shown.items():
                lines.append(printable(key), style="cyan")
                lines.append(f"={printable(str(value))}\n")
            if inherited:
                lines.append(f"+{inherited} inherited · "
                             f"pyr-tui show {printable(shlex.quote(task.name))} --env\n", style="dim")
            lines.rstrip()
            parts.append(lines)
        else:
            parts.append(Text("(not recorded)", style="dim"))
        if run.python:
            parts.append(Text(f"python: {printable(str(run.python))}", style="dim"))
    return Group(*parts)


class DetailPane(VerticalScroll, can_focus=True):
    """A scrollable panel describing one task; `show()` replaces its content.

    Reactive attributes: none (content is pushed by the screen with `show`).
    """

    DEFAULT_CSS = """
    DetailPane { background: $surface; padding: 0 1; border-left: vkey $panel-lighten-1; }
    DetailPane > #detail-body { width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.task_name: str | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("No task highlighted", style="dim"), id="detail-body")

    def show(self, task: Task | None, config_title: str = "Config", config_text: str = "",
             env: dict[str, str] | None = None, dependents: Sequence[str] = (),
             settings_env: Collection[str] = (), log_cut: LogCut | None = None) -> None:
        """Describe `task`; `env`: its last run's environment snapshot (read from its own file);
        `settings_env`: the variables the workspace's settings set (shown; the rest is counted);
        `log_cut`: where a full disk cut its running run's log (`TaskEntry.log_cut`)."""
        body = self.query_one("#detail-body", Static)
        if task is None:
            self.task_name = None
            body.update(Text("No task highlighted", style="dim"))
            return
        if task.name != self.task_name:
            self.scroll_home(animate=False)
        self.task_name = task.name
        body.update(detail_renderable(task, config_title, config_text, env, dependents, settings_env, log_cut))
