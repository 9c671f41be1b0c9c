"""The circuit breaker's banner: shown on every screen while the queue is paused, ctrl+g resumes."""

from __future__ import annotations

from pyruns_tui.runner import control
from pyruns_tui.runner.breaker import Pause, write_pause
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.pause_banner import PauseBanner
from pyruns_tui.workspace.layout import Layout
from tests.tui.test_monitor import wait_for

ERROR = "ModuleNotFoundError: No module named 'foo'"


def _banner(app: PyrunsApp) -> PauseBanner:
    return app.screen.query_one(PauseBanner)


def _resume_offered(app: PyrunsApp) -> bool:
    """Whether the footer offers ctrl+g (an enabled active binding)."""
    active = app.screen.active_bindings.get("ctrl+g")
    return active is not None and active.enabled


async def test_banner_shows_the_cause_and_ctrl_g_resumes(layout: Layout) -> None:
    paths = RunnerPaths.of(layout)
    paths.create()
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.tasks_version > 0)
        assert not _banner(app).display
        assert not _resume_offered(app)

        write_pause(paths.pause, Pause(ERROR, ("a", "b", "c"), 60.0))
        app.refresh_tasks()
        await wait_for(pilot, lambda: _banner(app).display)
        text = str(_banner(app).render())
        assert f'3 tasks failed with "{ERROR}"' in text
        assert "ctrl+g resumes" in text[:80]  # on screen at 80 columns, whatever the cause's length
        assert _resume_offered(app)

        await pilot.press("3")  # every screen shows it
        await wait_for(pilot, lambda: app.current_mode == "monitor" and _banner(app).display)

        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: not _banner(app).display)
        assert control.paused(layout) is None and not paths.pause.exists()
