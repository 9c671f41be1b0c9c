"""The spawner: a small process that starts every supervisor for the runner, from a pool of
forked workers it reuses.

A supervisor forked from the runner itself is a copy of the runner (~45 MB of Python heap):
the fork copies its page tables, and while that supervisor lives every page the runner writes
is copied again (measured: ~1,100 page faults and ~4 ms of kernel CPU in the runner per task,
half of its cost per task). The spawner is a fresh `python -I -S spawner.py` (stdlib only, like
supervisor.py, ~10 MB) started with the scheduler, so the runner never forks.

Its forks are not free either: a fork, the copy-on-write faults of a Python process that runs,
and its exit cost ~2 ms of CPU per run, more than the supervisor's own work. So a supervisor
does not exit after its run: it is a **worker** (`supervisor.serve_runs`) that goes back to the
pool and supervises the next run. One run at a time per worker: a run still has a process of
its own, and a worker that crashes takes only its current run along. A worker is reused only
when its run ended normally, nothing of the run is left open or alive in it, and the runner
still held the run's channel; it exits after MAX_RUNS runs or IDLE_EXIT_S unused.

Protocol with the runner, over a SOCK_SEQPACKET socket pair (one message per request and reply):
- request: JSON `{"state": STATE_FILE, "spec": {...}}`, the arguments of `supervisor.Supervisor`;
- reply: `PID` (the worker's) with the run's **control channel** attached (SCM_RIGHTS), or
  `error: WHY`. The channel is one end of a fresh socket pair whose other end the worker holds
  for that run only: the runner writes `stop` on it (a stop meant for a run that has ended
  cannot reach the worker's next run, as a signal could), and reads its end-of-file as the
  run's end: the worker closes its end after the run's record is written and its locks are
  free, or dies. The worker writes `output` on it when the task prints after a pause (the
  runner then reads the run's log at once: the progress sidecar follows within milliseconds).
With a worker: `idle` from the worker when it is ready for another run; the spawner closes its
end of the worker's socket to retire it.

The spawner reaps its workers and exits when the runner's end of the socket closes (the runner
stopped or died); idle workers exit with it, busy ones finish their run (they outlive it as
they outlive the runner) and exit after it. Linux only (SCM_RIGHTS, MSG_CMSG_CLOEXEC, /proc);
elsewhere the runner forks one-run supervisors itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
import time
from typing import Any

if __package__:
    from pyruns_tui.runner.daemon import supervisor
else:  # run as a script by a fresh interpreter (`python -I -S spawner.py FD`)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import supervisor  # type: ignore[no-redef]

MAX_MESSAGE = supervisor.MAX_REQUEST  # a request larger than this (a huge environment) is not sent: the runner forks itself
REAP_S = 1.0  # how often exited workers are reaped and idle ones retired while no request comes
REPLY_TIMEOUT_S = 30.0  # a spawner that does not answer this long is killed and replaced by a fork
IDLE_EXIT_S = 60.0  # a worker unused this long is retired
MAX_IDLE = 64  # idle workers kept at most (the rest are retired at once)
WORKER_FD = 3  # the fd number of its pool socket in a worker


class Worker:
    """The spawner's end of one pooled worker."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock
        self.idle_since = 0.0


