"""LogView and LogBuffer: real log files appended by real subprocesses, driven through Pilot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from pyruns_tui.logs.terminal import TerminalModel
from pyruns_tui.tui.models.frozen_lines import FrozenLines
from pyruns_tui.tui.models.log_buffer import LogBuffer
from pyruns_tui.tui.models.row_index import RowIndex, rows_for
from pyruns_tui.tui.widgets.monitor.logview import LogView
from tests.waiting import wait_for

WRITER = r"""
import sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "ab", buffering=0) as log:
    for i in range(count):
        log.write(b"\x1b[32mline %d\x1b[0m\n" % i)
"""

TQDM_SINGLE = r"""
import sys
from tqdm import tqdm
with open(sys.argv[1], "w") as log:
    log.write("start\n")
    for _ in tqdm(range(300), file=log, desc="train", ascii=True, ncols=60, mininterval=0, miniters=1):
        log.flush()
    log.write("done\n")
"""

TQDM_NESTED = r"""
import sys
from tqdm import tqdm
with open(sys.argv[1], "w") as log:
    for _ in tqdm(range(3), file=log, desc="outer", position=0, ascii=True, ncols=60, mininterval=0):
        for _ in tqdm(range(20), file=log, desc="inner", position=1, leave=False, ascii=True, ncols=60,
                      mininterval=0):
            pass
    log.write("done\n")
