"""Running an export from the Monitor through the export engine (metrics/export.py)."""

from __future__ import annotations

from pathlib import Path

from pyruns_tui.errors import ExportError
from pyruns_tui.workspace.store import TaskStore


def export_tasks(store: TaskStore, names: list[str], fmt: str, path: Path) -> int:
    """Write the runs of tasks `names` to `path` as `fmt` (csv | json | md); returns the row count."""
    try:
        from pyruns_tui.metrics import export
    except ImportError as error:
        raise ExportError("export is not available yet (metrics/export.py is missing)") from error
    raise ExportError(f"export engine API not wired yet ({export.__name__})")
