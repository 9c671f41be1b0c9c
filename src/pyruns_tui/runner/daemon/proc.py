"""The runner's side of a run's processes: start a supervisor, learn when it ends, stop it.

The supervisor (supervisor.py) owns the pty and the task's process tree; the runner only starts
it, asks it to stop, and reads the state file it leaves. A run started through the spawner has a
control channel (spawner.py): `stop` is written on it, `output` read from it (the task printed
after a pause: its log is read at once), and its end-of-file is the run's end.
Otherwise the runner signals the supervisor (SIGTERM) and notices its exit through a pidfd on
Linux (works for supervisors adopted from a previous runner too), else by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyruns_tui.contracts import EXEC_SUPERVISOR_ENV
from pyruns_tui.runner.daemon.spawner import SpawnerClient, SpawnFailed
from pyruns_tui.workspace.fsio import read_json

SUPERVISOR_SCRIPT = Path(__file__).with_name("supervisor.py")
POLL_S = 0.05  # exit polling where pidfd is missing (macOS)
EXEC_ENV = EXEC_SUPERVISOR_ENV  # "1": always start supervisors as new interpreters


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
    deadline: bool = False  # stopped by the supervisor at its `stop_at` (a Slurm job's time limit)

    @classmethod
    def read(cls, path: Path) -> RunState | None:
        """The state at `path`, or None when it is missing or unreadable."""
        try:
            data: dict[str, Any] = read_json(path)
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
                deadline=data.get("deadline") is True,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass
class Supervised:
    """A supervisor this runner started: its pid and, in the exec mode, the pipe it reports
    the task's pid on (a forked one only writes the pid into its state file)."""

    pid: int
    report_fd: int | None
    popen: subprocess.Popen[bytes] | None = None  # set in the exec mode
    channel: int | None = None  # set when the spawner started it: the run's control channel


def exec_requested() -> bool:
    """`PYRUNS_TUI_EXEC_SUPERVISOR=1`: every supervisor is a new interpreter (no spawner, no fork)."""
    return os.environ.get(EXEC_ENV) == "1"


def can_fork() -> bool:
    """Forking a copy of the runner is safe only while it has a single thread."""
    return hasattr(os, "fork") and threading.active_count() == 1 and not exec_requested()


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
    spawner: SpawnerClient | None = None,
    on_spawn_failed: Callable[[str], None] = lambda why: None,
    wake: Path | None = None,
    record: Path | None = None,
) -> Supervised:
    """Start the supervisor of one run: by the spawner when there is one (see spawner.py), else
    forked from this process when safe, else exec'd. A spawner failure is told to
    `on_spawn_failed` and the run is started the other way. `wake`: the runner's wake-up FIFO, where
the supervisor says its task printed after a pause when it has no channel to the runner.
    `record`: the task's task_info.json, which must still say this run is running when the
    supervisor has the task's folder locked (see recovery.py: a runner killed before the spawn)."""
    spec: dict[str, Any] = {
        "argv": list(argv),
        "env": dict(env),
        "cwd": str(cwd),
        "log": str(log),
        "grace_s": grace_s,
        "task": task,
        "run": run,
        "new_log": True,  # a new run: its log starts empty (see Supervisor.run)
    }
    if wake is not None:
        spec["wake"] = str(wake)
    if record is not None:
        spec["task_info"] = str(record)  # the run starts only while this says it is running (Supervisor.run)
    if spawner is not None and spawner.alive:
        try:
            pid, channel = spawner.spawn(str(state), spec)
            return Supervised(pid, None, channel=channel)
        except SpawnFailed as exc:
            on_spawn_failed(str(exc))
    if can_fork():
        from pyruns_tui.runner.daemon import supervisor

        supervisor.preload()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = supervisor.run_forked(str(state), spec)
            finally:
                os._exit(code)
        return Supervised(pid, None)
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(SUPERVISOR_SCRIPT), str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=dict(env),
        cwd=str(cwd),
        start_new_session=True,
        close_fds=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(spec).encode("utf-8"))
        proc.stdin.close()
    except BrokenPipeError:
        pass  # it died at once; its exit is noticed like any other
    return Supervised(proc.pid, proc.stdout.fileno(), popen=proc)


def supervisor_alive(state: Path) -> bool:
    """Whether the supervisor writing `state` is alive (it holds `state.lock` while it lives)."""
    from pyruns_tui.runner.daemon.supervisor import lock_path
    from pyruns_tui.runner.locks import is_held

    return is_held(Path(lock_path(str(state))))


