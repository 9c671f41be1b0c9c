"""Property tests: arbitrary bytes never break the model; generated programs match pyte."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pyruns_tui.logs.terminal import TerminalModel
from tests.logs.pyte_reference import (
    model_char_styles,
    pyte_char_styles,
    pyte_display,
    pyte_history,
    pyte_screen,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# fragments that make escape sequences, strings and UTF-8 likely in random input
_PIECES = [b"\x1b", b"[", b"]", b"?", b";", b":", b"1", b"2", b"38", b"5", b"m", b"A", b"B",
           b"H", b"J", b"K", b"L", b"M", b"P", b"@", b"X", b"\\", b"\x07", b"\r", b"\n", b"\t",
           b"\x08", b"\x00", b"\x9b", b"\xc3", b"\xa9", b"\xff", b"\xe2\x9c", b"x", b"yz ",
           b"(", b"7", b"8", b"c", b"D", b"E", b"_", b"^"]
noisy_bytes = st.one_of(st.binary(max_size=600),
                        st.lists(st.sampled_from(_PIECES), max_size=300).map(b"".join))


def feed_all(chunks: list[bytes], open_after: int | None = None,
             **kwargs: object) -> TerminalModel:
    model = TerminalModel(**kwargs)  # type: ignore[arg-type]
    if open_after is not None:
        model._open_after = open_after  # grow lines in pieces early, to exercise that path
    for chunk in chunks:
        model.feed(chunk)
    return model


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:])]


def observe(model: TerminalModel) -> tuple[object, ...]:
    lines = [(model.line(n).plain, model.line(n).spans)
             for n in range(model.first_line, model.end_line)]
    return model.first_line, model.screen_top, model.cursor, lines


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


@FUZZ
@given(data=noisy_bytes, cuts=st.lists(st.integers(0, 10_000), max_size=8),
       wrap=st.booleans(), open_after=st.sampled_from([None, 1, 3]))
def test_random_bytes_never_break_invariants(data: bytes, cuts: list[int], wrap: bool,
                                             open_after: int | None) -> None:
    model = feed_all(split(data, cuts), open_after, columns=8, height=4, wrap=wrap,
                     max_lines=6, max_line_chars=16)
    model.finish()
    row, col = model.cursor
    assert model.first_line <= model.screen_top <= row < model.screen_top + 4
    assert 0 <= col <= (8 if wrap else 16)
    assert model.end_line - model.first_line <= 6
    assert model.end_line <= model.screen_top + 4
    for n in range(model.first_line, model.end_line):
        text = model.line(n).plain
        assert not _CONTROL.search(text)
        assert len(text) <= (8 if wrap else 16)
        for span in model.line(n).spans:
            assert 0 <= span.start < span.end <= len(text)
    assert len(model.screen_lines()) == 4


@FUZZ
@given(data=noisy_bytes, cuts=st.lists(st.integers(0, 10_000), max_size=12),
       wrap=st.booleans(), open_after=st.sampled_from([1, 2, 5]))
def test_chunking_never_changes_the_result(data: bytes, cuts: list[int], wrap: bool,
                                           open_after: int) -> None:
    geometry = {"columns": 10, "height": 5, "wrap": wrap, "max_line_chars": 12}
    whole = feed_all([data], **geometry)
    pieces = feed_all(split(data, cuts), **geometry)
    assert observe(pieces) == observe(whole)
    assert observe(feed_all(split(data, cuts), open_after, **geometry)) == observe(whole)


_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .|#", min_size=1, max_size=14)
_n = st.integers(0, 7).map(lambda n: str(n) if n else "")
_sgr = st.lists(st.sampled_from(["0", "1", "3", "4", "7", "9", "22", "23", "24", "27", "31",
                                 "32", "39", "44", "49", "93", "38;5;200", "48;2;1;2;3"]),
                max_size=3).map(lambda p: f"\x1b[{';'.join(p)}m")
_ops = st.one_of(
    _words, _words, _words,
    st.sampled_from(["\r", "\n", "\r\n", "\t", "\x08", "\x0b", "\x1b7", "\x1b8", "\x1bM",
                     "\x1bD", "\x1bE", "\x1b[?7l", "\x1b[?7h", "\x1b[?25l", "\x1b]0;t\x07"]),
    _sgr,
    st.tuples(_n, st.sampled_from("ABCDEFGdXP@LM")).map(lambda t: f"\x1b[{t[0]}{t[1]}"),
    st.tuples(st.sampled_from(["", "0", "1", "2"]), st.sampled_from("JK")).map("\x1b[{0[0]}{0[1]}".format),
    st.tuples(_n, _n).map(lambda t: f"\x1b[{t[0]};{t[1]}H"),
)
# DECRC without DECSC, and DECAWM saved by DECSC, are where pyte and xterm part ways
programs = st.lists(_ops, max_size=60).map(lambda ops: "\x1b7" + "".join(ops))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, cuts=st.lists(st.integers(0, 10_000), max_size=6),
       open_after=st.sampled_from([None, 2]))
def test_generated_programs_match_pyte(program: str, cuts: list[int],
                                       open_after: int | None) -> None:
    assume(not ("\x1b[?7" in program and "\x1b8" in program))
    data = program.encode()
    screen = pyte_screen(data, 12, 5)
    model = feed_all(split(data, cuts), open_after, columns=12, height=5, wrap=True)
    assert model.screen_lines() == pyte_display(screen)
    if "\x1b[2J" not in program:  # the model keeps an erased screen in its scrollback
        text = model.plain_text()
        assert (text.split("\n") if text else []) == pyte_history(screen)
    for row in range(5):
        n = model.screen_top + row
        if n < model.end_line:
            text = model.line(n).plain.ljust(12)
            mine, ref = model_char_styles(model, n, 12), pyte_char_styles(screen, row)
            assert [m for m, c in zip(mine, text) if c != " "] == \
                   [r for r, c in zip(ref, text) if c != " "]
