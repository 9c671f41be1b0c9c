"""The wake-up channel: a 0600 named pipe in the runner dir that clients poke with one line.

Everything a client wants is already written to the workspace; the message only says "look now",
so the runner reacts within milliseconds instead of at its next periodic scan. Messages are
single lines (`wake`, `stop`, `look ["NAME", ...]`) shorter than PIPE_BUF, so writes from many
clients never interleave. `look` names the tasks a client just queued: the runner reads those
first and starts what fits, then looks at every task as after a `wake` (in a 100,000-task
workspace that full look takes ~0.7 s, which a queued task no longer waits for). `output
"NAME"` comes from a run's supervisor that has no control channel to the runner (a run adopted
from an earlier runner, a one-run supervisor, a Slurm run on this host): its task printed after a
pause, so the runner reads that log now (`OutputWatches.output_came`) and does nothing else.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import select
import stat
import time
from collections.abc import Sequence
from pathlib import Path

WAKE = "wake"
STOP = "stop"
LOOK = "look"
OUTPUT = "output"  # supervisor.OUTPUT_MESSAGE (the supervisor writes it itself: it imports nothing of ours)
PIPE_BUF = getattr(select, "PIPE_BUF", 512)  # what a pipe writes atomically here (POSIX: at least 512)


def look_message(names: Sequence[str]) -> str:
    """The message naming these tasks, or a plain `wake` when they do not fit in one line."""
    message = f"{LOOK} {json.dumps(list(names))}"
    return message if names and len(message.encode()) < PIPE_BUF else WAKE


def outputs_told(messages: Sequence[str]) -> tuple[list[str], list[str]]:
    """The task names of the `output` messages, and the other messages."""
    names: list[str] = []
    rest: list[str] = []
    for message in messages:
        word, _, name = message.partition(" ")
        if word == OUTPUT:
            with contextlib.suppress(ValueError):
                value = json.loads(name)
                if isinstance(value, str):
                    names.append(value)
            continue
        rest.append(message)
    return names, rest


def looked_at(messages: Sequence[str]) -> list[str] | None:
    """The task names the messages ask to look at first; None when one asks for more (a `wake`,
    anything unknown) or none names a task. Names are checked by the reader."""
    names: list[str] = []
    for message in messages:
        word, _, rest = message.partition(" ")
        if word != LOOK:
            return None
        try:
            value = json.loads(rest)
        except ValueError:
            return None
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            return None
        names.extend(value)
    return names or None


def send(fifo: Path, message: str = WAKE) -> bool:
    """Write one message line; False when no runner is reading (none is running), or when what
    stands at `fifo` is not a FIFO: a symlink is never followed, a folder or a file never written
    into (the runner's own scans start queued tasks all the same, and it makes its FIFO again;
    `stand_in` says what is there)."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        # EACCES: another member's runner; ELOOP: a symlink; EISDIR: a folder
        if exc.errno in (errno.ENXIO, errno.ENOENT, errno.EACCES, errno.ELOOP, errno.EISDIR):
            return False
        raise
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        os.write(fd, f"{message}\n".encode())
    except BlockingIOError:
        pass  # the pipe is full of unread wake-ups: the runner will look anyway
    finally:
        os.close(fd)
    return True


def stand_in(fifo: Path) -> str | None:
    """What stands at `fifo` in place of a FIFO (`a symlink`, `a directory`, `a regular file`, ...),
    or None: a FIFO, or nothing."""
    from pyruns_tui.safefile import kind_of

    try:
        mode = os.lstat(fifo).st_mode
    except OSError:
        return None
    return None if stat.S_ISFIFO(mode) else kind_of(mode)


