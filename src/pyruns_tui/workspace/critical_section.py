"""The critical section of a batch: from its first rename into tasks/ until it is whole there (and,
with run, queued). Cut there, a batch is half in tasks/ (`pending`, never queued) and half in its
staging folder. While a section is held in the main thread, SIGHUP, SIGINT and SIGTERM wait for its
end, then do what they would have done (the CLI: `gen --run` and an SSH drop, Ctrl+C, `kill`); the
TUI's hang-up, handled on its event loop, waits for it with `wait_idle`. What no handler sees
(SIGKILL, a power cut) is finished by the next command, or the runner (`staging.tidy`)."""

from __future__ import annotations

import _thread  # (importing threading costs a command ~1.5 ms)
import os
import signal
import sys

DEFERRED = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)

_count_lock = _thread.allocate_lock()
_idle = _thread.allocate_lock()  # held while any section is (a plain lock: any thread may release it)
_count = 0


class CriticalSection:
    """One holder of the section (`begin`), for a batch of `count` tasks; `end` once it is whole.
    Holders nest: the TUI holds one from Create's key, the engine its own from the first rename."""

    def __init__(self, count: int, *, signals: bool = True) -> None:
        """`signals`: defer SIGHUP, SIGINT and SIGTERM (in the main thread); the TUI, whose event
        loop handles them, passes False and waits for the section as its hang-up comes."""
        self.count = count
        self._signals = signals
        self.pending: list[int] = []  # the signals deferred, in order
        self._saved: dict[int, object] = {}
        self._held = False

    def begin(self) -> CriticalSection:
        global _count
        with _count_lock:
            if _count == 0:
                _idle.acquire()
            _count += 1
        self._held = True
        for sig in DEFERRED if self._signals else ():
            if signal.getsignal(sig) is signal.SIG_IGN:  # (`nohup`: ignored it stays)
                continue
            try:
                self._saved[sig] = signal.signal(sig, self._defer)
            except ValueError:
                break  # not the main thread: only it sets handlers (the TUI's worker: `wait_idle`)
        return self

    def _defer(self, signum: int, frame: object) -> None:
        first = not self.pending
        self.pending.append(signum)
        if signum == signal.SIGHUP:
            return  # no terminal left to say it to
        noun = "task" if self.count == 1 else "tasks"
        line = (f"pyr-tui: finishing the batch ({self.count} {noun}) before stopping…\n" if first else
                f"pyr-tui: still finishing the batch ({self.count} {noun}); it stops right after "
                "(kill -9 would leave it for the next command to finish)\n")
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def end(self) -> None:
        """Leave the section; a signal deferred meanwhile is then delivered, as it came, to the
        handler it had before (SIGINT: KeyboardInterrupt, exit 130; SIGHUP, SIGTERM: the process
        ends of it)."""
        global _count
        if not self._held:
            return
        self._held = False
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._saved = {}
        with _count_lock:
            _count -= 1
            if _count == 0:
                _idle.release()
        if self.pending:
            os.kill(os.getpid(), self.pending[0])

    def __enter__(self) -> CriticalSection:
        return self.begin()

    def __exit__(self, *exc: object) -> None:
        self.end()


def wait_idle(timeout: float) -> bool:
    """Wait until no section is held in this process (at most `timeout` seconds); True if none is."""
    if not _idle.acquire(timeout=timeout):
        return False
    _idle.release()
    return True