def kill_lost_group(child_pid: int | None, started_at: float | None) -> None:
    """SIGKILL what is left of a task whose supervisor is gone (only if it is still that task)."""
    if not child_pid:
        return
    import psutil  # only here and for adopted runs: 20 ms less at every runner start

    try:
        proc = psutil.Process(child_pid)
        if started_at is not None and abs(proc.create_time() - started_at) > 5:
            return  # the pid now belongs to someone else
    except (psutil.Error, OSError):
        return
    with contextlib.suppress(OSError):
        os.killpg(child_pid, signal.SIGKILL)


def request_stop(pid: int, watch: ExitWatch | None = None) -> bool:
    """Ask a supervisor to stop its task (it escalates to SIGKILL after the grace): `stop` on the
    run's control channel when it has one (a pooled worker: a signal could reach its next run),
    else SIGTERM, through the watch's pidfd when it has one (it names the process even after a
    reap). False when the run or its supervisor has already ended."""
    if watch is not None and watch.channel is not None:
        try:
            return os.write(watch.channel, b"stop") > 0
        except OSError:
            return False
    pidfd = watch.pidfd if watch is not None else None
    try:
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, signal.SIGTERM)  # type: ignore[attr-defined]
        else:
            os.kill(pid, signal.SIGTERM)
    except OSError:
        return False
    return True


class ExitWatch:
    """Calls `on_exit` once, on the event loop, when the run of supervisor `pid` has ended: at
    the end-of-file of its control `channel` when it has one (a pooled worker lives on), else
    when process `pid` has ended.

    Our own children are reaped (through `popen` in the exec mode, waitpid otherwise); adopted
    supervisors (children of a dead runner, now of init) are only watched.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pid: int,
        on_exit: Callable[[], None],
        popen: subprocess.Popen[bytes] | None = None,
        channel: int | None = None,
        on_output: Callable[[], None] | None = None,
    ) -> None:
        self.loop = loop
        self.pid = pid
        self.popen = popen
        self.on_exit = on_exit
        self.on_output = on_output  # the worker said the task printed after a pause
        self.done = False
        self.channel: int | None = channel  # owned from here on
        self.pidfd: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        if self.channel is not None:
            os.set_blocking(self.channel, False)
            loop.add_reader(self.channel, self._on_channel)
            return
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(pid)  # type: ignore[attr-defined]
        if self.pidfd is not None:
            loop.add_reader(self.pidfd, self._check, True)  # readable at once if already gone
        else:
            self._timer = loop.call_later(POLL_S, self._check)
            loop.call_soon(self._check)  # it may already be gone

    def _gone(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is not None
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            return pid != 0
        except ChildProcessError:
            pass  # not our child: adopted from a previous runner
        import psutil

        try:
            return psutil.Process(self.pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True
        except (psutil.Error, OSError):
            return False

    def _on_channel(self) -> None:
        """The channel is readable: its end-of-file (or reset) is the run's end; a message (the
        worker's `output`: the task printed after a pause) calls `on_output`."""
        assert self.channel is not None
        try:
            if os.read(self.channel, 64):
                if self.on_output is not None:
                    self.on_output()
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self._check(True)

    def _check(self, pidfd_ready: bool = False) -> None:
        if self.done:
            return
        # a readable pidfd means that very process ended, even if its pid was reused since
        if pidfd_ready:
            self._reap()
        elif not self._gone():
            if self.pidfd is None:
                self._timer = self.loop.call_later(POLL_S, self._check)
            return
        self.close()
        self.on_exit()

    def _reap(self) -> None:
        """Collect the ended process if it is our child (not when the spawner started it)."""
        if self.popen is not None:
            self.popen.poll()
            return
        if self.channel is not None:
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)

    def close(self) -> None:
        self.done = True
        if self.channel is not None:
            self.loop.remove_reader(self.channel)
            os.close(self.channel)
            self.channel = None
        if self.pidfd is not None:
            self.loop.remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def read_child_pid(loop: asyncio.AbstractEventLoop, fd: int, on_pid: Callable[[int], None]) -> None:
    """Read the supervisor's one report line (the task's pid) without blocking the loop."""
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
        os.close(fd)
        line = bytes(buffer).split(b"\n", 1)[0]
        if line.strip().isdigit():
            on_pid(int(line))

    loop.add_reader(fd, readable)
