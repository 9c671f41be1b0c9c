"""The wake-up channel: a 0600 named pipe in the runner dir that clients poke with one line.

Everything a client wants is already written to the workspace; the message only says "look now",
so the runner reacts within milliseconds instead of at its next periodic scan. Messages are
single lines (`wake`, `stop`, `look ["NAME", ...]`) shorter than PIPE_BUF, so writes from many
clients never interleave. `look` names the tasks a client just queued: the runner reads those
first and starts what fits, then looks at every task as after a `wake` (in a 100,000-task
workspace that full look takes ~0.7 s, which a queued task no longer waits for).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import stat
from collections.abc import Sequence
from pathlib import Path

WAKE = "wake"
STOP = "stop"
LOOK = "look"
PIPE_BUF = getattr(select, "PIPE_BUF", 512)  # what a pipe writes atomically here (POSIX: at least 512)


def look_message(names: Sequence[str]) -> str:
    """The message naming these tasks, or a plain `wake` when they do not fit in one line."""
    message = f"{LOOK} {json.dumps(list(names))}"
    return message if names and len(message.encode()) < PIPE_BUF else WAKE


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
    """Write one message line; False when no runner is reading (none is running)."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.ENOENT, errno.EACCES):  # EACCES: another member's runner
            return False
        raise
    try:
        os.write(fd, f"{message}\n".encode())
    except BlockingIOError:
        pass  # the pipe is full of unread wake-ups: the runner will look anyway
    finally:
        os.close(fd)
    return True


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
