"""Create when it fails in a way no check foresaw: the screen is ready for the next Create anyway.

An upgrade under the open app (`pip install --upgrade`) makes the worker's lazy imports fail: the
app says so and stays open (tui/upgraded.py), and the Generator must not stay "creating…".
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.widgets import Button, Label

from pyruns_tui.runner import control
from pyruns_tui.tui import upgraded
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens import generator_create
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.tui.test_generator import demo, quick_demo, ready, row, settled, task_configs, type_into, until

__all__ = ["demo", "quick_demo"]  # (fixtures)


def upgraded_under_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's files are no longer those the app started with (as after `pip install --upgrade`)."""
    monkeypatch.setattr(upgraded, "package_stamp", lambda: (0, 0, 0))


def import_failure() -> ImportError:
    return ImportError("cannot import name 'ADDED_IN_THE_UPGRADE' from 'pyruns_tui.runner.control'",
                       name="pyruns_tui.runner.control")


def usable(gen: GeneratorScreen) -> bool:
    status = str(gen.query_one("#gen-status", Label).render())
    return (not gen.creating and "creating" not in status
            and not gen.query_one("#gen-create", Button).disabled and not gen.query_one("#gen-run", Button).disabled)


def notes(app: PyrunsApp) -> list[str]:
    return [note.message for note in app._notifications]


async def test_create_and_run_that_fails_unexpectedly_leaves_the_screen_ready_for_the_next(
        quick_demo: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    real = generator_create.create_batch

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise import_failure()

    app = PyrunsApp(quick_demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, row(gen, "seed"), "1 | 2")
        await settled(pilot, gen)
        upgraded_under_the_app(monkeypatch)
        monkeypatch.setattr(generator_create, "create_batch", failing)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: any("restart it" in note for note in notes(app)))
        await until(pilot, lambda: not app.workers)
        assert app.is_running and usable(gen), str(gen.query_one("#gen-status", Label).render())
        monkeypatch.setattr(generator_create, "create_batch", real)
        await pilot.press("ctrl+r")  # refused as "still creating the previous batch" before
        await until(pilot, lambda: gen.last_result is not None and not gen.creating)
        assert len(task_configs(quick_demo)) == 2 and gen.last_result.queued
        assert not any("still creating" in note for note in notes(app))
        store = TaskStore(quick_demo)
        await asyncio.to_thread(control.wait, store, store.names(), timeout_s=60)


async def test_a_failure_after_the_tasks_are_created_still_gives_the_screen_back(
        demo: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-reading the tasks after Create (the app's refresh) fails: the status no longer says "creating…"."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, row(gen, "seed"), "1 | 2")
        await settled(pilot, gen)
        upgraded_under_the_app(monkeypatch)

        def refresh_fails() -> None:
            raise import_failure()

        monkeypatch.setattr(app, "refresh_tasks", refresh_fails)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("restart it" in note for note in notes(app)))
        await until(pilot, lambda: not app.workers)
        assert len(task_configs(demo)) == 2
        assert app.is_running and usable(gen), str(gen.query_one("#gen-status", Label).render())

