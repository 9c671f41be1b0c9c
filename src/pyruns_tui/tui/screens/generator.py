"""GeneratorScreen (placeholder until its room lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from pyruns_tui.tui.screens.base import PyrunsScreen


class GeneratorScreen(PyrunsScreen):
    MODE = "generator"

    def compose_body(self) -> ComposeResult:
        yield Static("Generator", id="body")

    def load_task_config(self, name: str) -> None:
        self.query_one("#body", Static).update(f"Generator from {name}")
