"""Counting what a Pilot-driven app draws, and how often a widget's timer fired (the clock a test
waits on instead of the wall clock)."""

from __future__ import annotations

import pytest
from rich.console import RenderableType
from textual.screen import Screen
from textual.widget import Widget

from pyruns_tui.tui.app import PyrunsApp


def count_frames(app: PyrunsApp) -> list[int]:
    """How many frames `app` sends to the terminal from now on (every frame passes `_display`)."""
    frames = [0]
    display = app._display

    def counted(screen: Screen[object], renderable: RenderableType | None) -> None:
        frames[0] += renderable is not None
        display(screen, renderable)

    app._display = counted  # type: ignore[method-assign]
    return frames


def count_calls(monkeypatch: pytest.MonkeyPatch, cls: type[Widget], method: str) -> list[int]:
    """How many times `cls.method` ran from now on (a timer's callback: whether it drew or not)."""
    calls = [0]
    original = getattr(cls, method)

    def counted(widget: Widget) -> None:
        calls[0] += 1
        original(widget)

    monkeypatch.setattr(cls, method, counted)
    return calls
