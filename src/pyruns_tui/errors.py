"""The exception types of pyruns-tui: one per room, all carrying a user-facing message.

The CLI and TUI catch `PyrunsError`, and the `OSError` of a filesystem that says no (read-only,
full, a workspace moved away), and show `error_line` of it: one line. Nothing else catches broadly.
"""

from __future__ import annotations

import errno

LONG_WORD = 256  # a run of characters without a space longer than this is shortened in a message
LONG_MESSAGE = 2000  # a message longer than this (once its words are shortened) is cut in the middle


def shortened(message: str) -> str:
    """`message` as one readable line however big the values it quotes: each run of more than
    LONG_WORD characters without a space is cut to its start, its length and its end (a 3 MB value given
    to `gen` was written whole into the error), and a message still over LONG_MESSAGE characters
    keeps its start and its end (where the fix is said)."""
    if len(message) <= LONG_WORD:
        return message
    words = message.split(" ")
    if any(len(word) > LONG_WORD for word in words):
        message = " ".join(word if len(word) <= LONG_WORD else f"{word[:LONG_WORD // 2]}…[{len(word):,} characters]…"
                           f"{word[-8:]}" for word in words)
    if len(message) > LONG_MESSAGE:
        message = f"{message[:LONG_MESSAGE * 3 // 4]} …[{len(message) - LONG_MESSAGE:,} characters]… " \
                  f"{message[-LONG_MESSAGE // 4:]}"
    return message


class PyrunsError(Exception):
    """A user-facing error: its message says what went wrong, where, and how to fix it (shown
    `shortened`, wherever it is shown)."""

    def __str__(self) -> str:
        return shortened(super().__str__())


class GridError(PyrunsError):
    """An invalid batch (grid) specification."""


class ParamsError(PyrunsError):
    """A script or config whose parameters cannot be read or turned into argv."""


class WorkspaceError(PyrunsError):
    """A problem with the workspace on disk: missing task, bad name, bad settings."""


class RunnerError(PyrunsError):
    """A problem starting, talking to, or running tasks in the runner."""


class ExportError(PyrunsError):
    """A problem producing a report."""


_OS_HINTS = {
    errno.EROFS: "the filesystem is read-only; work on a writable copy",
    errno.EACCES: "permission denied; check the owner and mode of the path",
    errno.EPERM: "operation not permitted; check the owner and mode of the path",
    errno.ENOSPC: "the disk is full; free some space and retry",
    errno.EDQUOT: "the disk quota is exceeded; free some space and retry",
    errno.ENAMETOOLONG: "the path is too long",
    errno.ELOOP: "a symlink stands where a file or folder was expected; remove it",
}


def os_error_line(exc: OSError, where: str | None = None) -> str:
    """One user-facing line for an OSError from the filesystem: which path (`where`, for a call that
    named its file relative to a folder's fd), what, what to do."""
    if type(exc) is not OSError and not exc.strerror:  # e.g. NotRegularFile: its message is the line
        return str(exc)
    where = where or (exc.filename if exc.filename is not None else "a file")
    hint = _OS_HINTS.get(exc.errno or 0)
    what = exc.strerror or str(exc)
    return f"{where}: {hint}" if hint else f"{where}: {what}"


USER_ERRORS = (PyrunsError, OSError)  # what a face catches around an engine call, and shows as `error_line`


def error_line(exc: PyrunsError | OSError) -> str:
    """The one line a face shows for one of USER_ERRORS."""
    return os_error_line(exc) if isinstance(exc, OSError) else str(exc)
