"""render_plain / iter_plain_lines: the text a terminal finally shows, streamed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyruns_tui.logs import plain
from pyruns_tui.logs.plain import iter_plain_lines, render_plain
from pyruns_tui.logs.terminal import TerminalModel
from tests.logs.pty_recorder import FIXTURES, program_names


def test_ansi_removed_and_carriage_returns_applied() -> None:
    data = b"\x1b[32mINFO\x1b[0m start\r\n 10%|#  |\r 100%|###|\r\n\x1b[1mdone\x1b[0m\r\n"
    assert render_plain(data) == "INFO start\n 100%|###|\ndone\n"


def test_empty_log_renders_as_empty_text() -> None:
    assert render_plain(b"") == ""
    assert render_plain([]) == ""


def test_last_line_without_newline_is_kept() -> None:
    assert render_plain(b"a\nb") == "a\nb\n"


def test_trailing_blank_lines_are_dropped_but_inner_ones_kept() -> None:
    assert render_plain(b"a\n\n\nb\n\n\n") == "a\n\n\nb\n"


@pytest.mark.parametrize("name", program_names())
def test_matches_the_model_for_every_fixture(name: str) -> None:
    data = (FIXTURES / f"{name}.bin").read_bytes()
    model = TerminalModel()
    model.feed(data)
    model.finish()
    expected = model.plain_text()
    assert render_plain(data) == (expected + "\n" if expected else "")
    small_chunks = (data[i:i + 5] for i in range(0, len(data), 5))
    assert render_plain(small_chunks) == render_plain(data)


def test_multi_bar_tqdm_redraws_leave_only_final_bars() -> None:
    text = render_plain((FIXTURES / "tqdm_scrolling.bin").read_bytes())
    lines = text.splitlines()
    assert lines[:80] == [f"step {s:02d} loss={1 / (s + 1):.4f}" for s in range(80)]
    assert lines[80].startswith("steps: 100%|") and "80/80" in lines[80]
    assert lines[81:] == ["scrolled"]


def test_full_history_beyond_one_screen_and_scrollback() -> None:
    data = b"".join(b"\x1b[33mline\x1b[0m %d\r\n" % i for i in range(100_000))
    lines = list(iter_plain_lines(data))
    assert len(lines) == 100_000
    assert lines[0] == "line 0" and lines[-1] == "line 99999"


def test_streams_lines_before_the_input_ends() -> None:
    consumed = 0

    def chunks() -> Iterator[bytes]:
        nonlocal consumed
        for i in range(1000):
            consumed += 1
            yield b"".join(b"chunk %d line %d\n" % (i, j) for j in range(100))

    lines = iter_plain_lines(chunks())
    assert next(lines) == "chunk 0 line 0"
    assert consumed == 1
    for _ in range(10_000):
        next(lines)
    assert consumed <= 102


def test_memory_is_bounded_by_the_screen_while_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    held: list[int] = []

    class Spy(TerminalModel):
        def feed(self, data: bytes) -> None:
            super().feed(data)
            held.append(len(self._texts))

    monkeypatch.setattr(plain, "TerminalModel", Spy)
    total = sum(1 for _ in iter_plain_lines(b"x" * 10 + b"\n" for _ in range(200_000)))
    assert total == 200_000
    assert max(held) < 70_000  # screen + compaction slack, never the whole log


def test_cursor_up_cannot_reach_lines_already_emitted() -> None:
    data = b"".join(b"%d\n" % i for i in range(10)) + b"\x1b[20Aover"
    assert render_plain(data, height=3).splitlines() == [
        "0", "1", "2", "3", "4", "5", "6", "7", "over", "9"]


def test_wrap_option_wraps_like_the_terminal_did() -> None:
    assert render_plain(b"abcdefghij\n", columns=4, wrap=True) == "abcd\nefgh\nij\n"
    assert render_plain(b"abcdefghij\n", columns=4) == "abcdefghij\n"


def test_invalid_utf8_and_nul_bytes() -> None:
    assert render_plain(b"a\x00b\xffc\xe2\x9c") == "ab\ufffdc\ufffd\n"
