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
    """Sort column and direction, the metric columns shown (None: the default ones,
    `default_metrics`, picked by the Manager and kept here so they stay the same), whether the
    parameters that vary between tasks are shown as columns and which of them are not."""

    sort: str = "created"
    reverse: bool = True
    metrics: list[str] | None = None
    default_metrics: list[str] = field(default_factory=list)
    varying: bool = True
    hidden_params: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ManagerPrefs:
        try:
            data = read_json(path)
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = ("sort", "reverse", "metrics", "default_metrics", "varying", "hidden_params")
        prefs = cls(extra={k: v for k, v in data.items() if k not in known})
        if isinstance(data.get("sort"), str):
            prefs.sort = data["sort"]
        if isinstance(data.get("reverse"), bool):
            prefs.reverse = data["reverse"]
        metrics = data.get("metrics")
        if isinstance(metrics, list) and all(isinstance(m, str) for m in metrics):
            prefs.metrics = list(metrics)
        defaults = data.get("default_metrics")
        if isinstance(defaults, list) and all(isinstance(m, str) for m in defaults):
            prefs.default_metrics = list(defaults)
        if isinstance(data.get("varying"), bool):
            prefs.varying = data["varying"]
        hidden = data.get("hidden_params")
        if isinstance(hidden, list) and all(isinstance(key, str) for key in hidden):
            prefs.hidden_params = list(hidden)
        return prefs

    def save(self, path: Path) -> None:
        data = {**self.extra, "sort": self.sort, "reverse": self.reverse, "metrics": self.metrics,
                "default_metrics": self.default_metrics, "varying": self.varying, "hidden_params": self.hidden_params}
        with contextlib.suppress(OSError):  # a read-only workspace keeps working, unremembered
            atomic_write_json(path, data, fsync=False)
