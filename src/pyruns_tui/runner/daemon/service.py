"""The runner process of one workspace: detached, single instance, exits when idle.

Started by `client.ensure_runner` as `python -m pyruns_tui.runner.daemon.service --ready-fd N ROOT NAME`
in a new session with stdio on `.runner/runner.log`. It forks once more (so it is nobody's
child and never a zombie of the TUI), ignores SIGHUP, flocks the workspace directory for its whole life,
recovers what a previous runner left, says `ready PID` on the ready pipe, then serves: every
wake-up message, supervisor exit or periodic rescan runs one scheduler pass.

It exits on SIGTERM/SIGINT or a `stop` message (running tasks keep running under their
supervisors and are adopted by the next runner), or after `runner_idle_exit_s` with nothing
queued or running, decided under `spawn.lock` so a task queued meanwhile is never orphaned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from pyruns_tui.errors import PyrunsError, os_error_line
from pyruns_tui.runner import locks, wake
from pyruns_tui.runner.gpus import GpuBackend, NoGpus, detect_backend
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.fsio import moved_from
from pyruns_tui.workspace.layout import Layout

# asyncio and the scheduler (~0.1 s of imports) are imported by `run_runner`, after it has set
# the GPU detection going in a thread: NVML's initialisation waits on the driver, not on Python.
if TYPE_CHECKING:
    import asyncio


def log(message: str) -> None:
    """One line in the runner log (lost, never raised, when the disk is full)."""
    line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] {message}\n"
    with contextlib.suppress(OSError):
        os.write(2, line.encode("utf-8", "replace"))


def _report(fd: int | None, message: str) -> None:
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, f"{message}\n".encode())
        os.close(fd)


class RunnerService:
    """The event loop around a Scheduler: wake-ups, signals, idle exit, clean shutdown."""

    def __init__(self, layout: Layout, lock_fd: int, backend: GpuBackend | None = None) -> None:
        from pyruns_tui.runner.daemon.scheduler import Scheduler

        self.layout = layout
        self.paths = RunnerPaths.of(layout)
        self.lock_fd: int | None = lock_fd
        self.scheduler = Scheduler(layout, log=log) if backend is None else Scheduler(layout, backend, log=log)
        self.exit_requested = False
        self.event: asyncio.Event | None = None
        self.fifo_fd: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def write_info(self) -> None:
        from pyruns_tui import __version__
        from pyruns_tui.runner.daemon.record import host_name
        from pyruns_tui.workspace.fsio import atomic_write_json
        from pyruns_tui.workspace.model import now_iso

        atomic_write_json(
            self.paths.info,
            {
                "pid": os.getpid(),
                "started_at": now_iso(),
                "host": host_name(),
                "python": sys.executable,
                "version": __version__,
                "workspace": self.layout.name,
                "gpu_backend": self.scheduler.backend.name,
                "gpus": len(self.scheduler.backend.devices()),
            },
            fsync=False,
            mode=0o600,
        )

    def _wake(self) -> None:
        if self.event is not None:
            self.event.set()

    def _on_fifo(self) -> None:
        assert self.fifo_fd is not None
        told, messages = wake.outputs_told(wake.read_messages(self.fifo_fd))
        for name in told:
            self.scheduler.outputs.output_came(name)
        if not messages and told:
            return  # only supervisors' word of output: no pass for it
        if wake.STOP in messages:
            log("stop requested")
            self.exit_requested = True
        names = wake.looked_at(messages)
        if names is None:
            self.scheduler.request_full_scan()
        else:
            self.scheduler.look_first(names)
        self._wake()

    def moved(self) -> bool:
        """Whether the workspace directory this runner locks is no longer at its path: moved,
        renamed or deleted (the path now leads nowhere, or to another directory)."""
        return self.lock_fd is not None and moved_from(self.paths.lock, os.fstat(self.lock_fd))

    def _check_files(self) -> None:
        """Make `.runner/` again if a user deleted it: the wake-up FIFO (clients could not poke
        us) and runner.json. Our identity is the workspace directory's lock, which stays."""
        if self.moved():
            return  # (the loop exits: nothing is made at the old place)
        try:
            if os.stat(self.paths.fifo).st_ino == os.fstat(self.fifo_fd or 0).st_ino:
                return
        except OSError:
            pass
        assert self.loop is not None
        try:
            self.paths.create()
            fd = wake.open_reader(self.paths.fifo)
            self.write_info()
        except OSError as exc:
            log(f"cannot re-create {self.paths.dir}: {exc}")
            return
        if self.fifo_fd is not None:
            self.loop.remove_reader(self.fifo_fd)
            os.close(self.fifo_fd)
        self.fifo_fd = fd
        self.loop.add_reader(fd, self._on_fifo)
        log(f"{self.paths.dir} was deleted; re-created it")

    def _request_exit(self) -> None:
        log("signal received, exiting (running tasks continue)")
        self.exit_requested = True
        self._wake()

    async def serve(self, ready_fd: int | None) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        self.loop = loop
        self.event = asyncio.Event()
        self.scheduler.loop = loop
        self.scheduler.outputs.loop = loop
        self.scheduler.wake = self._wake
        self.scheduler.slurm.loop = loop  # its squeue polls run in a thread and wake us
        self.scheduler.slurm.wake = self._wake
        try:
            self.fifo_fd = wake.open_reader(self.paths.fifo)
            loop.add_reader(self.fifo_fd, self._on_fifo)
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._request_exit)
            self.write_info()
            self.scheduler.tick()  # recovery of what a previous runner left happens here
            self.scheduler.cleanup_state_files()
        except BaseException as exc:
            _report(ready_fd, f"error: {os_error_line(exc) if isinstance(exc, OSError) else exc}")
            raise
        _report(ready_fd, f"ready {os.getpid()}")
        log(f"runner ready for workspace {self.layout.name!r} (gpus: {self.scheduler.backend.name})")
        try:
            self.scheduler.warm_up()  # after `ready`: `runner start` does not wait for it
        except Exception:  # noqa: BLE001 - only a head start: the first launch does it again and reports
            log("warm-up failed:\n" + traceback.format_exc())
        idle_since: float | None = None
        while not self.exit_requested:
            timeout = self.scheduler.next_timeout()
            if idle_since is not None:
                idle_left = idle_since + self.scheduler.settings.runner_idle_exit_s - time.monotonic()
                timeout = min(timeout, max(0.0, idle_left))
            try:
                await asyncio.wait_for(self.event.wait(), timeout)
            except asyncio.TimeoutError:
                self.scheduler.request_full_scan()  # the safety net: look at everything now and then
                self._check_files()
            self.event.clear()
            if self.moved():
                log(f"the workspace directory {self.paths.lock} was moved or deleted: exiting, writing nothing "
                    "more (running tasks continue; a runner started where it is now adopts them)")
                self.abandon()
                return
            if self.exit_requested:
                break
            try:
                self.scheduler.tick()
            except Exception:  # noqa: BLE001 - one bad pass must not kill the runner
                log("scheduler pass failed:\n" + traceback.format_exc())
            if not self.scheduler.idle:
                idle_since = None
                continue
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= self.scheduler.settings.runner_idle_exit_s and self._try_idle_exit():
                return
        self.shutdown()

    def _try_idle_exit(self) -> bool:
        # under spawn.lock no client is between "queued a task" and "checked for a runner"
        with locks.held(self.paths.spawn_lock):
            self.scheduler.request_full_scan()
            self.scheduler.tick()
            if not self.scheduler.idle:
                return False
            log("idle, exiting")
            self.shutdown()
            return True

    def abandon(self) -> None:
        """Stop serving a workspace that is no longer at its path, writing nothing: every path
        this runner knows leads nowhere now, or into another workspace. The supervisors write
        their runs' ends into the moved directory (they hold their folders open)."""
        self.scheduler.abandon()
        self._let_go(())

    def shutdown(self) -> None:
        """Stop serving: the lock goes last, so a new runner never overlaps with this one."""
        self.scheduler.close()
        self._let_go((self.paths.info, self.paths.control))

    def _let_go(self, remove: tuple[Path, ...]) -> None:
        """Close the wake-up FIFO, remove the files `remove`, then give back the workspace's lock."""
        if self.fifo_fd is not None:
            with contextlib.suppress(Exception):
                import asyncio

                asyncio.get_running_loop().remove_reader(self.fifo_fd)
            os.close(self.fifo_fd)
            self.fifo_fd = None
        for path in remove:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if self.lock_fd is not None:
            locks.unlock(self.lock_fd)
            self.lock_fd = None


