"""The Monitor's log: search over wide characters, search wrapping, `g` at the scrollback limit,
a deleted log; the real app and LogView through Pilot at 80x24."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.color import Color

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.monitor.line_render import highlight
from pyruns_tui.tui.widgets.monitor.logview import LogView
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import Shown
from tests.tui.monitor_fixtures import add_run, add_task
from tests.tui.test_logview import LogApp, lines_of, screen_rows
from tests.waiting import wait_for

SIZE = (80, 24)


def hit_cells(view: LogView, row: int) -> list[int]:
    """The screen columns of screen row `row` painted with the current hit's style."""
    current = view.get_component_rich_style("logview--current", partial=True)
    cells, x = [], 0
    for segment in view.render_line(row):
        width = cell_len(segment.text)
        if segment.style is not None and segment.style.bgcolor == current.bgcolor:
            cells += range(x, x + width)
        x += width
    return cells


@pytest.mark.parametrize("wide", ["进度", "🚀"])
async def test_a_hit_after_wide_characters_is_scrolled_to_and_highlighted_on_its_cells(tmp_path: Path,
                                                                                      wide: str) -> None:
    log = tmp_path / "run1.log"
    line = wide * 40 + " TARGET here"  # two cells per character: the hit's column is not its index
    start = cell_len(wide * 40) + 1
    log.write_text("start\n" + line + "\nend\n")
    app = LogApp(log)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        width = view.scrollable_content_region.width
        view.search = "target"
        assert view.find() == 1
        await pilot.pause()
        left = round(view.scroll_x)
        assert left <= start and start + 6 <= left + width  # the hit's cells are in view
        row = screen_rows(view).index(next(r for r in screen_rows(view) if "TARGET" in r))
        shown = screen_rows(view)[row]
        assert hit_cells(view, row) == list(range(start - left, start + 6 - left))  # highlighted where it is drawn
        assert shown[cell_index(shown, start - left):].startswith("TARGET")


def cell_index(text: str, cells: int) -> int:
    """The index of the character at screen column `cells` of `text`."""
    for i in range(len(text) + 1):
        if cell_len(text[:i]) >= cells:
            return i
    return len(text)


async def test_a_hit_far_down_a_wrapped_line_of_wide_characters_is_scrolled_into_view(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    long = "数据" * 1000 + " TARGET"  # 4000 cells: ~50 rows wrapped, the hit on the last one
    log.write_text("".join(f"before {i}\n" for i in range(30)) + long + "\n" + "".join(f"after {i}\n" for i in range(40)))
    app = LogApp(log)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        await pilot.press("w", "g")
        view.search = "target"
        assert view.find() == 30
        await pilot.pause()
        rows = screen_rows(view)
        assert any("TARGET" in row for row in rows), rows
        row = next(i for i, r in enumerate(rows) if "TARGET" in r)
        assert len(hit_cells(view, row)) == 6


def test_highlight_marks_the_hit_when_lower_case_changes_the_text_length() -> None:
    # "İ".lower() is two characters: positions found in the lower-cased text were off by four
    marked = highlight(Text("İİİİ target"), "target", Style(bold=True))
    assert [(s.start, s.end) for s in marked.spans] == [(5, 11)]


async def test_n_after_the_last_hit_wraps_to_the_first_and_says_so(tmp_path: Path,
                                                                   notifications: list[Shown]) -> None:
    log = tmp_path / "run1.log"
    log.write_text("".join(f"row {i}{' hit' if i in (5, 50) else ''}\n" for i in range(80)))
    app = LogApp(log)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        await pilot.press("g")
        view.search = "hit"
        assert view.find() == 5
        await pilot.press("n")
        assert view.match_line == 50
        assert not [n for n in notifications if "wrapped" in n.message]  # 5 -> 50 did not wrap
        await pilot.press("n")
        assert view.match_line == 5
        assert [n.message for n in notifications if "wrapped" in n.message] == [
            "search wrapped: hit the bottom, continued at the top"]
        notifications.clear()
        await pilot.press("N")  # from the first hit back to the last
        assert view.match_line == 50
        assert [n.message for n in notifications] == ["search wrapped: hit the top, continued at the bottom"]
        notifications.clear()
        view.search = "no such text"
        assert view.find() is None
        assert [n.message for n in notifications] == ["not found: no such text"]


async def test_g_at_the_scrollback_limit_says_the_top_is_not_the_top_of_the_log(tmp_path: Path,
                                                                                notifications: list[Shown]) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(3000))
    app = LogApp(log, scrollback=1000)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        await pilot.press("g")
        assert screen_rows(view)[0] != "line 0"
        [note] = notifications
        assert note.message.startswith(f"showing the last {view.lines:,} lines (log_scrollback: 1000)")
        assert str(log) in note.message
    whole = tmp_path / "whole.log"
    whole.write_bytes(lines_of(300))
    notifications.clear()
    app = LogApp(whole, scrollback=1000)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        await pilot.press("g")
        assert screen_rows(view)[0] == "line 0" and not notifications  # the whole log: g is the top


