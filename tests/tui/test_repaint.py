"""What the TUI sends to the terminal for small repaints: only the dirty cells, durations coarse."""

from __future__ import annotations

import pyte
import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from pyruns_tui.tui.compositor import CroppingChopsUpdate, crop_end, crop_start
from pyruns_tui.tui.models.columns import running_duration
from pyruns_tui.tui.widgets.manager.task_table import changed_cells

WIDTH = 40
CYAN = Style.parse("bold #58d1eb on #1e1e1e")
GREY = Style.parse("#e0e0e0 on #1e1e1e")
LINK = Style(color="red", link="https://example.org")


def line(text: str, status: str = "▶ running ", name: str = "任务-7") -> Strip:
    """A 40-cell line like a table row: cells of a few styles, a wide character, a link."""
    segments = [Segment("  ", GREY), Segment(status, CYAN), Segment(" ", GREY), Segment(name, GREY),
                Segment(" ", None), Segment("link", LINK), Segment(" ", GREY), Segment(text, CYAN)]
    strip = Strip(segments)
    return strip.extend_cell_length(WIDTH, GREY)


def terminal_after(update: ChopsUpdate | None, before: Strip) -> tuple[list[list[tuple[object, ...]]], int]:
    """The cells of a terminal that showed `before` on lines 0 and 1 after `update` is written."""
    console = Console(color_system="truecolor", force_terminal=True, width=WIDTH)
    term = pyte.Screen(WIDTH, 2)
    stream = pyte.ByteStream(term)
    for y in range(2):
        stream.feed(f"\x1b[{y + 1};1H{before.render(console)}".encode())
    data = update.render_segments(console) if update is not None else ""
    stream.feed(data.encode())
    cells = [[(c.data, c.fg, c.bg, c.bold) for c in (term.buffer[y][x] for x in range(WIDTH))] for y in range(2)]
    return cells, len(data.encode())


@pytest.mark.parametrize("span", [(30, 33), (31, 32), (2, 12), (5, 12), (12, 14), (14, 15), (0, 40), (20, 29), (35, 40)])
def test_cropped_update_draws_the_dirty_cells_and_nothing_else(span: tuple[int, int]) -> None:
    before, after = line("    10.0s"), line("    11.0s", "▶ runnin' ", "任x-8 ")
    x1, x2 = span
    spans = [(0, x1, x2), (1, x1, x2)]
    chops, ends = [{0: after}, {0: after}], [[WIDTH], [WIDTH]]
    ours, ours_bytes = terminal_after(CroppingChopsUpdate(chops, spans, ends), before)
    old, _ = terminal_after(None, before)
    new, _ = terminal_after(None, after)
    theirs, theirs_bytes = terminal_after(ChopsUpdate(chops, spans, ends), before)
    # a span that starts or ends inside a segment with wide characters is widened to that segment
    start, end = crop_start(after, x1), crop_end(after, x2)
    for y in range(2):
        assert ours[y][start:end] == new[y][start:end]
        assert ours[y][:start] == old[y][:start] and ours[y][end:] == old[y][end:]
    assert ours_bytes <= theirs_bytes


def test_one_changed_digit_in_eight_rows_is_a_few_bytes_each() -> None:
    spans = [(y, 30, 31) for y in range(8)]  # "    10.0s" -> "    11.0s" at cells 25..33
    update = CroppingChopsUpdate([{0: line("    11.0s")} for _ in range(8)], spans, [[WIDTH]] * 8)
    data = update.render_segments(Console(color_system="truecolor", force_terminal=True))
    assert "running" not in data and data.count("1") >= 8
    assert data.count("38;2;88;209;235") == 1  # the colour is sent once, then only moves and digits
    assert len(data) < 8 * 10 + 40


def test_crop_never_cuts_a_wide_character() -> None:
    strip = line("    10.0s")  # "▶ running " at cells 2..11, "任务-7" at 13..18, the duration at 25..33
    assert crop_start(strip, 5) == 2  # a segment with non-ASCII text is drawn whole
    assert crop_start(strip, 14) == 13
    assert crop_start(strip, 30) == 30
    assert crop_end(strip, 14) == 19 and crop_end(strip, 13) == 13 and crop_end(strip, 30) == 30


def test_running_duration_is_coarse_past_the_first_minute() -> None:
    assert [running_duration(s) for s in (0, 0.4, 42.9, 60, 61, 659.9, 3599, 3600, 3725, 90000)] == [
        "0s", "0s", "42s", "1m", "1m", "10m", "59m", "1h00m", "1h02m", "1d01h"]


def test_changed_cells() -> None:
    assert changed_cells("     59s", "      1m") == (5, 8)
    assert changed_cells("     10s", "     11s") == (6, 7)
    assert changed_cells("      9m", "      9m") == (0, 0)
    assert changed_cells("  1h02m", "  1h03m") == (5, 6)
    assert changed_cells("  任务", "  任x ") == (0, 6)  # not ASCII: the whole cell


def test_the_installed_textual_is_the_one_the_cropping_update_was_written_for() -> None:
    # if this fails after a Textual upgrade, screens silently fall back to Textual's own updates
    # (correct, just more bytes over SSH): check CroppingChopsUpdate against the new ChopsUpdate
    from pyruns_tui.tui.compositor import textual_fits

    assert textual_fits()


def test_a_param_column_is_as_wide_as_its_widest_distinct_value() -> None:
    from pyruns_tui.tui.models.columns import build_columns, column_widths
    from pyruns_tui.workspace.model import Task
    from pyruns_tui.workspace.query import TaskView

    columns = build_columns(["x"], [])
    views = [TaskView(Task(name=f"t{i}"), {"x": value}, {}) for i, value in enumerate([0.0, -0.0, 1])]
    widths = column_widths(columns, views)
    assert widths[[c.key for c in columns].index("p:x")] == len("-0.0")


def test_the_compositor_falls_back_to_textual_when_its_assumptions_fail_at_run_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyruns_tui.tui import compositor

    before, after = line("    10.0s"), line("    11.0s")
    spans, chops, ends = [(0, 30, 33), (1, 30, 33)], [{0: after}, {0: after}], [[WIDTH], [WIDTH]]
    theirs, _ = terminal_after(ChopsUpdate(chops, spans, ends), before)
    monkeypatch.setattr(compositor._STATE, "fits", True)

    def changed_strip(strip: Strip, offset: int) -> int:
        raise AttributeError("'Strip' object has no attribute '_segments'")  # as after a Textual release

    monkeypatch.setattr(compositor, "crop_start", changed_strip)
    ours, _ = terminal_after(CroppingChopsUpdate(chops, spans, ends), before)
    assert ours == theirs  # drawn by Textual's own update instead of failing
    assert compositor._STATE.fits is False  # and from now on without the cropping update
