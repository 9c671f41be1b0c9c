"""The spawner: a small process that forks every supervisor for the runner.

A supervisor forked from the runner itself is a copy of the runner (~45 MB of Python heap):
the fork copies its page tables, and while that supervisor lives every page the runner writes
is copied again (measured: ~1,100 page faults and ~4 ms of kernel CPU in the runner per task,
half of its cost per task). The spawner is a fresh `python -I -S spawner.py` (stdlib only, like
supervisor.py, ~10 MB) started with the scheduler. It does nothing between requests, so its
forks are cheap and the runner never forks.

Protocol, over a SOCK_SEQPACKET socket pair (one message per request and per reply):
- request: JSON `{"state": STATE_FILE, "spec": {...}}`, the arguments of `supervisor.run_forked`;
- reply: `PID` with the supervisor's pidfd attached (SCM_RIGHTS), or `error: WHY`.

The pidfd is opened before the spawner could reap the supervisor, so it always names that very
process; the runner watches and signals the supervisor through it (a pid may be reused once the
spawner has reaped it). The spawner reaps its children and exits when the runner's end of the
socket closes (the runner stopped or died); supervisors outlive it, as they outlive the runner.
Linux only (pidfd_open, SCM_RIGHTS); elsewhere the runner forks supervisors itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
from typing import Any

if __package__:
    from pyruns_tui.runner.daemon import supervisor
else:  # run as a script by a fresh interpreter (`python -I -S spawner.py FD`)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import supervisor  # type: ignore[no-redef]

MAX_MESSAGE = 1 << 17  # a request larger than this (a huge environment) is not sent: the runner forks itself
REAP_S = 1.0  # how often exited supervisors are reaped while no request comes
REPLY_TIMEOUT_S = 30.0  # a spawner that does not answer this long is killed and replaced by a fork


def serve(sock: socket.socket) -> int:
    """Fork a supervisor for every request on `sock` until it closes."""
    supervisor.preload()  # ctypes once here, not in every supervisor
    while True:
        _reap()
        ready, _, _ = select.select([sock], [], [], REAP_S)
        if not ready:
            continue
        try:
            data = sock.recv(MAX_MESSAGE)
        except InterruptedError:
            continue
        except OSError:
            return 0
        if not data:
            return 0  # the runner is gone
        try:
            request = json.loads(data)
            state, spec = str(request["state"]), dict(request["spec"])
        except (ValueError, KeyError, TypeError) as exc:
            _reply(sock, f"error: bad request: {exc}".encode())
            continue
        try:
            pid = os.fork()
        except OSError as exc:
            _reply(sock, f"error: cannot fork: {exc.strerror}".encode())
            continue
        if pid == 0:
            code = 1
            try:
                code = supervisor.run_forked(state, spec)
            finally:
                os._exit(code)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            _reply(sock, str(pid).encode())
            continue
        try:
            _reply(sock, str(pid).encode(), pidfd)
        finally:
            os.close(pidfd)


def _reply(sock: socket.socket, message: bytes, fd: int | None = None) -> None:
    with contextlib.suppress(OSError):  # the runner went away: the next recv ends the loop
        if fd is None:
            sock.send(message)
        else:
            socket.send_fds(sock, [message], [fd])


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        sys.stderr.write("usage: spawner.py SOCKET_FD\n")
        return 2
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    return serve(socket.socket(fileno=int(argv[1])))


class SpawnFailed(Exception):
    """The spawner did not start the supervisor (why is the message)."""


class SpawnerClient:
    """The runner's end: starts the spawner and asks it for supervisors."""

    def __init__(self) -> None:
        import subprocess

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", os.path.abspath(__file__), str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                close_fds=True,
            )
        finally:
            theirs.close()
        ours.settimeout(REPLY_TIMEOUT_S)
        self.sock: socket.socket | None = ours

    @classmethod
    def available(cls) -> bool:
        return sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")

    @property
    def alive(self) -> bool:
        return self.sock is not None

    def spawn(self, state: str, spec: dict[str, Any]) -> tuple[int, int | None]:
        """(supervisor pid, its pidfd or None); SpawnFailed when no supervisor was started (the
        runner then starts it itself). A spawner that died or hangs is closed for good."""
        if self.sock is None:
            raise SpawnFailed("the spawner is closed")
        data = json.dumps({"state": state, "spec": spec}).encode("utf-8")
        if len(data) > MAX_MESSAGE:
            raise SpawnFailed(f"a launch over {MAX_MESSAGE >> 10} KiB (its environment) is too large for it")
        try:
            self.sock.send(data)
            message, fds, _, _ = socket.recv_fds(self.sock, 512, 1)
        except OSError as exc:  # it died, or hangs (timeout): never ask it again
            self.close(kill=True)
            raise SpawnFailed(f"the spawner stopped answering ({exc})") from None
        text = message.decode("utf-8", "replace")
        if text.isdigit():
            return int(text), (fds[0] if fds else None)
        for fd in fds:
            os.close(fd)
        if not message:
            self.close(kill=True)
            raise SpawnFailed("the spawner exited")
        raise SpawnFailed(text)

    def close(self, *, kill: bool = False) -> None:
        """Let it go: its end of the socket reads EOF and it exits (killed first when `kill`)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if kill:
            with contextlib.suppress(OSError):
                self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=0 if not kill else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
