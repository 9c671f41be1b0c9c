"""Running the TUI as a user would: inside tmux (what is on screen) or on a pty we own (what it writes)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from suite.harness import BenchError, bench_env

TERM_ENV = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}


def tui_env() -> dict[str, str]:
    """bench_env without COLUMNS/LINES, which would override the terminal's real size."""
    env = bench_env(**TERM_ENV)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


class Tmux:
    """A private tmux server (own socket) whose sessions run one command each."""

    def __init__(self, label: str) -> None:
        if shutil.which("tmux") is None:
            raise BenchError("tmux is not installed")
        self.socket = f"pyrbench-{os.getpid()}-{label}"
        self._n = 0
        # a keeper session starts the server now, so the first timed session does not pay for it
        self._tmux("new-session", "-d", "-s", "keeper", "-x", "80", "-y", "24", "sleep 3600")

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              env=tui_env(), timeout=30)
        if done.returncode != 0:
            raise BenchError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, cmd: Sequence[str], cwd: Path, size: tuple[int, int] = (100, 30)) -> str:
        """Start `cmd` in a new detached session of `size` (columns, rows); the session name."""
        self._n += 1
        name = f"s{self._n}"
        self._tmux("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                   "-c", str(cwd), "--", *cmd)
        return name

    def screen(self, session: str) -> str:
        return self._tmux("capture-pane", "-p", "-t", session)

    def pane_pid(self, session: str) -> int:
        return int(self._tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())

    def wait_screen(self, session: str, needle: str, timeout_s: float) -> float:
        """Seconds (from now) until `needle` is on the session's screen."""
        begin = time.perf_counter()
        deadline = begin + timeout_s
        text = ""
        while time.perf_counter() < deadline:
            text = self.screen(session)
            if needle in text:
                return time.perf_counter() - begin
            time.sleep(0.01)
        raise BenchError(f"{needle!r} never appeared on screen in {timeout_s:.0f} s; last screen: "
                         f"{' / '.join(line.strip() for line in text.splitlines() if line.strip())[:300]}")

    def kill(self, session: str) -> None:
        with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
            self._tmux("kill-session", "-t", session)

    def close(self) -> None:
        with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
            self._tmux("kill-server")


def app_process(pane_pid: int) -> psutil.Process:
    """The TUI process of a tmux pane: the pane's process, or its python child if a shell sits between."""
    proc = psutil.Process(pane_pid)
    with contextlib.suppress(psutil.Error):
        if "python" not in proc.name() and "pyr" not in proc.name():
            kids = proc.children()
            if kids:
                return kids[0]
    return proc


class PtyApp:
    """A command on a pseudo-terminal we own; a thread reads (and counts) all it writes."""

    def __init__(self, cmd: Sequence[str], cwd: Path, size: tuple[int, int] = (100, 30)) -> None:
        env = tui_env()
        pid, fd = pty.fork()
        if pid == 0:  # child: the pty is our terminal now
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
                os.chdir(cwd)
                os.execvpe(cmd[0], list(cmd), env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.proc = psutil.Process(pid)
        self.total = 0
        self._tail = b""
        self._lock = threading.Lock()
        self._stop = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._stop:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.total += len(data)
                self._tail = (self._tail + data)[-65536:]

    def bytes_written(self) -> int:
        with self._lock:
            return self.total

    def wait_output(self, needle: bytes, timeout_s: float) -> float:
        """Seconds until `needle` shows up in the raw output."""
        begin = time.perf_counter()
        while True:
            with self._lock:
                if needle in self._tail:
                    return time.perf_counter() - begin
            if time.perf_counter() - begin > timeout_s:
                raise BenchError(f"{needle!r} never written to the terminal in {timeout_s:.0f} s")
            if not self.proc.is_running() or self.proc.status() == psutil.STATUS_ZOMBIE:
                raise BenchError("the TUI exited before its first frame")
            time.sleep(0.01)

    def _reaped(self, within_s: float) -> bool:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            try:
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    return True
            except ChildProcessError:  # already reaped
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        """ctrl+q, then SIGTERM, then SIGKILL; reap the child."""
        with contextlib.suppress(OSError):
            os.write(self.fd, b"\x11")
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, sig)
            if self._reaped(within_s=3):
                break
        self._stop = True
        with contextlib.suppress(OSError):
            os.close(self.fd)


def cpu_seconds(procs: Sequence[psutil.Process]) -> float:
    """User + system CPU seconds of these processes (gone ones count as 0)."""
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def with_descendants(proc: psutil.Process) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return [proc, *proc.children(recursive=True)]
    return [proc]
