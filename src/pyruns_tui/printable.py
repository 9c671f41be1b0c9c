"""User-controlled text made safe to show on a terminal (task names, notes, params, config,
reasons, environment): control characters become visible `\\x1b`-style escapes, so a note can
never set the clipboard (OSC 52), the window title (OSC 0) or clear the screen. Task output has
its own renderer (logs/); every other display boundary calls `printable`."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls, DEL, and the bidi overrides/isolates that reorder what is shown
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # json escapes C0 itself
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character shown as an escape; `multiline` keeps \\n and \\t."""
    pattern = _UNSAFE_TEXT if multiline else _UNSAFE_LINE
    return pattern.sub(_escape, text) if pattern.search(text) else text


def terminal_safe(text: str) -> str:
    """`text` without the characters `printable` escapes (all have zero cell width, so the layout
    is unchanged): the TUI's last line of defence for any text that reaches a frame unescaped."""
    return _UNSAFE_LINE.sub("", text) if _UNSAFE_LINE.search(text) else text


def json_safe(text: str) -> str:
    """JSON text with the controls json leaves raw (C1, DEL, bidi) written as \\u escapes: the
    same data, harmless on a terminal (they can only occur inside JSON strings)."""
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) if _UNSAFE_JSON.search(text) else text


def char_cells(char: str) -> int:
    """Terminal cells one character takes: 2 if wide (CJK, fullwidth), 0 if a combining mark, else 1."""
    return 0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: 2 per wide (CJK, fullwidth) character, 0 per combining mark."""
    if text.isascii():
        return len(text)
    return sum(map(char_cells, text))


def pad_cells(text: str, width: int) -> str:
    """`text` padded with spaces to `width` terminal cells (`str.ljust` counts characters)."""
    return text + " " * (width - cell_width(text))


def cut_cells(text: str, width: int) -> str:
    """`text` if it fits in `width` terminal cells, else as much of its start as fits with `…`
    after it: one long value (a 100,000-character parameter) must not widen every row of a table."""
    if text.isascii():
        return text if len(text) <= width else text[:width - 1].rstrip() + "…"
    if cell_width(text) <= width:
        return text
    used = 0
    for i, char in enumerate(text):
        used += char_cells(char)
        if used > width - 1:  # (the `…` takes the last cell)
            return text[:i].rstrip() + "…"
    return text


def cut_cells_middle(text: str, width: int) -> str:
    """`text` if it fits in `width` terminal cells, else its start and its end with `…` between
    (`resnet50_imagenet_co…xup_ablation_1-of-2`): the names of one batch share their start and
    differ at their end, so a cut end would show every task of the batch under one name."""
    kept = middle_cut(text, width)
    if kept is None:
        return text
    return text[:kept[0]] + "…" + text[kept[1]:] if width > 0 else ""


def middle_cut(text: str, width: int) -> tuple[int, int] | None:
    """None if `text` fits in `width` cells, else (end of the start kept, start of the end kept),
    character indices, for `cut_cells_middle`: the `…` takes one cell, the start the odd one."""
    if cell_width(text) <= width:
        return None
    if width <= 1:
        return 0, len(text)  # (`…` alone)
    tail_room = (width - 1) // 2
    head_room = width - 1 - tail_room
    used, end = 0, 0
    while end < len(text) and used + char_cells(text[end]) <= head_room:
        used += char_cells(text[end])
        end += 1
    used, start = 0, len(text)
    while start > end and used + char_cells(text[start - 1]) <= tail_room:
        used += char_cells(text[start - 1])
        start -= 1
    return end, start


def cut_cells_start(text: str, width: int) -> str:
    """`text` if it fits in `width` terminal cells, else `…` and as much of its end as fits: where
    two long texts differ only at their end (`…the lazy dog A`, `…the lazy dog B`)."""
    if cell_width(text) <= width:
        return text
    used = 1  # (the `…` takes the first cell)
    for i in range(len(text) - 1, -1, -1):
        used += char_cells(text[i])
        if used > width:
            return "…" + text[i + 1:].lstrip()
    return text