"""


class LogApp(App[None]):
    """A bare app around one LogView."""

    def __init__(self, path: Path | None, **kwargs: object) -> None:
        super().__init__()
        self.path = path
        self.kwargs = kwargs

    def compose(self) -> ComposeResult:
        yield LogView(**self.kwargs)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        view = self.query_one(LogView)
        view.open(self.path)
        view.focus()


def run_script(source: str, *args: object) -> None:
    subprocess.run([sys.executable, "-c", source, *map(str, args)], check=True, timeout=60)


def screen_rows(view: LogView) -> list[str]:
    # through the class: tests that count the compositor's calls patch the instance
    return [LogView.render_line(view, y).text.rstrip() for y in range(view.scrollable_content_region.height)]


def lines_of(count: int) -> bytes:
    return b"".join(b"line %d\n" % i for i in range(count))


async def test_view_follows_a_log_appended_by_a_subprocess(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"  # does not exist yet: the task has not started
    app = LogApp(log)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        assert view.lines == 0
        run_script(WRITER, log, 400)
        await wait_for(pilot, lambda: view.lines == 400)
        assert view.follow
        assert view.scroll_y == view.max_scroll_y > 0
        assert screen_rows(view)[-1] == "line 399"
        run_script(WRITER, log, 5)
        await wait_for(pilot, lambda: view.lines == 405)
        assert screen_rows(view)[-1] == "line 4"


async def test_ansi_colours_are_rendered_as_styles(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(b"\x1b[1;31merror\x1b[0m plain \x1b[38;5;33mblue\x1b[0m\n")
    app = LogApp(log)
    async with app.run_test(size=(60, 6)) as pilot:
        await pilot.pause()
        strip = app.query_one(LogView).render_line(0)
        styles = {seg.text: seg.style for seg in strip if seg.text.strip()}
        assert styles["error"].bold and styles["error"].color.name == "color(1)"
        assert styles["blue"].color.number == 33
        assert "\x1b" not in strip.text


async def test_tqdm_bar_updating_with_carriage_returns_is_one_line(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    app = LogApp(log)
    async with app.run_test(size=(70, 8)) as pilot:
        view = app.query_one(LogView)
        run_script(TQDM_SINGLE, log)
        await wait_for(pilot, lambda: view.lines == 3)
        rows = screen_rows(view)[:3]
        assert rows[0] == "start"
        assert rows[1].startswith("train: 100%|") and "300/300" in rows[1]
        assert rows[2] == "done"
        assert log.read_bytes().count(b"\r") > 100  # the file really holds hundreds of updates


async def test_nested_tqdm_bars_show_as_a_terminal_shows_them(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    run_script(TQDM_NESTED, log)
    app = LogApp(log)
    async with app.run_test(size=(70, 8)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.lines >= 2)
        rows = [row for row in screen_rows(view) if row]
        assert rows[0].startswith("outer: 100%|") and "3/3" in rows[0]
        assert rows[-1] == "done"
        assert not any("inner" in row for row in rows)  # leave=False: erased like in a terminal
        assert b"\x1b[A" in log.read_bytes()


async def test_in_place_update_repaints_only_that_row(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(30) + b"progress 10%")
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        painted: list[int] = []
        original = view.render_line

        def counting(y: int):  # type: ignore[no-untyped-def]
            painted.append(y)
            return original(y)

        view.render_line = counting  # type: ignore[method-assign]
        with open(log, "ab") as stream:
            stream.write(b"\rprogress 50%")
        await wait_for(pilot, lambda: screen_rows(view)[-1] == "progress 50%")
        await pilot.pause()
        assert set(painted) == {view.scrollable_content_region.height - 1}
        assert view.lines == 31


async def test_idle_view_never_repaints(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(100))
    app = LogApp(log, idle_hz=50.0)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        painted: list[int] = []
        original = view.render_line
        view.render_line = lambda y: painted.append(y) or original(y)  # type: ignore[method-assign]
        polls = view.polls
        await wait_for(pilot, lambda: view.polls >= polls + 5)
        assert painted == []


async def test_scrolling_up_pauses_follow_and_G_resumes(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(200))
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        assert view.follow
        await pilot.press("k", "k", "k")
        assert not view.follow
        top = view.scroll_y
        run_script(WRITER, log, 50)
        await wait_for(pilot, lambda: view.lines == 250)
        assert view.scroll_y == top  # paused: new lines do not move the view
        await pilot.press("G")
        assert view.follow and view.scroll_y == view.max_scroll_y
        assert screen_rows(view)[-1] == "line 49"
        await pilot.press("g")
        assert not view.follow and view.scroll_y == 0
        assert screen_rows(view)[0] == "line 0"
        await pilot.press("end")
        assert view.follow


async def test_scrolling_back_to_the_bottom_resumes_follow(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(100))
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        await pilot.press("pageup")
        assert not view.follow
        await pilot.press("pagedown", "pagedown")
        assert view.follow


async def test_search_highlights_matches_and_n_N_move_between_them(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    body = b"".join(b"step %d %s\n" % (i, b"NaN loss" if i in (10, 50, 90) else b"ok") for i in range(120))
    log.write_bytes(body)
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        view.search = "nan"  # what the pane's search box sets on Enter
        assert view.find(forward=True) == 10  # from the top visible line, wrapping around
        assert not view.follow
        row = screen_rows(view).index("step 10 NaN loss")
        strip = view.render_line(row)
        highlighted = [seg for seg in strip if seg.text == "NaN"]
        assert highlighted and highlighted[0].style.bgcolor is not None
        await pilot.press("n")
        assert view.match_line == 50
        await pilot.press("n")
        assert view.match_line == 90
        await pilot.press("N")
        assert view.match_line == 50
        view.search = "no such text"
        assert view.find() is None


async def test_search_is_case_sensitive_with_an_upper_case_letter(tmp_path: Path) -> None:
    buffer_file = tmp_path / "run1.log"
    buffer_file.write_bytes(b"Loss\nloss\nLOSS\n")
    buffer = LogBuffer(buffer_file)
    assert buffer.find("loss", 0) == 0
    assert buffer.find("Loss", 1) == 0  # wraps around
    assert buffer.find("LOSS", 0) == 2
    assert buffer.find("loss", 2, forward=False) == 2


async def test_long_lines_scroll_sideways_and_wrap_with_w(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    long = b"-".join(b"%03d" % i for i in range(60))  # 239 columns
    log.write_bytes(b"short\n" + long + b"\n\tafter a tab\n")
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        assert view.virtual_size.width == 239
        assert view.lines == 3
        await pilot.press("l", "l", "l")
        assert view.scroll_x > 0
        await pilot.press("w")
        assert view.wrap
        width = view.scrollable_content_region.width
        assert view.virtual_size.height == 1 + -(-239 // width) + 1
        rows = screen_rows(view)
        assert rows[1] == long.decode()[:width].rstrip()
        assert rows[2] == long.decode()[width:2 * width].rstrip()
        assert rows[1 + -(-239 // width)] == "        after a tab"
        await pilot.press("w")
        assert not view.wrap and view.virtual_size.height == 3


async def test_scrollback_is_bounded_and_view_stays_on_its_lines(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(900))
    app = LogApp(log, scrollback=1000)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        await pilot.press("k")  # pause follow near the end
        top_line = screen_rows(view)[0]
        with open(log, "ab") as stream:
            stream.write(b"".join(b"more %d\n" % i for i in range(300)))
        await wait_for(pilot, lambda: view.buffer.plain_line(view.lines - 1) == "more 299")
        assert view.buffer.line_id(0)[0] > 0  # the oldest lines went: numbering moved
        assert screen_rows(view)[0] == top_line  # but the view still shows the same lines
        assert not view.follow
        with open(log, "ab") as stream:
            stream.write(b"".join(b"again %d\n" % i for i in range(5000)))
        await wait_for(pilot, lambda: view.buffer.plain_line(view.lines - 1) == "again 4999")
        assert view.lines <= 1000 + view.buffer.live.height
        assert view.scroll_y == 0  # its lines are gone: it shows the oldest kept


async def test_huge_log_opens_reading_only_its_tail(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    size = 1 << 30
    tail = b"".join(b"tail line %d\n" % i for i in range(50_000))
    with open(log, "wb") as stream:  # sparse: 1 GB on paper, a few MB on disk
        stream.truncate(size - len(tail))
        stream.seek(size - len(tail))
        stream.write(tail)
    assert log.stat().st_size == size
    app = LogApp(log, tail_bytes=1 << 20, page_bytes=1 << 20)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: not view.reading_log)  # a 1 MB tail is parsed in a thread
        await pilot.pause()
        assert view.buffer is not None
        assert view.buffer.bytes_read <= 1 << 20
        assert screen_rows(view)[-1] == "tail line 49999"
        first = view.buffer.plain_line(0)
        await pilot.press("g")  # top: one page of history is read, the view stays on its line
        assert view.buffer.bytes_read <= 2 << 20
        assert view.buffer.plain_line(0) != first
        assert screen_rows(view)[0] == first
        assert view.buffer.file.bytes_read <= (2 << 20) + 4096  # what LogFile itself read from disk


async def test_paging_back_through_history_reaches_the_first_line(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(5000))  # ~44 KB
    app = LogApp(log, tail_bytes=4096, page_bytes=4096)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        assert view.lines < 1000
        for _ in range(30):
            await pilot.press("g")
            if not view.buffer.has_older:
                break
        assert view.buffer.plain_line(0) == "line 0"
        assert [view.buffer.plain_line(i) for i in range(view.lines)] == [f"line {i}" for i in range(5000)]


async def test_replaced_log_is_read_again(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(50))
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        log.write_bytes(b"fresh start\n")  # truncated and rewritten
        await wait_for(pilot, lambda: view.lines == 1)
        assert screen_rows(view)[0] == "fresh start"


async def test_empty_view_says_why() -> None:
    app = LogApp(None)
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        assert "no log yet" in screen_rows(app.query_one(LogView))[0]


def test_row_index_tracks_wrapped_rows_through_changes_and_drops() -> None:
    lines = ["a" * 25, "", "b" * 10, "c" * 31]
    index = RowIndex(lambda i: lines[i], 10)
    index.rebuild(len(lines))
    assert [index.rows_of(i) for i in range(4)] == [3, 1, 1, 4]
    assert index.total_rows == 9
    assert index.line_at(0) == (0, 0) and index.line_at(2) == (0, 2) and index.line_at(3) == (1, 0)
    assert index.line_at(8) == (3, 3) and index.line_at(9) == (4, 0)
    lines[3] = "c"
    lines.append("d" * 11)
    index.update_from(3, 5)
    assert index.total_rows == 8 and index.row_of(4) == 6
    del lines[:2]
    index.drop_front(2)
    assert index.count == 3 and index.row_of(0) == 0 and index.total_rows == 4
    assert index.line_at(3) == (2, 1)
    assert rows_for("全角", 2) == 2  # wide characters take two cells


def test_log_buffer_reports_changed_and_dropped_lines(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(b"a\nb\n")
    buffer = LogBuffer(log, scrollback=100)
    assert buffer.line_count == 2
    with open(log, "ab") as stream:
        stream.write(b"c\rC\n")
    result = buffer.poll()
    assert result.appended and 2 in result.changed
    assert buffer.plain_line(2) == "C"
    assert not buffer.poll()  # nothing new: nothing changed
    with open(log, "ab") as stream:
        stream.write(lines_of(3000))
    while buffer.backlog:
        buffer.poll()
    assert buffer.line_count <= 100 + buffer.live.height
    assert buffer.line_id(0)[0] > 0  # the oldest lines were dropped
    assert buffer.plain_line(buffer.line_count - 1) == "line 2999"


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_log_buffer_poll_is_chunk_bounded_and_complete(tmp_path: Path, chunk: int) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(b"")
    buffer = LogBuffer(log, chunk_bytes=chunk)
    log.write_bytes("héllo \x1b[31mwörld\x1b[0m\n".encode() * 20)
    while buffer.backlog:
        before = buffer.bytes_read
        buffer.poll()
        assert buffer.bytes_read - before <= chunk
    assert [buffer.plain_line(i) for i in range(buffer.line_count)] == ["héllo wörld"] * 20


def test_frozen_lines_render_like_the_model_and_stay_out_of_the_garbage_collector() -> None:
    import gc

    model = TerminalModel()
    model.feed(b"\x1b[1;31mred\x1b[0m plain \x1b[48;5;22mbg  \x1b[0m\nsecond\n")
    frozen = FrozenLines()
    frozen.append_from(model, 0, 2)
    for i in range(2):
        assert frozen.line(i).plain == model.line(i).plain
        assert frozen.line(i).spans == model.line(i).spans
    assert frozen.plain_line(0) == "red plain bg"
    for _ in range(3):  # a pass untracks a tuple whose items are already untracked: three levels of
        gc.collect()    # tuples (style, span, line) take three when a pass meets the outer ones first
    assert not any(gc.is_tracked(runs) for runs in frozen._runs)  # ints only: never scanned
    older = FrozenLines.parse(b"a\nb\n", max_lines=100)
    frozen.prepend(older)
    assert [frozen.plain_line(i) for i in range(len(frozen))] == ["a", "b", "red plain bg", "second"]
    assert frozen.first_id == -2
    frozen.drop_front(3)
    assert len(frozen) == 1 and frozen.first_id == 1
    with pytest.raises(ValueError):
        frozen.append_from(model, 0, 1)  # not contiguous with the held lines


def test_live_model_holds_only_the_screen_after_a_flood(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(b"")
    buffer = LogBuffer(log, scrollback=50_000)
    log.write_bytes(b"".join(b"\x1b[32mline %d\x1b[0m\n" % i for i in range(20_000)))
    while buffer.backlog:
        buffer.poll()
    assert buffer.line_count == 20_000
    assert buffer.live.line_count < 400  # the rest is frozen (GC-untracked)
    assert buffer.plain_line(0) == "line 0" and buffer.plain_line(19_999) == "line 19999"
    assert buffer.line(5).spans and buffer.line_id(5) == (5, 0)


async def follow_flood(pilot: Pilot[None], view: LogView, log: Path, flood: bytes, last: str) -> int:
    """Once the view shows the log's one line, append `flood` at once and wait until the view
    ends with `last`; returns the bytes it had read before the flood."""
    await wait_for(pilot, lambda: view.lines == 1)
    before = view.buffer.bytes_read
    with open(log, "ab") as stream:
        stream.write(flood)
    await wait_for(pilot, lambda: view.buffer is not None and view.lines
                   and view.buffer.plain_line(view.lines - 1) == last)
    return before


async def test_following_far_behind_a_flood_jumps_to_the_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyruns_tui.tui.widgets.monitor import logview

    monkeypatch.setattr(logview, "CATCH_UP_BYTES", 64 << 10)
    log = tmp_path / "run1.log"
    log.write_bytes(b"start\n")
    app = LogApp(log, tail_bytes=16 << 10, page_bytes=16 << 10)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        before = await follow_flood(pilot, view, log, lines_of(100_000), "line 99999")  # ~0.9 MB at once
        assert view.follow and screen_rows(view)[-1] == "line 99999"
        assert view.buffer.bytes_read - before <= 16 << 10  # it read the new tail, not the whole flood
        assert view.buffer.has_older  # what it skipped is one scroll up away
        first = view.buffer.plain_line(0)
        await pilot.press("g")  # top: a page of what was skipped is read back
        assert view.buffer.bytes_read > 16 << 10 and view.buffer.plain_line(0) != first


async def test_lines_skipped_while_following_a_flood_come_back_coloured(tmp_path: Path) -> None:
    """A flood is followed by parsing only its tail; paging back parses the skipped lines then,
    with their colours and \r redraws applied as if they had been parsed on the way."""
    log = tmp_path / "run1.log"
    log.write_bytes(b"start\n")
    app = LogApp(log, tail_bytes=16 << 10, page_bytes=64 << 10)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        flood = b"".join(b"\x1b[31mr\x1b[0m\r\x1b[32mgreen %d\x1b[0m\n" % i for i in range(60_000))
        before = await follow_flood(pilot, view, log, flood, "green 59999")  # ~1.5 MB: far more than one poll parses
        assert view.buffer.bytes_read - before <= 16 << 10  # the lines in between were not parsed
        while view.buffer.has_older and not view.buffer.plain_line(0).startswith("green 3"):
            assert view.load_older()
        line = view.buffer.line(0)
        number = int(line.plain.split()[1])
        assert line.plain == f"green {number}" and number < 59_000  # a line from the skipped part
        whole = TerminalModel()  # the same line parsed on the way, as before the skip existed
        whole.feed(b"\x1b[31mr\x1b[0m\r\x1b[32mgreen %d\x1b[0m\n" % number)
        assert line.spans == whole.line(0).spans and [str(s.style) for s in line.spans] == ["color(2)"]


def test_highlight_styles_every_hit_and_leaves_the_original_alone() -> None:
    from rich.style import Style
    from rich.text import Text

    from pyruns_tui.tui.widgets.monitor.line_render import highlight

    original = Text("NaN loss nan again")
    marked = highlight(original, "nan", Style(bgcolor="red"))
    assert [(s.start, s.end) for s in marked.spans] == [(0, 3), (9, 12)]
    assert original.spans == []
    assert highlight(original, "NaN", Style(bold=True)).spans[0].end == 3
    assert len(highlight(original, "NaN", Style(bold=True)).spans) == 1  # a capital: case-sensitive
    assert highlight(original, "zzz", Style(bold=True)) is original


async def test_sideways_by_half_a_view_and_search_scrolls_to_the_hit(tmp_path: Path) -> None:
    log = tmp_path / "run1.log"
    bar = b" 40%|" + b"#" * 120 + b"| 40/100 [00:04<00:06, 9.8it/s, loss=0.31]"  # tqdm at 160 columns
    log.write_bytes(b"start\n" + bar + b"\n" + bar.replace(b"loss=0.31", b"loss=0.29") + b"\n")
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        await pilot.pause()
        width = view.scrollable_content_region.width
        await pilot.press("l")
        assert round(view.scroll_x) == width // 2  # half a view per key
        await pilot.press("h")
        assert round(view.scroll_x) == 0
        view.search = "loss="
        assert view.find() == 1
        column = bar.decode().index("loss=")
        assert round(view.scroll_x) <= column and column + 5 <= round(view.scroll_x) + width  # the hit is on screen
        assert view.match_position() == (1, 2)
        view.find()
        assert view.match_position() == (2, 2)
