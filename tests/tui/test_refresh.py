"""Workspace refreshes asked while one runs: each scans after it; none is cancelled under its waiters."""

from __future__ import annotations

import asyncio

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.tui.monitor_fixtures import add_task


async def test_a_refresh_asked_while_one_runs_does_not_cancel_it(layout: Layout, store: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        add_task(store, "late")
        with app._refresh_busy:  # a refresh in flight (the periodic one, on a busy machine)
            app.refresh_tasks()  # as a test or an action asks for one, and waits for it
            await pilot.pause()
            waiting = asyncio.ensure_future(app.workers.wait_for_complete())
            await pilot.pause()
            app.refresh_tasks()  # the periodic tick meanwhile
            await pilot.pause()
        await waiting  # raised WorkerCancelled when the second refresh cancelled the first
        assert "late" in app.state.snapshot.tasks
