"""The exception types of pyruns-tui: one per room, all carrying a user-facing message.

The CLI and TUI catch `PyrunsError` and print its message as one line; nothing else
catches broadly.
"""

from __future__ import annotations


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