class Pool:
    """The spawner's state: the runner's socket and the workers, busy and idle."""

    def __init__(self, runner: socket.socket) -> None:
        self.runner = runner
        self.workers: dict[int, Worker] = {}  # by the fd of the spawner's end
        self.idle: list[Worker] = []  # most recently used last: it is the one taken next
        self.poller = select.poll()
        self.poller.register(runner, select.POLLIN)

    def serve(self) -> int:
        """Start a supervisor for every request of the runner until its end closes."""
        supervisor.preload()  # ctypes once here, not in every worker
        while True:
            _reap()
            self._retire_unused(time.monotonic())
            try:
                events = self.poller.poll(REAP_S * 1000)
            except InterruptedError:
                continue
            from_runner = False
            for fd, _ in events:
                if fd == self.runner.fileno():
                    from_runner = True
                elif fd in self.workers:
                    self._from_worker(self.workers[fd])
            if from_runner and not self._from_runner():
                return 0

    def _from_runner(self) -> bool:
        """Handle one request; False when the runner is gone."""
        try:
            data = self.runner.recv(MAX_MESSAGE)
        except InterruptedError:
            return True
        except OSError:
            return False
        if not data:
            return False
        try:
            request = json.loads(data)
            if not isinstance(request["state"], str) or not isinstance(request["spec"], dict):
                raise TypeError("state must be a string, spec an object")
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(f"error: bad request: {exc}".encode())
            return True
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            for _ in range(3):  # an idle worker may have just died: the next one, or a new one
                worker = self.idle.pop() if self.idle else self._fork()
                if worker is None:
                    self._reply(b"error: cannot fork a supervisor")
                    return True
                try:
                    socket.send_fds(worker.sock, [data], [theirs.fileno()])
                except OSError:
                    self._drop(worker)
                    continue
                self._reply(str(worker.pid).encode(), ours.fileno())
                return True
            self._reply(b"error: no supervisor took the run")
            return True
        finally:
            ours.close()
            theirs.close()

    def _from_worker(self, worker: Worker) -> None:
        try:
            message = worker.sock.recv(64)
        except BlockingIOError:
            return
        except OSError:
            message = b""
        if message == b"idle":
            worker.idle_since = time.monotonic()
            self.idle.append(worker)
            if len(self.idle) > MAX_IDLE:
                self._drop(self.idle[0])
        elif not message:
            self._drop(worker)  # it exited (after a run it did not go on from, or killed)

    def _fork(self) -> Worker | None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            return None
        if pid == 0:
            code = 1
            try:
                # every socket object of ours lets go of its fd (closed below, by number): none
                # closes a number the worker's run may be using by then
                for sock in (self.runner, ours, *[w.sock for w in self.workers.values()]):
                    sock.detach()
                fd = theirs.detach()
                if fd != WORKER_FD:
                    os.dup2(fd, WORKER_FD, inheritable=False)
                code = supervisor.serve_runs(WORKER_FD)
            finally:
                os._exit(code)
        theirs.close()
        worker = Worker(pid, ours)
        self.workers[ours.fileno()] = worker
        self.poller.register(ours, select.POLLIN)
        return worker

    def _drop(self, worker: Worker) -> None:
        """Forget a worker; closing our end retires it when it is idle (it reads end-of-file)."""
        if worker in self.idle:
            self.idle.remove(worker)
        if self.workers.pop(worker.sock.fileno(), None) is not None:
            self.poller.unregister(worker.sock)
        worker.sock.close()

    def _retire_unused(self, now: float) -> None:
        while self.idle and now - self.idle[0].idle_since > IDLE_EXIT_S:
            self._drop(self.idle[0])

    def _reply(self, message: bytes, fd: int | None = None) -> None:
        with contextlib.suppress(OSError):  # the runner went away: the next recv ends the loop
            if fd is None:
                self.runner.send(message)
            else:
                socket.send_fds(self.runner, [message], [fd])


def serve(sock: socket.socket) -> int:
    """Start a supervisor for every request on `sock` until it closes."""
    return Pool(sock).serve()


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
        return sys.platform.startswith("linux") and hasattr(socket, "send_fds") and hasattr(socket, "MSG_CMSG_CLOEXEC")

    @property
    def alive(self) -> bool:
        return self.sock is not None

    def spawn(self, state: str, spec: dict[str, Any]) -> tuple[int, int]:
        """(the supervising worker's pid, the run's control channel: see the module doc);
        SpawnFailed when no supervisor took the run (the runner then starts it itself). A
        spawner that died or hangs is closed for good."""
        if self.sock is None:
            raise SpawnFailed("the spawner is closed")
        data = json.dumps({"state": state, "spec": spec}).encode("utf-8")
        if len(data) > MAX_MESSAGE:
            raise SpawnFailed(f"a launch over {MAX_MESSAGE >> 10} KiB (its environment) is too large for it")
        try:
            self.sock.send(data)
            message, fds, _, _ = socket.recv_fds(self.sock, 512, 1, socket.MSG_CMSG_CLOEXEC)
        except OSError as exc:  # it died, or hangs (timeout): never ask it again
            self.close(kill=True)
            raise SpawnFailed(f"the spawner stopped answering ({exc})") from None
        text = message.decode("utf-8", "replace")
        if text.isdigit() and fds:
            return int(text), fds[0]
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