def open_reader(fifo: Path) -> int:
    """Create the FIFO if needed and open it for the runner (non-blocking, never at EOF)."""
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISFIFO(os.lstat(fifo).st_mode):
            os.unlink(fifo)
    if not fifo.exists():
        os.mkfifo(fifo, 0o600)
    # read-write: the runner is itself a writer, so the FIFO never reports EOF when clients close
    return os.open(fifo, os.O_RDWR | os.O_NONBLOCK | os.O_NOFOLLOW)


def read_messages(fd: int) -> list[str]:
    """All complete lines waiting in the FIFO."""
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return [line for line in b"".join(chunks).decode("utf-8", "replace").split("\n") if line]


# Waiters: the other direction. A client that waits for tasks (`wait`, `run --wait`, `stop`)
# makes a FIFO in `.runner/waiters/`; the runner writes a line into each after a pass that took a
# task out of the queue or recorded a run's end, so the client looks at once instead of at its
# next poll (~5 ms sooner on average). Only a hint: the client still polls, and a waiter without
# its FIFO (another member's runner folder, a read-only workspace) only polls.
WAITER_SUFFIX = ".fifo"
STALE_WAITER_S = 10.0  # a FIFO nobody reads, this old, was left by a waiter killed -9: removed
_waiter_numbers = itertools.count()


def _open_dir(directory: Path, *, make: bool = False) -> int:
    """`directory` (`.runner/waiters`) opened, made first with `make`; neither it nor `.runner`
    may be a symlink (ELOOP), so nothing is made or written outside the workspace."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    parent = os.open(directory.parent, flags)
    try:
        if make:
            with contextlib.suppress(FileExistsError):
                os.mkdir(directory.name, 0o700, dir_fd=parent)
        return os.open(directory.name, flags, dir_fd=parent)
    finally:
        os.close(parent)


class Waiter:
    """A client's FIFO in `directory` (`.runner/waiters/`), made on entry, removed on exit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fd: int | None = None
        self._dir_fd: int | None = None
        self._name = f"{os.getpid()}.{next(_waiter_numbers)}{WAITER_SUFFIX}"

    def __enter__(self) -> Waiter:
        try:
            self._dir_fd = _open_dir(self.directory, make=True)
            os.mkfifo(self._name, 0o600, dir_fd=self._dir_fd)
            # read-write: never at EOF, whoever opens and closes it for writing
            fd = os.open(self._name, os.O_RDWR | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self._dir_fd)
        except OSError:
            self.__exit__()
            return self
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            self.fd = fd
        else:
            os.close(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self._dir_fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._name, dir_fd=self._dir_fd)
            os.close(self._dir_fd)
            self._dir_fd = None

    def pause(self, seconds: float, without_fifo: float) -> None:
        """Sleep `seconds`, or less when the runner pokes the FIFO; `without_fifo` seconds when
        there is none."""
        if self.fd is None:
            time.sleep(without_fifo)
            return
        if select.select([self.fd], [], [], seconds)[0]:
            with contextlib.suppress(OSError):
                while os.read(self.fd, 4096):
                    pass


def poke_waiters(directory: Path) -> None:
    """The runner's side: one line into every waiter's FIFO in `directory`. Only FIFOs are
    opened (checked before, without following a symlink, and after opening); one nobody has read
    for STALE_WAITER_S is removed."""
    try:
        dir_fd = _open_dir(directory)
    except OSError:
        return  # nobody ever waited here (or it is not a plain directory)
    try:
        for entry in os.scandir(dir_fd):
            if entry.name.endswith(WAITER_SUFFIX):
                _poke(entry, dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _poke(entry: os.DirEntry[str], dir_fd: int) -> None:
    try:
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISFIFO(info.st_mode):
            return
        fd = os.open(entry.name, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ENXIO and info.st_ctime < time.time() - STALE_WAITER_S:  # a FIFO nobody reads
            with contextlib.suppress(OSError):
                os.unlink(entry.name, dir_fd=dir_fd)
        return
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"\n")
    except OSError:
        pass  # full of unread pokes: it will look anyway
    finally:
        os.close(fd)
