"""TerminalModel behaviours: text, control characters, escapes, styles, bounds, change tracking."""

from __future__ import annotations

import pytest
from rich.color import Color
from rich.style import Style

from pyruns_tui.logs.terminal import TerminalModel


def model_of(*chunks: bytes, **kwargs: object) -> TerminalModel:
    model = TerminalModel(**kwargs)  # type: ignore[arg-type]
    for chunk in chunks:
        model.feed(chunk)
    return model


def text_of(*chunks: bytes, **kwargs: object) -> str:
    return model_of(*chunks, **kwargs).plain_text()


def styles_of(model: TerminalModel, n: int) -> list[tuple[str, Style]]:
    line = model.line(n)
    return [(line.plain[s.start:s.end], s.style) for s in line.spans]  # type: ignore[misc]


def test_empty_model_has_one_blank_line() -> None:
    model = TerminalModel()
    assert (model.first_line, model.end_line, model.line_count) == (0, 1, 1)
    assert model.plain_text() == ""
    assert model.plain_line(0) == ""


def test_lf_crlf_and_vt_ff_all_start_lines_at_column_zero() -> None:
    assert text_of(b"a\nb\r\nc\x0bd\x0ce") == "a\nb\nc\nd\ne"


def test_carriage_return_overwrites_in_place() -> None:
    assert text_of(b" 10%|#   |\r 50%|##  |\r100%|####|\r\n") == "100%|####|"


def test_shorter_overwrite_keeps_the_rest_of_the_line() -> None:
    assert text_of(b"abcdef\rXY") == "XYcdef"


def test_cr_split_from_lf_across_feeds() -> None:
    assert text_of(b"one\r", b"\ntwo\r", b"\n") == "one\ntwo"


def test_tabs_move_to_multiples_of_eight() -> None:
    assert text_of(b"a\tb\tc\n\tx\nabcdefgh\ty") == "a       b       c\n        x\nabcdefgh        y"


def test_tab_over_existing_text_does_not_erase_it() -> None:
    assert text_of(b"0123456789\r\tX") == "01234567X9"


def test_backspace_moves_left_without_erasing() -> None:
    assert text_of(b"abc\x08\x08X\n\x08\x08start") == "aXc\nstart"


def test_nul_bell_and_other_controls_are_dropped() -> None:
    assert text_of(b"a\x00b\x07c\x01d\x7fe\x0ef\x0fg") == "abcdefg"


def test_trailing_spaces_and_trailing_blank_lines_are_not_shown() -> None:
    model = model_of(b"x   \n\n\n  \n")
    assert model.plain_text() == "x"
    assert model.plain_line(0) == "x"
    assert model.line(0).plain == "x   "


@pytest.mark.parametrize("text", ["é", "✓", "🚀", "日本"])
def test_multibyte_character_split_between_feeds(text: str) -> None:
    data = f"<{text}>".encode()
    for cut in range(1, len(data)):
        assert text_of(data[:cut], data[cut:]) == f"<{text}>"


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert text_of(b"a\xffb\xc3 c\xe2\x9cd") == "a\ufffdb\ufffd c\ufffdd"


def test_dangling_partial_character_is_flushed_by_finish() -> None:
    model = model_of(b"ok\xe2\x9c")
    assert model.plain_text() == "ok"
    model.finish()
    assert model.plain_text() == "ok\ufffd"


def test_cursor_up_redraws_an_earlier_line() -> None:
    data = b"outer 0%\r\ninner 0%\x1b[A\router 50%\r\n\rinner 99%\x1b[A\r\nend"
    assert text_of(data) == "outer 50%\nender 99%"


def test_cursor_up_stops_at_the_top_of_the_screen() -> None:
    model = model_of(b"".join(b"%d\n" % i for i in range(20)), b"\x1b[99AX", height=5)
    assert model.screen_top == 16
    assert model.plain_line(16) == "X6"
    assert model.plain_line(15) == "15"


def test_cursor_down_and_column_moves() -> None:
    assert text_of(b"abc\n\x1b[A\x1b[2Bx\x1b[10Gy\x1b[3Dz\x1b[2Cw") == "abc\n\nx      z yw"


def test_cursor_position_is_relative_to_the_screen() -> None:
    model = model_of(b"".join(b"%d\n" % i for i in range(10)), b"\x1b[2;3HX", height=4)
    assert model.screen_top == 7
    assert model.plain_line(8) == "8 X"


def test_erase_line_modes() -> None:
    assert text_of(b"abcdef\x1b[3G\x1b[K") == "ab"
    assert text_of(b"abcdef\x1b[3G\x1b[1K") == "   def"
    assert text_of(b"abcdef\x1b[3G\x1b[2Kx") == "  x"


def test_erase_display_below_and_above() -> None:
    assert text_of(b"1\n2\n3\n4\x1b[2;2H\x1b[J") == "1\n2"
    assert text_of(b"11\n22\n33\x1b[2;1H\x1b[1J") == "\n 2\n33"


