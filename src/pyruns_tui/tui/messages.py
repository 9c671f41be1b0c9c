"""Custom messages of the TUI, all in one place."""

from __future__ import annotations

from textual.message import Message


class OpenTask(Message):
    """Ask the app to show a task in the Monitor."""

    def __init__(self, name: str, run: int | None = None) -> None:
        super().__init__()
        self.name = name
        self.run = run


class LoadConfig(Message):
    """Ask the app to open the Generator with a task's config as the starting point."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
