"""The runner's side of a run's processes: start a supervisor, learn when it ends, stop it.

The supervisor (supervisor.py) owns the pty and the task's process tree; the runner only starts
it, asks it to stop (SIGTERM), and reads the state file it leaves. Exits are noticed through a
pidfd on Linux (works for supervisors adopted from a previous runner too), else by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

SUPERVISOR_SCRIPT = Path(__file__).with_name("supervisor.py")
POLL_S = 0.05  # exit polling where pidfd is missing (macOS)


@dataclass(frozen=True)
class RunState:
    """The content of a supervisor's state file (see supervisor.py)."""

    task: str | None
    run: int | None
    supervisor_pid: int
    child_pid: int | None
    started_at: float | None
    exited: bool
    exit_code: int | None
    signal: int | None
    stopped: bool
    finished_at: float | None
    duration_s: float | None
    error: str | None

    @classmethod
    def read(cls, path: Path) -> RunState | None:
        """The state at `path`, or None when it is missing or unreadable."""
        try:
            data: dict[str, Any] = json.loads(path.read_bytes())
            return cls(
                task=data.get("task"),
                run=data.get("run"),
                supervisor_pid=int(data["supervisor_pid"]),
                child_pid=data.get("child_pid"),
                started_at=data.get("started_at"),
                exited=data.get("state") == "exited",
                exit_code=data.get("exit_code"),
                signal=data.get("signal"),
                stopped=bool(data.get("stopped")),
                finished_at=data.get("finished_at"),
                duration_s=data.get("duration_s"),
                error=data.get("error"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def start_supervisor(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    state: Path,
    *,
    grace_s: float,
    task: str,
    run: int,
    stderr: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start the supervisor of one run; it prints the task's pid on stdout (a pipe) then closes it."""
    spec = {
        "argv": list(argv),
        "cwd": str(cwd),
        "log": str(log),
        "grace_s": grace_s,
        "task": task,
        "run": run,
    }
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(SUPERVISOR_SCRIPT), str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=dict(env),
        cwd=str(cwd),
        start_new_session=True,
        close_fds=True,
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(json.dumps(spec).encode("utf-8"))
        proc.stdin.close()
    except BrokenPipeError:
        pass  # it died at once; its exit is noticed like any other
    return proc


def is_supervisor(pid: int, state: Path) -> bool:
    """Whether `pid` is alive and is the supervisor writing `state` (guards against pid reuse)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return str(state) in proc.cmdline()
    except (psutil.Error, OSError):
        return False


def kill_lost_group(child_pid: int | None, started_at: float | None) -> None:
    """SIGKILL what is left of a task whose supervisor is gone (only if it is still that task)."""
    if not child_pid:
        return
    try:
        proc = psutil.Process(child_pid)
        if started_at is not None and abs(proc.create_time() - started_at) > 5:
            return  # the pid now belongs to someone else
    except (psutil.Error, OSError):
        return
    with contextlib.suppress(OSError):
        os.killpg(child_pid, signal.SIGKILL)


def request_stop(pid: int) -> bool:
    """Ask a supervisor to stop its task (SIGTERM; it escalates to SIGKILL after the grace)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return False
    return True


class ExitWatch:
    """Calls `on_exit` once, on the event loop, when process `pid` has ended.

    `popen` is given for our own children so they are reaped; adopted supervisors (children of
    a dead runner, now of init) are only watched.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pid: int,
        on_exit: Callable[[], None],
        popen: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.loop = loop
        self.pid = pid
        self.popen = popen
        self.on_exit = on_exit
        self.done = False
        self._pidfd: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        try:
            self._pidfd = os.pidfd_open(pid)  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            self._pidfd = None
        if self._pidfd is not None:
            loop.add_reader(self._pidfd, self._check)
        else:
            self._timer = loop.call_later(POLL_S, self._check)
        loop.call_soon(self._check)  # it may already be gone

    def _gone(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is not None
        try:
            return psutil.Process(self.pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True
        except (psutil.Error, OSError):
            return False

    def _check(self) -> None:
        if self.done:
            return
        if not self._gone():
            if self._pidfd is None:
                self._timer = self.loop.call_later(POLL_S, self._check)
            return
        self.close()
        self.on_exit()

    def close(self) -> None:
        self.done = True
        if self._pidfd is not None:
            self.loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def read_child_pid(loop: asyncio.AbstractEventLoop, popen: subprocess.Popen[bytes], on_pid: Callable[[int], None]) -> None:
    """Read the supervisor's one stdout line (the task's pid) without blocking the loop."""
    assert popen.stdout is not None
    fd = popen.stdout.fileno()
    os.set_blocking(fd, False)
    buffer = bytearray()

    def readable() -> None:
        try:
            data = os.read(fd, 64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        buffer.extend(data)
        if data and b"\n" not in buffer:
            return
        loop.remove_reader(fd)
        popen.stdout.close()  # type: ignore[union-attr]
        line = bytes(buffer).split(b"\n", 1)[0]
        if line.strip().isdigit():
            on_pid(int(line))

    loop.add_reader(fd, readable)
