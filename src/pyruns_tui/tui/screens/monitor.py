"""MonitorScreen (placeholder until its room lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from pyruns_tui.tui.screens.base import PyrunsScreen


class MonitorScreen(PyrunsScreen):
    MODE = "monitor"

    def compose_body(self) -> ComposeResult:
        yield Static("Monitor", id="body")

    def show_task(self, name: str, run: int | None = None) -> None:
        self.query_one("#body", Static).update(f"Monitor: {name}")
