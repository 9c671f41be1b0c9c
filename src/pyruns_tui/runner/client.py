"""Talking to the runner from the CLI or the TUI: start it on demand, poke it, ask it, stop it.

All of it goes through files in `.runner/` (locks, runner.json, the wake-up FIFO); there is no
network port. `ensure_runner` is race-free: it holds `spawn.lock` while it checks for a live
runner and starts one, so two clients starting at once get one runner.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyruns_tui.errors import RunnerError
from pyruns_tui.runner import locks, wake
from pyruns_tui.runner.launch import DROPPED_ENV
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.layout import Layout

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
    """Whether a runner holds this workspace's runner.lock."""
    return locks.is_held(RunnerPaths.of(layout).lock)


def runner_info(layout: Layout) -> RunnerInfo | None:
    """The live runner, or None when none is running."""
    paths = RunnerPaths.of(layout)
    if not locks.is_held(paths.lock):
        return None
    try:
        data = json.loads(paths.info.read_bytes())
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
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        if lines:
            return lines[-1][-300:]
    return ""


def ensure_runner(layout: Layout, *, timeout_s: float = START_TIMEOUT_S) -> int:
    """Start the workspace's runner unless one is running; returns its pid (0 if still starting)."""
    paths = RunnerPaths.of(layout)
    paths.create()
    with locks.held(paths.spawn_lock):
        if locks.is_held(paths.lock):
            info = runner_info(layout)
            return info.pid if info else 0
        _rotate_log(paths.log)
        read_fd, write_fd = os.pipe()
        log_fd = os.open(paths.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pyruns_tui.runner.service",
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
        try:
            answer = _read_answer(read_fd, timeout_s)
        finally:
            os.close(read_fd)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if answer.startswith("ready "):
            return int(answer.split()[1])
        if answer.startswith("busy"):
            return 0
        detail = answer or _last_log_line(paths.log) or "no answer"
        raise RunnerError(f"the runner did not start ({detail}); see {paths.log}")


def wake_runner(layout: Layout) -> bool:
    """Tell the runner to look at the workspace now; False when no runner is running."""
    return wake.send(RunnerPaths.of(layout).fifo, wake.WAKE)


def start_or_wake(layout: Layout) -> None:
    """After writing to the workspace: make sure a runner exists and looks now."""
    ensure_runner(layout)
    wake_runner(layout)


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
    """Set (or clear, with None) the concurrency override of the runner (`run -j N`)."""
    from pyruns_tui.workspace.fsio import atomic_write_json

    paths = RunnerPaths.of(layout)
    paths.create()
    if value is None:
        with contextlib.suppress(FileNotFoundError):
            paths.control.unlink()
        return
    if value < 1:
        raise RunnerError(f"-j must be at least 1, got {value}")
    atomic_write_json(paths.control, {"max_concurrency": value}, fsync=False, mode=0o600)
