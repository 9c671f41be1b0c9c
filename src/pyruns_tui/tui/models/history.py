"""SearchHistory: the Manager's recent searches, kept in `<workspace>/.tui_history.json`."""

from __future__ import annotations

import contextlib
from pathlib import Path

from pyruns_tui.workspace.fsio import atomic_write_json, read_json

HISTORY_FILE = ".tui_history.json"
LIMIT = 50


class SearchHistory:
    """Recent searches, oldest first, without duplicates; every `add` is written atomically.

    The file is `{"search": [...]}`; other keys in it are preserved.
    """

    def __init__(self, path: Path, limit: int = LIMIT) -> None:
        self.path = path
        self.limit = limit
        self.items: list[str] = []
        data = self._read()
        items = data.get("search")
        if isinstance(items, list):
            self.items = [item for item in items if isinstance(item, str) and item.strip()][-limit:]

    def _read(self) -> dict[str, object]:
        try:
            data = read_json(self.path)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def add(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if text in self.items:
            self.items.remove(text)
        self.items.append(text)
        del self.items[: -self.limit]
        data = self._read()
        data["search"] = self.items
        with contextlib.suppress(OSError):  # history is a convenience; a read-only disk must not break search
            atomic_write_json(self.path, data, fsync=False)
