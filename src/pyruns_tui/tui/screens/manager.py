"""ManagerScreen (placeholder until its room lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from pyruns_tui.tui.screens.base import PyrunsScreen


class ManagerScreen(PyrunsScreen):
    MODE = "manager"

    def compose_body(self) -> ComposeResult:
        yield Static("Manager", id="body")
