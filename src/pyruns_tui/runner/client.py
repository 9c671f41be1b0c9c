"""Talking to the runner from the CLI or the TUI: start it on demand, poke it, ask it, stop it.

All of it goes through files in `.runner/` (locks, runner.json, the wake-up FIFO); there is no
network port. `ensure_runner` is race-free: it holds `spawn.lock` while it checks for a live
runner and starts one, so two clients starting at once get one runner.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyruns_tui.contracts import DROPPED_ENV
from pyruns_tui.errors import PyrunsError, RunnerError
from pyruns_tui.runner import locks, wake
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.fsio import open_regular, read_bytes, read_json
from pyruns_tui.workspace.layout import Layout

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    import subprocess  # (~5 ms to import: only a client that starts the runner needs it)
    from typing import Any

START_TIMEOUT_S = 30.0
LOG_ROTATE_BYTES = 1 << 20


@dataclass(frozen=True)
class RunnerInfo:
    """The live runner of a workspace, as it describes itself in runner.json."""

    pid: int
    started_at: str | None = None
    host: str | None = None
    python: str | None = None
    version: str | None = None
    gpu_backend: str | None = None
    gpus: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "started_at": self.started_at,
            "host": self.host,
            "python": self.python,
            "version": self.version,
            "gpu_backend": self.gpu_backend,
            "gpus": self.gpus,
        }


def runner_alive(layout: Layout) -> bool:
    """Whether a runner holds the flock on this workspace's directory."""
    return locks.is_held(RunnerPaths.of(layout).lock)


