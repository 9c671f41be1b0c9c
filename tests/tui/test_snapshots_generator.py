"""Snapshots of the Generator at 80x24 and 120x40 (the demo script's workspace, no clocks shown)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.workspace.bootstrap import init_shell_workspace, init_workspace
from tests.conftest import DEMO

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def app(tmp_path: Path) -> PyrunsApp:
    return PyrunsApp(init_workspace(tmp_path, DEMO / "train.py"), watch_disk=False)


async def settled(pilot: Pilot) -> GeneratorScreen:
    """Wait for the first refresh and the preview; no focus, so no blinking cursor."""
    app = pilot.app
    deadline = time.monotonic() + 10
    while not isinstance(app.screen, GeneratorScreen) or app.screen.preview.data is None:
        assert time.monotonic() < deadline
        await pilot.pause(0.02)
    await app.workers.wait_for_complete()
    screen = app.screen
    screen.set_focus(None)
    await pilot.pause()
    while screen._preview_timer is not None:
        assert time.monotonic() < deadline
        await pilot.pause(0.02)
    await pilot.pause()
    return screen


def with_fields(**values: str) -> Callable[[Pilot], Awaitable[None]]:
    """A run_before that types `values` into the named fields (grid syntax)."""

    async def run_before(pilot: Pilot) -> None:
        screen = await settled(pilot)
        for key, text in values.items():
            screen.form.row(key).set_text(text)
        await settled(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_generator_form(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", SIZES)
def test_generator_grid_preview(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    run_before = with_fields(lr="0.1 | 0.01", seed="0:3", dropout="0.1")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_generator_invalid_zip(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    run_before = with_fields(lr="(1 | 2)", seed="(1 | 2 | 3)", hidden="wide")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_generator_yaml_mode(snap_compare, app: PyrunsApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        screen = await settled(pilot)
        screen.form.row("lr").set_text("0.1 | 0.01")
        await settled(pilot)
        await pilot.press("ctrl+y")
        await settled(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_generator_shell(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = PyrunsApp(init_shell_workspace(tmp_path), watch_disk=False)
    assert snap_compare(app, terminal_size=size, run_before=settled)
