"""A run log cut while its task runs, as every face says it.

The supervisor stops writing a run's log at the first write the disk refuses (a full disk, a
quota, a file size limit) and never writes to it again, even once space is freed: the log then
has no gap inside it (runner/daemon/supervisor.py). The task runs on, its output read and
dropped, and its run ends `failed` (`log truncated: ...`) unless it is stopped. At the cut the
supervisor records `"log_cut": {"size", "why"}` in the run's state file (in place, so it fits on
the full disk that caused it); `ls`, `show`, the Monitor and the Manager read it from there while
the task runs (task_info.json could not be written then, and the run's end records the error).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyruns_tui.humanize import format_bytes
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.fsio import read_json
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task

GOES_ON = "the task runs on, its output no longer logged (not even once space is freed); its run will end failed"


@dataclass(frozen=True)
class LogCut:
    """Where a running task's log was cut (`size`: the bytes it holds, None when unknown) and why."""

    size: int | None
    why: str

    @property
    def reason(self) -> str:
        """The short form, a status's reason (`ls`, the Monitor's header): `log cut at 1.2M: disk full`."""
        at = f" at {format_bytes(self.size)}" if self.size is not None else ""
        return f"log cut{at}: {self.why}"

    @property
    def text(self) -> str:
        """The whole story (`show`, the Manager's detail pane): the reason and what happens next."""
        return f"{self.reason}; {GOES_ON}"


def log_cut(layout: Layout, task: Task) -> LogCut | None:
    """The cut of the log of `task`'s current run while it is recorded running; None when the task
    is not running, its log was not cut, or the run's state file cannot be read."""
    run = task.last_run
    if task.status is not Status.RUNNING or run is None:
        return None
    if run.backend == "slurm":  # the launcher's supervisor writes it beside the log
        from pyruns_tui.runner.slurm.records import record_path

        path = record_path(layout, task.name, run.index)
    else:
        path = RunnerPaths.of(layout).run_state(task.name, run.index)
    try:
        cut = read_json(path).get("log_cut")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(cut, dict) or not isinstance(cut.get("why"), str):
        return None
    size = cut.get("size")
    return LogCut(size if isinstance(size, int) and not isinstance(size, bool) else None, cut["why"])
