"""Terminal escapes planted in notes, task names, config values and metric names never reach the
terminal from the TUI: every frame written to it (the Manager's table and detail pane, the notes
editor, the compare dialog, the delete confirmation, the Generator's task picker, the Monitor's
task list and log pane) is captured and searched for control characters."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator

import pytest
from textual.app import App
from textual.widgets import TextArea

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.tui.manager_helpers import build_workspace, settle

# OSC 52 (clipboard), OSC 0 (title), clear screen, CSI as one C1 byte, BEL, bidi override, DCS
PAYLOADS = ["\x1b]52;c;cHduZWQ=\x07", "\x1b]0;PWNED\x07", "\x1b[2J\x1b[H", "\x9b31m", "\x07", "\u202eevil", "\x1bP+q\x1b\\"]
EVIL = "".join(PAYLOADS)
EVIL_NAME = "bad\x1b]0;TITLE\x07name"
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;:?<>]*[A-Za-z~]")  # Textual's cursor moves, SGR, modes
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def frames(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The text of every frame the app hands to Textual's writer (what a real terminal gets)."""
    written: list[str] = []

    def record(app: App[object], screen: object, renderable: object) -> None:
        render = getattr(renderable, "render_segments", None)
        if render is not None:
            written.append(render(app.console))

    monkeypatch.setattr(App, "_display", record)
    yield written


def assert_clean(frames: list[str], where: str) -> None:
    assert frames, f"{where}: no frame was drawn"
    for frame in frames:
        assert "\x1b[2J" not in frame and "\x1b]" not in frame and "\x1bP" not in frame, (where, frame[-3000:])
        rest = OWN_SEQUENCES.sub("", frame).replace("\n", "")
        assert not UNSAFE.search(rest), (where, rest[max(0, UNSAFE.search(rest).start() - 200):][:400])  # type: ignore[union-attr]
    frames.clear()


@pytest.fixture
def hostile(layout: Layout) -> Layout:
    store = build_workspace(layout)

    def plant(task: object) -> None:
        task.notes = "note " + EVIL  # type: ignore[attr-defined]

    store.update("base", plant)
    config = layout.task_dir("base") / "config.yaml"
    config.write_text(config.read_text() + "tag: " + json.dumps(EVIL) + "\n")
    with layout.metrics_file("base").open("a") as out:
        out.write(json.dumps({"step": 9, "l\x1b[2Jx": 1.0}) + "\n")
    layout.task_dir("base").joinpath("run_logs").mkdir(exist_ok=True)
    layout.task_dir("base").joinpath("run_logs", "run1.log").write_text("output " + EVIL + "\n")
    shutil.copytree(layout.task_dir("wide"), layout.task_dir(EVIL_NAME))
    return layout


async def test_manager_dialogs_and_editor_write_no_escapes(hostile: Layout, frames: list[str]) -> None:
    app = PyrunsApp(hostile, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await settle(pilot)
        assert EVIL_NAME in screen.table.visible_names()
        await pilot.press("v")
        for name in (EVIL_NAME, "base"):
            screen.table.move_to(name)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert_clean(frames, "manager table and detail pane")
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ != "ManagerScreen"
        assert "\\x1b]52;c;" in app.screen.query_one(TextArea).text  # shown as text, not obeyed
        assert_clean(frames, "notes editor")
        await pilot.press("ctrl+s")  # saved unchanged: the note keeps its bytes
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert TaskStore(hostile).get("base").notes == "note " + EVIL
        screen = await settle(pilot)
        screen.table.set_selected(["base", EVIL_NAME])
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "CompareDialog"
        assert_clean(frames, "compare dialog")
        await pilot.press("escape")
        await pilot.pause()
        screen = await settle(pilot)
        screen.table.set_selected([])
        screen.table.move_to(EVIL_NAME)
        await pilot.press("d")
        await pilot.pause()
        assert_clean(frames, "delete confirmation")
        await pilot.press("escape")
        await pilot.pause()
        screen = await settle(pilot)
        screen.table.move_to("base")
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert_clean(frames, "monitor")


async def test_generator_task_picker_writes_no_escapes(hostile: Layout, frames: list[str]) -> None:
    TaskStore(hostile)
    app = PyrunsApp(hostile, start_mode="generator", watch_disk=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, GeneratorScreen)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "TaskPicker"
        assert_clean(frames, "task picker")
        await pilot.press(*"bad")
        await pilot.pause()
        assert_clean(frames, "task picker filtered")