def runner_info(layout: Layout) -> RunnerInfo | None:
    """The live runner, or None when none is running."""
    paths = RunnerPaths.of(layout)
    if not locks.is_held(paths.lock):
        return None
    try:
        data = read_json(paths.info)
        return RunnerInfo(**{k: data.get(k) for k in RunnerInfo.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return RunnerInfo(pid=0)  # alive but still starting (runner.json not written yet)


def _rotate_log(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))


def _read_answer(fd: int, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 256)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip()


def _last_log_line(path: Path) -> str:
    with contextlib.suppress(OSError):
        lines = read_bytes(path).decode("utf-8", "replace").strip().splitlines()
        if lines:
            return lines[-1][-300:]
    return ""


def _acquire(path: Path) -> int:
    """An fd holding the flock on `path` (blocking), like `locks.held` but kept past a block."""
    fd = open_regular(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


class RunnerStart:
    """A runner being started: `spawn.lock` is held until `finish()`, which waits for its answer.

    `begin_runner` returns at once after the fork/exec, so the caller can write to the
    workspace (queue tasks) while the runner imports and recovers; see `starting_runner`.
    """

    def __init__(
        self,
        layout: Layout,
        spawn_fd: int | None,
        proc: subprocess.Popen[bytes] | None = None,
        read_fd: int | None = None,
        pid: int = 0,
    ) -> None:
        self.layout = layout
        self.spawn_fd = spawn_fd
        self.proc = proc
        self.read_fd = read_fd
        self.pid = pid  # the running runner's pid when none had to be started

    @property
    def started(self) -> bool:
        """Whether this start launched a new runner process."""
        return self.proc is not None

    def finish(self, timeout_s: float = START_TIMEOUT_S) -> int:
        """Wait for the runner to say it is ready; its pid (0 if another one won or still starting)."""
        try:
            if self.proc is None or self.read_fd is None:
                return self.pid
            try:
                answer = _read_answer(self.read_fd, timeout_s)
            finally:
                os.close(self.read_fd)
                self.read_fd = None
            import subprocess

            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            if answer.startswith("ready "):
                return int(answer.split()[1])
            if answer.startswith("busy"):
                return 0
            log = RunnerPaths.of(self.layout).log
            detail = answer or _last_log_line(log) or "no answer"
            raise RunnerError(f"the runner did not start ({detail}); see {log}")
        finally:
            if self.spawn_fd is not None:
                locks.unlock(self.spawn_fd)
                self.spawn_fd = None


def begin_runner(layout: Layout) -> RunnerStart:
    """Start the workspace's runner unless one is running, without waiting for it to be ready.

    Race-free like `ensure_runner`: `spawn.lock` is taken here and kept until `finish()`, so no
    other client starts a second runner meanwhile and no runner decides to exit idle. Call
    `finish()` in all cases (it releases the lock).
    """
    from pyruns_tui.workspace.settings import load_settings

    load_settings(layout.settings_file)  # the runner would only log bad settings: refuse them here
    paths = RunnerPaths.of(layout)
    if locks.is_held(paths.lock):  # up: nothing in `.runner/` is needed (it may be another member's)
        info = runner_info(layout)
        return RunnerStart(layout, None, pid=info.pid if info else 0)
    paths.create()
    if wake.stand_in(paths.fifo) == "a directory":  # the runner replaces anything else, not a folder
        raise RunnerError(f"{paths.fifo} is a directory where the runner's wake-up FIFO belongs, so no runner "
                          "can start; remove it")
    spawn_fd = _acquire(paths.spawn_lock)
    try:
        if locks.is_held(paths.lock):
            info = runner_info(layout)
            locks.unlock(spawn_fd)
            return RunnerStart(layout, None, pid=info.pid if info else 0)
        _rotate_log(paths.log)
        read_fd, write_fd = os.pipe()
        log_fd = open_regular(paths.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        import subprocess

        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pyruns_tui.runner.daemon.service",
                 "--ready-fd", str(write_fd), str(layout.root), layout.name],
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=log_fd,
                pass_fds=(write_fd,),
                start_new_session=True,
                cwd=str(layout.project_dir),
                env=env,
            )
        except OSError as exc:
            os.close(read_fd)
            raise RunnerError(f"cannot start the runner: {exc}") from exc
        finally:
            os.close(write_fd)
            os.close(log_fd)
    except BaseException:
        locks.unlock(spawn_fd)
        raise
    return RunnerStart(layout, spawn_fd, proc, read_fd)


def ensure_runner(layout: Layout, *, timeout_s: float = START_TIMEOUT_S) -> int:
    """Start the workspace's runner unless one is running; returns its pid (0 if still starting)."""
    return begin_runner(layout).finish(timeout_s)


@contextlib.contextmanager
def starting_runner(layout: Layout) -> Iterator[list[str]]:
    """Around a block that writes to the workspace (queues tasks): a runner that is not running
    is started first, so its start-up (interpreter, imports, GPU detection, recovery) overlaps
    with the writes; after the block it is waited for and woken, as `start_or_wake` does. The
    block may name the tasks it queued in the list it gets: the runner looks at those first.

    The new runner may look at the workspace before the block is done; the wake-up after it
    makes it look again, and a task is only ever started under the workspace lock, once.
    """
    start = begin_runner(layout)
    queued: list[str] = []
    try:
        yield queued
    except BaseException:
        # the block's error is the one to report (a runner that cannot start on a full disk
        # follows from it); tasks it queued before failing run all the same
        with contextlib.suppress(PyrunsError, OSError):
            start.finish()
            if queued:
                start_or_wake(layout, queued)
        raise
    started = start.started
    start.finish()
    if not started or not wake_runner(layout, queued):
        start_or_wake(layout, queued)  # the runner that was up may have exited idle meanwhile


def wake_problem(layout: Layout) -> str | None:
    """Why the runner cannot be woken (something else stands where its FIFO belongs), or None.
    Tasks queued meanwhile are started all the same, at the runner's next periodic scan (which
    also makes the FIFO again, unless a folder is in the way)."""
    fifo = RunnerPaths.of(layout).fifo
    kind = wake.stand_in(fifo)
    if kind is None:
        return None
    return (f"{fifo} is {kind}, not the runner's wake-up FIFO: the runner was not woken, and starts the queued "
            "tasks at its next periodic scan instead of now; remove it (the runner makes its FIFO again)")


def wake_runner(layout: Layout, queued: Sequence[str] = ()) -> bool:
    """Tell the runner to look at the workspace now (at the `queued` tasks first); False when no
    runner is running, or something else than its FIFO is in the way (`wake_problem`)."""
    return wake.send(RunnerPaths.of(layout).fifo, wake.look_message(queued))


def start_or_wake(layout: Layout, queued: Sequence[str] = ()) -> None:
    """After writing to the workspace: make sure a runner exists and looks now (at the `queued`
    tasks first)."""
    ensure_runner(layout)
    wake_runner(layout, queued)


def stop_runner(layout: Layout, *, timeout_s: float = 10.0) -> bool:
    """Ask the runner to exit (running tasks continue and are adopted later); True if one was running."""
    paths = RunnerPaths.of(layout)
    if not locks.is_held(paths.lock):
        return False
    info = runner_info(layout)
    if not wake.send(paths.fifo, wake.STOP) and info is not None and info.pid:
        with contextlib.suppress(OSError):
            os.kill(info.pid, 15)
    deadline = time.monotonic() + timeout_s
    while locks.is_held(paths.lock) or (info is not None and _process_alive(info.pid)):
        if time.monotonic() > deadline:
            raise RunnerError(f"the runner (pid {info.pid if info else '?'}) did not exit within {timeout_s:g}s")
        time.sleep(0.01)
    return True


def _process_alive(pid: int) -> bool:
    import psutil

    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def set_concurrency(layout: Layout, value: int | None) -> None:
    """Set (or clear, with None) the concurrency override of the runner (`run -j N`; read with
    `paths.concurrency_override`)."""
    from pyruns_tui.workspace.fsio import atomic_write, dump_json, read_bytes

    paths = RunnerPaths.of(layout)
    paths.create()
    if value is None:
        with contextlib.suppress(FileNotFoundError):
            paths.control.unlink()
        return
    if value < 1:
        raise RunnerError(f"-j must be at least 1, got {value}")
    data = dump_json({"max_concurrency": value})
    with contextlib.suppress(OSError, ValueError):  # (a FIFO, a symlink or a large file there: replaced)
        if read_bytes(paths.control, len(data)) == data:  # `run -j 4` again: no rename (~1 ms)
            return
    atomic_write(paths.control, data, fsync=False, mode=0o600)
