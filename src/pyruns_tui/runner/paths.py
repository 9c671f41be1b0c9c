"""The runner's files inside `<workspace>/.runner/` (mode 0700): locks, info, wake-up FIFO, run states."""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pyruns_tui.errors import RunnerError
from pyruns_tui.workspace.fsio import read_json
from pyruns_tui.workspace.layout import Layout


@dataclass(frozen=True)
class RunnerPaths:
    """Where the runner of one workspace keeps its state.

    - `lock`: the workspace directory itself, flock'ed by the live runner for its whole life
      (the single-instance lock; not a file in `.runner/`, which a user can delete).
    - `spawn.lock`: flock held while a client checks for and starts a runner, and by a runner
      while it decides to exit when idle, so a task queued meanwhile is never left behind.
    - `runner.json`: who the live runner is (pid, start time, host, python, version).
    - `wake.fifo`: named pipe (0600); clients write one line (`wake`, `stop`) to poke the runner.
    - `control.json`: `{"max_concurrency": N}` set by `run -j N` for the runner's lifetime.
    - `paused.json`: why the circuit breaker paused the queue (runner/breaker.py); resume removes it.
    - `runner.log`: the runner's own stdout/stderr (rotated to runner.log.1 at 1 MB).
    - `runs/<task>.<N>.json`: the state file the supervisor of run N of a task writes.
    - `waiters/<pid>.<n>.fifo`: named pipes (0600) of clients waiting for tasks; the runner
      writes a line into each after a pass that recorded an end or took a task out of the
      queue (runner/wake.py).
    """

    dir: Path

    @classmethod
    def of(cls, layout: Layout) -> RunnerPaths:
        return cls(layout.runner_dir)

    def create(self) -> None:
        """Make the directory tree (owner-only) if missing; a symlink or file in its place is
        refused, so nothing the runner writes, chmods or deletes can land outside the workspace."""
        for directory in (self.dir, self.runs_dir):
            with contextlib.suppress(FileExistsError):
                os.mkdir(directory, 0o700)
            try:
                fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise RunnerError(f"{directory} is not a plain directory (a symlink or file); remove it") from None
                raise
            try:
                info = os.fstat(fd)
                if directory == self.dir and info.st_uid == os.geteuid() and info.st_mode & 0o777 != 0o700:
                    os.fchmod(fd, 0o700)  # (another member's stays theirs)
            except OSError as exc:
                exc.filename = str(directory)  # (a call on an fd names no file: the error said "a file")
                raise
            finally:
                os.close(fd)

    @property
    def lock(self) -> Path:
        return self.dir.parent

    @cached_property
    def spawn_lock(self) -> Path:
        return self.dir / "spawn.lock"

    @cached_property
    def info(self) -> Path:
        return self.dir / "runner.json"

    @cached_property
    def fifo(self) -> Path:
        return self.dir / "wake.fifo"

    @cached_property
    def control(self) -> Path:
        return self.dir / "control.json"

    @cached_property
    def pause(self) -> Path:
        return self.dir / "paused.json"

    @cached_property
    def log(self) -> Path:
        return self.dir / "runner.log"

    @cached_property
    def waiters_dir(self) -> Path:
        return self.dir / "waiters"

    @cached_property  # (the runner asks for these at every pass and run)
    def runs_dir(self) -> Path:
        return self.dir / "runs"

    def run_state(self, task: str, index: int) -> Path:
        return self.runs_dir / f"{task}.{index}.json"

    def run_state_lock(self, task: str, index: int) -> Path:
        """The file a run's live supervisor keeps locked (`supervisor.lock_path`, which imports nothing)."""
        return self.runs_dir / f"{task}.{index}.json.lock"


def concurrency_override(layout: Layout) -> int | None:
    """The runner's concurrency set by `run -j N` (`control.json`), or None: `max_concurrency`
    of the settings applies. The runner reads it with this rule (a value that is no whole
    number of at least 1 is none)."""
    try:
        value = read_json(RunnerPaths.of(layout).control).get("max_concurrency")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
