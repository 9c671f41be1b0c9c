"""The circuit breaker: stop starting queued tasks when they keep failing the same way at start-up.

Rule (setting `pause_after_failures: {count: 3, within_s: 60}`; `count: 0` turns it off): a run
that fails within `within_s` seconds of its start counts under its error (errors differing only
in numbers are the same error). When `count` different tasks have counted under one error, the
breaker trips: the runner writes `.runner/paused.json` and starts no queued task (running ones
go on; force-started ones still start) until `pyr-tui runner resume` (or the TUI's key) removes
the file. A run that completes, and a resume, clear the counts. An early failure whose error has
counted before is *deterministic*: retries are not spent on it.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pyruns_tui.workspace.fsio import atomic_write_json, read_json
from pyruns_tui.workspace.model import now_iso
from pyruns_tui.workspace.settings import PauseRule

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any


def error_signature(error: str) -> str:
    """Errors that differ only in numbers (sizes, ids, line numbers) count as the same error."""
    return re.sub(r"\d+(?:\.\d+)?", "#", error)


@dataclass(frozen=True)
class Pause:
    """Why the runner stopped starting queued tasks (the content of `.runner/paused.json`)."""

    error: str
    tasks: tuple[str, ...]
    within_s: float
    paused_at: str = field(default_factory=now_iso)

    @property
    def message(self) -> str:
        if not self.tasks:  # not a broken batch: an unreadable paused.json, which keeps the queue paused
            return self.error
        return f'{len(self.tasks)} tasks failed with "{self.error}"'

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.error, "count": len(self.tasks), "tasks": list(self.tasks),
                "within_s": self.within_s, "paused_at": self.paused_at, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pause:
        return cls(str(data["error"]), tuple(str(t) for t in data.get("tasks") or ()),
                   float(data.get("within_s") or 0), str(data.get("paused_at") or ""))


@dataclass(frozen=True)
class Verdict:
    """What the breaker made of one failed run."""

    deterministic: bool  # its error already failed a run early: retrying is pointless
    trip: Pause | None = None  # set when this failure tripped the breaker


class CircuitBreaker:
    """The counts of early failures by error since the last success or resume (see module doc)."""

    def __init__(self, rule: PauseRule) -> None:
        self.rule = rule
        self._tasks: dict[str, list[str]] = {}  # error signature -> tasks that failed early with it

    def failed(self, task: str, error: str, duration_s: float | None) -> Verdict:
        """Count a failed run of `task`; returns whether it is deterministic and any trip."""
        if duration_s is None or duration_s > self.rule.within_s:
            return Verdict(False)
        tasks = self._tasks.setdefault(error_signature(error), [])
        deterministic = bool(tasks)
        if task not in tasks:
            tasks.append(task)
        if self.rule.count > 0 and len(tasks) == self.rule.count:
            return Verdict(deterministic, Pause(error, tuple(tasks), self.rule.within_s))
        return Verdict(deterministic)

    def completed(self) -> None:
        """A run succeeded: the batch is not broken as a whole."""
        self._tasks.clear()

    def reset(self) -> None:
        self._tasks.clear()


def read_pause(path: Path) -> Pause | None:
    """The pause recorded at `path`, or None when the runner is not paused."""
    try:
        return Pause.from_dict(read_json(path))
    except (FileNotFoundError, PermissionError):  # PermissionError: another member's private `.runner/`
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Pause("unreadable .runner/paused.json", (), 0.0)  # still paused: resume removes it


def write_pause(path: Path, pause: Pause) -> None:
    atomic_write_json(path, pause.to_dict(), fsync=False, mode=0o600)


def clear_pause(path: Path) -> Pause | None:
    """Remove the pause; returns what it was (None when there was none)."""
    pause = read_pause(path)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return pause
