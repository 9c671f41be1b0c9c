"""PyrunsScreen: what every main screen shares — the top bar above, the footer below."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from pyruns_tui.tui.compositor import use_cropping_compositor
from pyruns_tui.tui.widgets.topbar import TopBar

if TYPE_CHECKING:
    from pyruns_tui.tui.app import PyrunsApp


class PyrunsScreen(Screen[None]):
    """A main screen (mode). Subclasses implement `compose_body` and may react to `on_tasks_changed`."""

    MODE = ""

    def __init__(self) -> None:
        super().__init__()
        use_cropping_compositor(self)  # repainting one cell sends that cell, not the line up to it

    @property
    def pyruns(self) -> PyrunsApp:
        return cast("PyrunsApp", self.app)

    def compose(self) -> ComposeResult:
        yield TopBar(self.MODE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.watch(self.app, "tasks_version", self._tasks_version_changed, init=False)
        self.watch(self.app, "summary", self._summary_changed)

    def _summary_changed(self) -> None:
        self.query_one(TopBar).summary = self.pyruns.summary

    def _tasks_version_changed(self) -> None:
        if self.is_current:
            self.on_tasks_changed()

    def on_screen_resume(self) -> None:
        self.on_tasks_changed()

    def on_tasks_changed(self) -> None:
        """The workspace changed on disk (see `self.pyruns.state.snapshot`)."""