def test_clear_screen_keeps_the_old_screen_in_the_scrollback() -> None:
    model = model_of(b"old 1\nold 2\n\x1b[H\x1b[2Jnew")
    assert model.plain_text() == "old 1\nold 2\n\nnew"
    assert model.screen_lines()[0] == "new"


def test_clear_of_a_blank_screen_adds_no_lines() -> None:
    assert model_of(b"\x1b[H\x1b[2Jhello").plain_text() == "hello"


def test_insert_delete_and_erase_characters() -> None:
    assert text_of(b"abcdef\x1b[3G\x1b[2P") == "abef"
    assert text_of(b"abcdef\x1b[3G\x1b[2@") == "ab  cdef"
    assert text_of(b"abcdef\x1b[3G\x1b[2X") == "ab  ef"


def test_insert_and_delete_lines() -> None:
    assert text_of(b"1\n2\n3\x1b[2;1H\x1b[L") == "1\n\n2\n3"
    assert text_of(b"1\n2\n3\x1b[1;1H\x1b[M") == "2\n3"


def test_reverse_index_at_the_top_pushes_lines_down() -> None:
    assert text_of(b"a\nb\x1b[H\x1bMtop") == "top\na\nb"
    assert text_of(b"a\nb\x1bMX") == "aX\nb"


def test_save_and_restore_cursor_dec_and_ansi() -> None:
    assert text_of(b"\x1b7saved\x1b8S") == "Saved"
    assert text_of(b"ab\x1b[s123\x1b[u4") == "ab423"


def test_restored_style_comes_back_with_the_cursor() -> None:
    model = model_of(b"\x1b[31m\x1b7\x1b[0m\x1b8red\x1b[0m plain")
    assert styles_of(model, 0) == [("red", Style(color=Color.from_ansi(1)))]


def test_osc_title_and_hyperlinks_are_swallowed_even_when_split() -> None:
    data = b"a\x1b]0;title\x07b\x1b]8;;https://x.y\x1b\\c\x1b]8;;\x1b\\d"
    for cut in range(1, len(data)):
        assert text_of(data[:cut], data[cut:]) == "abcd", cut


def test_unterminated_osc_ends_at_the_next_newline() -> None:
    assert text_of(b"a\x1b]0;never terminated\nnext line\n") == "a\nnext line"


def test_unknown_and_private_sequences_leave_text_intact() -> None:
    data = (b"\x1b[?1049h\x1b[?25l\x1b[>c\x1b(B\x1b)0\x1b=\x1b>\x1b[5 q\x1b[1;24r\x1b[6n"
            b"\x1b[!p\x1bPq#0;2;0;0;0\x1b\\\x1b_apc\x1b\\\x1b[?2004hkept\x1b[?25h")
    assert text_of(data) == "kept"


def test_escape_split_at_every_position() -> None:
    data = b"a\x1b[38;2;10;20;30mX\x1b[0mb"
    whole = model_of(data)
    for cut in range(1, len(data)):
        model = model_of(data[:cut], data[cut:])
        assert model.plain_text() == "aXb"
        assert model.line(0).spans == whole.line(0).spans


def test_broken_csi_is_dropped_without_eating_text() -> None:
    assert text_of(b"a\x1b[12\x1b[31mb") == "ab"
    assert text_of(b"a\x1b\x1b[0mb") == "ab"


def test_huge_incomplete_csi_is_not_buffered_forever() -> None:
    model = model_of(b"x\x1b[" + b"1" * 10_000, b"m after")
    assert model.plain_text() == "xm after"


def test_a_red_word_is_red() -> None:
    model = model_of(b"this is \x1b[31mred\x1b[0m and not")
    assert model.plain_line(0) == "this is red and not"
    assert styles_of(model, 0) == [("red", Style(color=Color.from_ansi(1)))]


def test_256_colour_truecolor_and_background() -> None:
    model = model_of(b"\x1b[38;5;208ma\x1b[38;2;1;2;3mb\x1b[48;5;21mc\x1b[38:2::9:8:7md\x1b[0me")
    assert styles_of(model, 0) == [
        ("a", Style(color=Color.from_ansi(208))),
        ("b", Style(color=Color.from_rgb(1, 2, 3))),
        ("c", Style(color=Color.from_rgb(1, 2, 3), bgcolor=Color.from_ansi(21))),
        ("d", Style(color=Color.from_rgb(9, 8, 7), bgcolor=Color.from_ansi(21))),
    ]


def test_attributes_and_their_resets() -> None:
    model = model_of(b"\x1b[1;2;3;4;7;9ma\x1b[22;23mb\x1b[24;27;29mc\x1b[mn\x1b[92;101mx")
    assert styles_of(model, 0) == [
        ("a", Style(bold=True, dim=True, italic=True, underline=True, reverse=True, strike=True)),
        ("b", Style(underline=True, reverse=True, strike=True)),
        ("x", Style(color=Color.from_ansi(10), bgcolor=Color.from_ansi(9))),
    ]


