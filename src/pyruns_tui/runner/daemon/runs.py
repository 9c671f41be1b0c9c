"""What the scheduler's parts share about runs: the live-run record, how a run ended, the failures
it learnt, and the refusals (`Skip`) of a change made under the lock."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyruns_tui.runner.daemon import proc as P
from pyruns_tui.workspace.model import Status, Task

LOST = "runner lost"
IO_RETRY_S = 1.0  # after a failed write (full disk), the next pass comes this soon


class Skip(Exception):
    """The task changed under us (cancelled, stopped, started elsewhere): leave it."""


@dataclass
class ActiveRun:
    """A run this runner watches: started by it, or adopted from a previous runner."""

    name: str
    index: int
    gpus: tuple[int, ...]
    state_path: Path
    supervisor_pid: int
    watch: P.ExitWatch | None = None
    stop_sent: bool = False
    adopted: bool = False
    child_pid: int | None = None
    oom_kills: int | None = None  # the kernel's OOM kill count when it started
    record: Task | None = None  # the task as this runner last wrote it: rebuilds an emptied task_info.json


@dataclass(frozen=True)
class Failure:
    """What the runner learnt about a failed run before writing its record."""

    error: str
    line: int | None
    deterministic: bool


@dataclass(frozen=True)
class End:
    """A run that ended, its record not written yet (`Placement._on_exit`, then `write_ends`)."""

    run: ActiveRun
    status: Status
    reason: str | None
    state: P.RunState | None
    failure: Failure | None
    usage: dict[str, Any] | None


def exit_reason(state: P.RunState) -> tuple[Status, str | None]:
    """The final status of a run and why, from its supervisor's record. A run whose log could
    not be written (full disk) failed, whatever its exit code: its output is incomplete."""
    status, reason = _exit_status(state)
    if state.error and status is not Status.INTERRUPTED:
        return Status.FAILED, state.error if reason is None else f"{reason}; {state.error}"
    if status is Status.FAILED and reason is None:
        return status, LOST
    return status, reason


def _exit_status(state: P.RunState) -> tuple[Status, str | None]:
    if state.stopped:
        return Status.INTERRUPTED, "stopped by user"
    if state.exit_code == 0:
        return Status.COMPLETED, None
    if state.exit_code is not None:
        return Status.FAILED, f"exit code {state.exit_code}"
    if state.signal is not None:
        with contextlib.suppress(ValueError):
            return Status.FAILED, f"killed by signal {state.signal} ({signal.Signals(state.signal).name})"
        return Status.FAILED, f"killed by signal {state.signal}"
    return Status.FAILED, None


def logs_dir_problem(path: Path) -> str | None:
    """Why a task's run_logs folder must not be written to (a link out of the task), or None."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path}: cannot check the log folder: {exc.strerror}"
    if stat.S_ISLNK(mode):
        return f"{path} is a symbolic link; refusing to write the log outside the task (remove the link)"
    if not stat.S_ISDIR(mode):
        return f"{path} is not a folder; remove it so the log can be written"
    return None


def blocked(task: Task, reason: str | None) -> None:
    if task.status is not Status.QUEUED:
        raise Skip
    task.unqueue()
    task.reason = reason


def queue_order(task: Task) -> tuple[bool, int, str, str, str]:
    """Where a queued task stands in the queue: force-started first, then by priority (higher
    first), then FIFO (`queued_at`)."""
    return not task.force, -task.priority, task.queued_at or "", task.created_at, task.name
