"""ManagerPrefs: how the Manager table was last arranged, kept in `<workspace>/.tui_manager.json`."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyruns_tui.workspace.fsio import atomic_write_json, read_json

PREFS_FILE = ".tui_manager.json"


@dataclass
class ManagerPrefs:
    """Sort column and direction, and the metric columns shown (None: the first two metrics)."""

    sort: str = "created"
    reverse: bool = True
    metrics: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ManagerPrefs:
        try:
            data = read_json(path)
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        prefs = cls(extra={k: v for k, v in data.items() if k not in ("sort", "reverse", "metrics")})
        if isinstance(data.get("sort"), str):
            prefs.sort = data["sort"]
        if isinstance(data.get("reverse"), bool):
            prefs.reverse = data["reverse"]
        metrics = data.get("metrics")
        if isinstance(metrics, list) and all(isinstance(m, str) for m in metrics):
            prefs.metrics = list(metrics)
        return prefs

    def save(self, path: Path) -> None:
        data = {**self.extra, "sort": self.sort, "reverse": self.reverse, "metrics": self.metrics}
        with contextlib.suppress(OSError):  # a read-only workspace keeps working, unremembered
            atomic_write_json(path, data, fsync=False)