def test_style_is_kept_across_lines_and_overwrites() -> None:
    model = model_of(b"\x1b[32mgreen\ngreen too\x1b[0m\rplain")
    green = Style(color=Color.from_ansi(2))
    assert styles_of(model, 0) == [("green", green)]
    assert model.plain_line(1) == "plain too"
    assert styles_of(model, 1) == [(" too", green)]


def test_private_sequences_ending_in_m_are_not_styles() -> None:
    model = model_of(b"\x1b[31m\x1b[>4;2mred\x1b[?0m")
    assert styles_of(model, 0) == [("red", Style(color=Color.from_ansi(1)))]


def test_styles_can_be_turned_off() -> None:
    model = model_of(b"\x1b[31mred\x1b[0m", styles=False)
    assert model.plain_line(0) == "red" and model.line(0).spans == []


def test_wrap_mode_wraps_at_columns_like_a_terminal() -> None:
    assert text_of(b"0123456789abc\n", columns=10, wrap=True) == "0123456789\nabc"
    assert text_of(b"0123456789\r\n", columns=10, wrap=True) == "0123456789"


def test_autowrap_off_piles_up_in_the_last_column() -> None:
    assert text_of(b"\x1b[?7l0123456789abc", columns=10, wrap=True) == "012345678c"


def test_default_keeps_long_lines_whole() -> None:
    assert text_of(b"x" * 500 + b"\n", columns=80) == "x" * 500


def test_ten_megabyte_line_is_split_at_max_line_chars() -> None:
    model = TerminalModel(max_line_chars=1 << 16)
    chunk = b"0123456789abcdef" * 4096
    for _ in range(160):  # 10 MiB without a newline
        model.feed(chunk)
    assert model.line_count == 160
    assert all(len(model.plain_line(n)) == 1 << 16 for n in range(160))
    assert model.plain_line(159).endswith("cdef")


def test_long_line_grows_in_linear_time() -> None:
    # quadratic appending would copy ~64 GB here and hit the test timeout
    model = TerminalModel(max_line_chars=1 << 23)
    for _ in range(32_768):
        model.feed(b"y" * 256)
    assert model.line_count == 1
    assert len(model.plain_line(0)) == 1 << 23


def test_scrollback_is_bounded_and_numbering_stable() -> None:
    model = model_of(b"".join(b"line %d\n" % i for i in range(1000)), max_lines=100)
    assert model.line_count == 100
    assert model.first_line == model.total_lines_dropped == 901
    assert model.end_line == 1001
    assert model.plain_line(901) == "line 901"
    assert model.plain_line(999) == "line 999"
    with pytest.raises(IndexError):
        model.plain_line(900)
    with pytest.raises(IndexError):
        model.line(1001)


def test_scrollback_never_smaller_than_the_screen() -> None:
    model = model_of(b"".join(b"%d\n" % i for i in range(100)), b"\x1b[9A!", max_lines=3,
                     height=10)
    assert model.line_count == 10
    assert model.plain_line(91) == "!1"


def test_many_lines_held_in_bounded_memory() -> None:
    model = TerminalModel(max_lines=1000)
    for i in range(200):
        model.feed(b"".join(b"row %d\r\n" % (i * 1000 + j) for j in range(1000)))
    assert model.line_count == 1000
    assert len(model._texts) < 1000 + 2 * model._slack
    assert model.plain_line(model.end_line - 2) == "row 199999"


def test_changed_since_reports_only_redrawn_and_new_lines() -> None:
    model = model_of(b"".join(b"log %d\n" % i for i in range(200)), b"bar 1%\r\nbar 2%")
    seen = model.version
    model.feed(b"\x1b[A\rbar 50%\x1b[B\rbar 60%")
    assert model.changed_since(seen) == [200, 201]
    seen = model.version
    model.feed(b"\r\nnew line\n")
    assert model.changed_since(seen) == [202, 203]
    assert model.changed_since(model.version) == []


def test_line_text_is_cached_until_the_line_changes() -> None:
    model = model_of(b"first\nsecond")
    a, b = model.line(0), model.line(1)
    model.feed(b" more")
    assert model.line(0) is a
    assert model.line(1) is not b and model.line(1).plain == "second more"
    assert model.line_version(1) == model.version > model.line_version(0)


def test_discard_lines_before_never_drops_screen_lines() -> None:
    model = model_of(b"".join(b"%d\n" % i for i in range(30)), height=10)
    model.discard_lines_before(1000)
    assert model.first_line == model.screen_top == 21
    assert model.plain_line(21) == "21"


def test_escape_held_back_across_feeds_keeps_its_place() -> None:
    # found by fuzzing: an aborted CSI at a chunk's end and an ESC held back by the previous cut
    # used to overwrite each other, so the OSC after them leaked out as text
    data = b"\x1b[\x1b[\x1b]8;;http://x\x1b\\\x1b[\x1b[\x1b[\x1b[\tend"
    whole = TerminalModel()
    whole.feed(data)
    for cut in range(len(data) + 1):
        split = TerminalModel()
        split.feed(data[:cut])
        split.feed(data[cut:])
        assert split.plain_text() == whole.plain_text()
    assert "http" not in whole.plain_text()
