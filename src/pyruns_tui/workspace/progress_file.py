"""A run's progress as read off its output: `tasks/<name>/progress.json`, the sidecar.

Written by the runner when the reading changed, atomically, within ~0.25 s of the output that
changed it (runner/daemon/output_watch.py: FOLLOW_S), and read by the TUI and the CLI, which
never parse logs for it. `{"run": 3, "progress": 0.25, "rate": 12.5, "eta_s": 96.0,
"progress_label": "epoch 3/10 · 812/1563", "elapsed_s": 65.0, "updated_at": <epoch s>}`;
`progress`, `rate`, `eta_s`, `elapsed_s` may be null. It stays after the run ends
(the progress an unfinished run reached); a rerun replaces it.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pyruns_tui.workspace.fsio import atomic_write_json, read_json
from pyruns_tui.workspace.layout import PROGRESS, Layout
from pyruns_tui.workspace.model import Status, Task


@dataclass(frozen=True)
class RunProgress:
    """The progress of one run, as its sidecar holds it."""

    run: int
    progress: float | None
    progress_label: str
    rate: float | None = None
    eta_s: float | None = None
    elapsed_s: float | None = None
    updated_at: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def eta_at(self, now: float) -> float | None:
        """Seconds left at time `now` (the sidecar is rewritten only when its reading changes)."""
        if self.eta_s is None:
            return None
        return max(self.eta_s - max(now - self.updated_at, 0.0), 0.0)


def write_run_progress(task_dir: Path, progress: RunProgress) -> None:
    """Replace the sidecar (no fsync: it is rewritten several times a second while the run goes on)."""
    atomic_write_json(task_dir / PROGRESS, progress.to_dict(), fsync=False)


def read_run_progress(task_dir: str | os.PathLike[str], run: int | None = None) -> RunProgress | None:
    """The sidecar of the task in `task_dir` (of run `run` only, when given), or None when it is
    absent, unreadable or of another run."""
    try:
        data = read_json(Path(task_dir) / PROGRESS)  # a FIFO or symlink swapped in is refused
        found = RunProgress(
            run=int(data["run"]),
            progress=_number(data.get("progress")),
            progress_label=str(data.get("progress_label") or ""),
            rate=_number(data.get("rate")),
            eta_s=_number(data.get("eta_s")),
            elapsed_s=_number(data.get("elapsed_s")),
            updated_at=_number(data.get("updated_at")) or 0.0,
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return found if run is None or found.run == run else None


def task_progress(layout: Layout, task: Task) -> RunProgress | None:
    """The progress of a running task's current run (None when it is not running or nothing on
    its screen looked like progress)."""
    run = task.last_run
    if task.status is not Status.RUNNING or run is None:
        return None
    return read_run_progress(layout.task_dir(task.name), run=run.index)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