async def test_a_run_whose_log_was_deleted_says_so_instead_of_an_empty_pane(layout: Layout, store: TaskStore) -> None:
    add_task(store, "gone")
    add_run(store, "gone", Status.COMPLETED, b"first\n").unlink()
    add_task(store, "later")
    later = add_run(store, "later", Status.COMPLETED, b"still here\n", minute=5)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        view = screen.log_pane.view
        screen.show_task("gone")
        await pilot.pause()
        text = " ".join(row.strip() for row in screen_rows(view))
        assert "the log of run 1 of 'gone' is missing (" in text and "run1.log): deleted?" in text
        assert str(layout.run_log("gone", 1)).replace(" ", "") in text.replace(" ", "")  # the path, whole
        screen.show_task("later")
        await wait_for(pilot, lambda: screen_rows(view)[0] == "still here")
        later.unlink()  # deleted while shown
        await wait_for(pilot, lambda: screen_rows(view)[0].startswith("the log file is gone:"), what="the note")



def hit_colours(view: LogView, row: int) -> set[tuple[Color, Color]]:
    """(text, background) of the search hits (`loss`) painted on screen row `row`."""
    hits: set[tuple[Color, Color]] = set()
    for segment in view.render_line(row):
        style = segment.style
        if segment.text == "loss" and style is not None and style.color and style.bgcolor:
            hits.add((Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)))
    return hits


def hues_apart(one: Color, other: Color) -> float:
    """How far apart the hues of two colours are, in degrees (0-180)."""
    apart = abs(one.hsl.h - other.hsl.h) * 360
    return min(apart, 360 - apart)


def contrast(text: Color, background: Color) -> float:
    """The WCAG contrast ratio of text on a background (1 to 21)."""
    def luminance(colour: Color) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour.rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(text), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "nord"])
async def test_the_current_hit_is_another_hue_than_the_other_hits_and_both_are_legible(
        layout: Layout, store: TaskStore, theme: str) -> None:
    # it was a brighter orange on orange (#FEA62B vs #CF7E00): n/N moved, the eye lost it; and white
    # text on whatever background, unreadable on a light one (nord's #88C0D0)
    add_task(store, "t")
    add_run(store, "t", Status.COMPLETED, b"".join(b"epoch %d loss=0.%02d\n" % (i, i) for i in range(40)))
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        view = screen.log_pane.view
        await wait_for(pilot, lambda: view.lines == 40)
        await pilot.press("slash", *"loss", "enter", "N")
        await wait_for(pilot, lambda: view.match_line is not None)
        rows = screen_rows(view)
        current = rows.index(f"epoch {view.match_line} loss=0.{view.match_line:02d}")
        other = current - 1
        [(current_text, current_back)] = hit_colours(view, current)
        [(other_text, other_back)] = hit_colours(view, other)
        assert hues_apart(current_back, other_back) >= 90, (current_back.hex, other_back.hex)
        assert contrast(current_text, current_back) >= 3 and contrast(other_text, other_back) >= 3


async def test_a_fifo_in_place_of_the_log_is_named_instead_of_an_empty_pane(layout: Layout, store: TaskStore) -> None:
    """A FIFO planted as run1.log showed `0 lines` and nothing else: now the one line `pyr-tui log` says."""
    import os

    add_task(store, "planted")
    log = add_run(store, "planted", Status.COMPLETED, b"first\n")
    log.unlink()
    os.mkfifo(log)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        view = screen.log_pane.view
        screen.show_task("planted")
        await pilot.pause()
        text = "".join(row.strip() for row in screen_rows(view)).replace(" ", "")  # (wrapped at any space)
        assert "thelogofrun1of'planted'cannotberead:" in text
        assert "run1.logisaFIFO,notaregularfile;removeit" in text
