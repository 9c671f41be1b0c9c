"""The circuit breaker's banner: shown on every screen while the queue is paused, ctrl+g resumes (on\nevery screen: no screen binds it to something else)."""

from __future__ import annotations

import importlib
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Input, Select

from pyruns_tui import tui
from pyruns_tui.runner import control
from pyruns_tui.runner.breaker import Pause, write_pause
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.pause_banner import PauseBanner
from pyruns_tui.workspace.layout import Layout
from tests.tui.test_generator import demo, edit, ready, row  # noqa: F401 (demo: a fixture)
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


async def test_the_banners_key_resumes_in_the_generator_too(demo: Layout) -> None:
    """The Generator bound ctrl+g to "a choice field as grid text": a paused user there who pressed
    the key the banner names got grid text (or "focus a choice or switch field first") and the queue
    stayed paused. ctrl+g resumes on every screen; grid text has its own key, ctrl+j."""
    paths = RunnerPaths.of(demo)
    paths.create()
    write_pause(paths.pause, Pause(ERROR, ("a", "b", "c"), 60.0))
    app = PyrunsApp(demo, start_mode="generator", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await wait_for(pilot, lambda: _banner(app).display)
        optimizer = row(gen, "optimizer")
        assert isinstance(await edit(pilot, optimizer), Select)  # a choice field, focused

        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: not _banner(app).display)
        assert control.paused(demo) is None and not paths.pause.exists()  # as `pyr-tui runner resume`
        assert isinstance(optimizer.editor, Select)

        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(optimizer.editor, Input) and optimizer.editor.has_focus)
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(optimizer.editor, Select))


def test_no_screen_or_widget_takes_an_app_key() -> None:
    """A key of the app's (not a priority one, which nothing can shadow) bound again by a screen or
    widget means something else there: the Generator's ctrl+g was "grid text", not "resume"."""
    app_keys = {key.strip(): binding.action for binding in PyrunsApp.BINDINGS if isinstance(binding, Binding)
                and not binding.priority for key in binding.key.split(",") if key.strip().startswith("ctrl+")}
    for module in pkgutil.walk_packages(tui.__path__, f"{tui.__name__}."):
        importlib.import_module(module.name)
    taken = [
        f"{cls.__module__}.{cls.__name__}: {key.strip()} -> {binding.action}"
        for cls in _subclasses(DOMNode) if cls.__module__.startswith("pyruns_tui.") and cls is not PyrunsApp
        for binding in cls.__dict__.get("BINDINGS", []) if isinstance(binding, Binding)
        for key in binding.key.split(",") if key.strip() in app_keys and binding.action != app_keys[key.strip()]
    ]
    assert app_keys and taken == []


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
