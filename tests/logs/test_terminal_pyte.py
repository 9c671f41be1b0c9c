"""TerminalModel against pyte on output recorded from real programs under a real 160x50 pty."""

from __future__ import annotations

import random
import sys

import pytest

from pyruns_tui.logs.terminal import TerminalModel
from tests.logs.pty_recorder import COLUMNS, FIXTURES, ROWS, program_names, record_program
from tests.logs.pyte_reference import (
    model_char_styles,
    pyte_char_styles,
    pyte_display,
    pyte_history,
    pyte_screen,
)

NAMES = program_names()
CLEARS_SCREEN = {"clear_screen"}  # ESC[2J: the model keeps the old screen, pyte erases it


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.bin").read_bytes()


def feed(data: bytes, chunks: list[int] | None = None, **kwargs: object) -> TerminalModel:
    model = TerminalModel(columns=COLUMNS, height=ROWS, **kwargs)  # type: ignore[arg-type]
    cuts = [0, *(chunks or []), len(data)]
    for a, b in zip(cuts, cuts[1:]):
        model.feed(data[a:b])
    model.finish()
    return model


def snapshot(model: TerminalModel) -> tuple[object, ...]:
    """Everything a viewer can observe."""
    lines = [(model.line(n).plain, model.line(n).spans)
             for n in range(model.first_line, model.end_line)]
    return model.first_line, model.end_line, model.screen_top, model.cursor, lines


def test_every_program_has_a_recorded_fixture() -> None:
    assert NAMES and all((FIXTURES / f"{name}.bin").is_file() for name in NAMES)


@pytest.mark.parametrize("wrap", [True, False], ids=["wrap", "nowrap"])
@pytest.mark.parametrize("name", NAMES)
def test_final_screen_matches_pyte(name: str, wrap: bool) -> None:
    data = fixture(name)
    model = feed(data, wrap=wrap)
    assert model.screen_lines() == pyte_display(pyte_screen(data, COLUMNS, ROWS))


@pytest.mark.parametrize("name", sorted(set(NAMES) - CLEARS_SCREEN))
def test_full_history_matches_pyte(name: str) -> None:
    data = fixture(name)
    model = feed(data, wrap=True)
    assert model.plain_text().split("\n") == pyte_history(pyte_screen(data, COLUMNS, ROWS))


@pytest.mark.parametrize("name", NAMES)
def test_styles_match_pyte(name: str) -> None:
    data = fixture(name)
    model = feed(data, wrap=True)
    screen = pyte_screen(data, COLUMNS, ROWS)
    compared = 0
    for row in range(ROWS):
        n = model.screen_top + row
        if n >= model.end_line:
            break
        text = model.line(n).plain.ljust(COLUMNS)
        mine = model_char_styles(model, n, COLUMNS)
        ref = pyte_char_styles(screen, row)
        for x, char in enumerate(text[:COLUMNS]):
            if char != " ":  # erased cells take pyte's cursor colours (BCE), not modelled
                assert mine[x] == ref[x], (row, x, char)
                compared += 1
    assert compared > 0


def test_colours_of_the_logging_fixture_are_seen() -> None:
    model = feed(fixture("colour_logging"))
    styles = {str(span.style) for n in range(model.first_line, model.end_line)
              for span in model.line(n).spans}
    assert {"color(2)", "bold color(3)", "color(196)", "italic"} <= styles
    assert any("#ff0080" in s and "bold" in s and "underline" in s for s in styles)


@pytest.mark.parametrize("name", ["invalid_utf8", "clear_screen", "colour_logging"])
def test_split_at_every_byte_gives_the_same_result(name: str) -> None:
    data = fixture(name)
    whole = snapshot(feed(data))
    for cut in range(1, len(data)):
        assert snapshot(feed(data, [cut])) == whole, cut


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 4096])
@pytest.mark.parametrize("name", NAMES)
def test_fixed_chunk_sizes_give_the_same_result(name: str, size: int) -> None:
    data = fixture(name)
    if size == 1 and len(data) > 40_000:
        data = data[:40_000]
    whole = snapshot(feed(data))
    assert snapshot(feed(data, list(range(size, len(data), size)))) == whole


@pytest.mark.parametrize("name", NAMES)
def test_random_chunking_gives_the_same_result(name: str) -> None:
    data = fixture(name)
    whole = snapshot(feed(data))
    rng = random.Random(name)
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 300)))
        assert snapshot(feed(data, cuts)) == whole


@pytest.mark.parametrize("name", ["tqdm_nested", "rich_progress", "colour_logging"])
def test_live_recording_matches_pyte(name: str) -> None:
    data = record_program(name)
    assert len(data) > 100
    model = feed(data, wrap=True)
    screen = pyte_screen(data, COLUMNS, ROWS)
    assert model.screen_lines() == pyte_display(screen)
    assert model.plain_text().split("\n") == pyte_history(screen)


def test_live_tqdm_nested_leaves_only_the_outer_bar() -> None:
    text = feed(record_program("tqdm_nested")).plain_text()
    lines = text.split("\n")
    assert lines[:4] == [f"epoch {e}: loss={1.0 / (e + 1):.3f}" for e in range(4)]
    assert lines[4].startswith("epochs: 100%|") and lines[4].endswith("]")
    assert lines[5:] == ["done"]
    assert "epoch 3:" not in text.replace("epoch 3: loss", "")  # the leave=False bars are gone


def test_rich_progress_final_text() -> None:
    lines = feed(fixture("rich_progress")).plain_text().split("\n")
    assert lines[0] == "starting with rich"
    assert lines[1:4] == ["checkpoint 0", "checkpoint 10", "checkpoint 20"]
    assert lines[4].startswith("download") and lines[4].rstrip().endswith("0:00:00")
    assert lines[5].startswith("extract")
    assert lines[6] == "all done"


def test_recorder_runs_a_real_pty() -> None:
    data = record_program_inline("import os, sys; print(os.isatty(1), os.get_terminal_size())")
    assert b"True os.terminal_size(columns=160, lines=50)" in data
    assert data.endswith(b"\r\n")  # the pty's ONLCR turns \n into \r\n


def record_program_inline(code: str) -> bytes:
    from tests.logs.pty_recorder import record_pty

    return record_pty([sys.executable, "-c", code])


def test_live_two_megabyte_line_without_newline_stays_bounded() -> None:
    code = ("import sys; w = sys.stdout.buffer.write\n"
            "w(b'\\x1b[31m' + b'0123456789' * 200_000 + b'\\x1b[0m'); w(b'\\x00\\x00\\ttail\\n')")
    data = record_program_inline(code)
    model = TerminalModel(max_line_chars=1 << 16, max_lines=1000)
    for i in range(0, len(data), 4096):  # the sizes a pty read hands over
        model.feed(data[i:i + 4096])
    lengths = [len(model.plain_line(n)) for n in range(model.first_line, model.end_line)]
    assert lengths[:-2] == [1 << 16] * (2_000_000 // (1 << 16))
    assert model.plain_line(model.end_line - 2).endswith("789        tail")
    assert sum(lengths) == 2_000_000 + len("        tail")
    red = model.line(model.first_line).spans
    assert len(red) == 1 and (red[0].start, red[0].end) == (0, 1 << 16)