class GpuDetection(threading.Thread):
    """`detect_backend()` and a first `devices()` snapshot, in a thread: NVML's initialisation
    and queries wait on the driver with the GIL released, while the runner imports the rest.
    Any failure means "no GPUs", as in `detect_backend`, but a fake-GPU variable that does not
    parse (`problem`): the runner does not start, and says why."""

    def __init__(self) -> None:
        super().__init__(name="gpu-detection", daemon=True)
        self.backend: GpuBackend | None = None
        self.problem: str | None = None

    def run(self) -> None:
        try:
            backend = detect_backend()
            backend.devices()
        except PyrunsError as exc:
            self.problem, backend = str(exc), NoGpus()
        except Exception:  # noqa: BLE001
            backend = NoGpus()
        self.backend = backend

    def result(self) -> GpuBackend:
        self.join()  # before any fork of a supervisor: no thread is left running
        return self.backend if self.backend is not None else NoGpus()


def run_runner(layout: Layout, ready_fd: int | None) -> int:
    """Be the runner of `layout` until it exits (in this process)."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    paths = RunnerPaths.of(layout)
    paths.create()
    gpus = GpuDetection()
    gpus.start()
    import asyncio

    import pyruns_tui.runner.daemon.scheduler  # noqa: F401 - the imports, while the GPUs are detected

    lock_fd = locks.lock_within(paths.lock, 3.0)
    if lock_fd is None:
        _report(ready_fd, "busy: another runner holds the lock")
        return 0
    backend = gpus.result()
    if gpus.problem is not None:
        log(f"not started: {gpus.problem}")
        _report(ready_fd, f"error: {gpus.problem}")
        return 1
    service = RunnerService(layout, lock_fd, backend)
    try:
        asyncio.run(service.serve(ready_fd))
    except BaseException:
        log("runner failed:\n" + traceback.format_exc())
        service.shutdown()
        return 1
    return 0


def parse_args(argv: list[str]) -> tuple[str, str, int | None]:
    """(root, workspace, ready fd). The form the client uses is read directly (argparse costs
    ~5 ms to import at every runner start); anything else goes through argparse."""
    if len(argv) == 4 and argv[0] == "--ready-fd" and argv[1].isdigit() and not argv[2].startswith("-"):
        return argv[2], argv[3], int(argv[1])
    import argparse

    parser = argparse.ArgumentParser(prog="pyruns_tui.runner.daemon.service", description="the pyruns-tui runner")
    parser.add_argument("root", help="the _pyruns_ directory")
    parser.add_argument("workspace", help="workspace name")
    parser.add_argument("--ready-fd", type=int, help="report `ready PID` on this fd, after detaching")
    args = parser.parse_args(argv)
    return args.root, args.workspace, args.ready_fd


def main(argv: list[str] | None = None) -> int:
    root, workspace, ready_fd = parse_args(sys.argv[1:] if argv is None else argv)
    layout = Layout(root=Path(root).resolve(), name=workspace)
    if ready_fd is not None and os.fork() != 0:
        os._exit(0)  # the parent returns at once; the grandchild belongs to init from now on
    return run_runner(layout, ready_fd)


if __name__ == "__main__":
    sys.exit(main())
