"""The exception types of pyruns-tui: one per room, all carrying a user-facing message.

The CLI and TUI catch `PyrunsError` and print its message as one line; nothing else
catches broadly.
"""

from __future__ import annotations

import errno


class PyrunsError(Exception):
    """A user-facing error: its message says what went wrong, where, and how to fix it."""


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


def os_error_line(exc: OSError) -> str:
    """One user-facing line for an OSError from the filesystem: which path, what, what to do."""
    if type(exc) is not OSError and not exc.strerror:  # e.g. NotRegularFile: its message is the line
        return str(exc)
    where = exc.filename if exc.filename is not None else "a file"
    hint = _OS_HINTS.get(exc.errno or 0)
    what = exc.strerror or str(exc)
    return f"{where}: {hint}" if hint else f"{where}: {what}"
