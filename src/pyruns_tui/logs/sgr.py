"""SGR (Select Graphic Rendition) state: the colours and attributes of terminal text.

A state is a small immutable tuple `(fg, bg, attrs)` so it can be compared, hashed and
stored in style runs cheaply; `None` stands for the default state (no styling). Colours
are ints: -1 default, 0-255 palette index, `TRUECOLOR | 0xRRGGBB` for 24-bit colour.
"""

from __future__ import annotations

from rich.color import Color
from rich.style import Style

SgrState = tuple[int, int, int]

DEFAULT_COLOR = -1
TRUECOLOR = 1 << 24

BOLD = 1
DIM = 2
ITALIC = 4
UNDERLINE = 8
BLINK = 16
REVERSE = 32
CONCEAL = 64
STRIKE = 128
OVERLINE = 256
UNDERLINE2 = 512

_SET_ATTR = {1: BOLD, 2: DIM, 3: ITALIC, 4: UNDERLINE, 5: BLINK, 6: BLINK, 7: REVERSE,
             8: CONCEAL, 9: STRIKE, 21: UNDERLINE2, 53: OVERLINE}
_CLEAR_ATTR = {22: BOLD | DIM, 23: ITALIC, 24: UNDERLINE | UNDERLINE2, 25: BLINK, 27: REVERSE,
               28: CONCEAL, 29: STRIKE, 55: OVERLINE}

SGR_TRANSITIONS: dict[tuple[SgrState | None, str], SgrState | None] = {}
_MEMO_MAX = 4096
_STYLES: dict[SgrState, Style] = {}


def _int(text: str) -> int:
    """A parameter as an int; empty or malformed parameters read as 0 like terminals do."""
    return int(text) if text.isdigit() else 0


def _extended_color(args: list[str]) -> tuple[int | None, int]:
    """Parse the arguments after 38/48 (`5;n` or `2;r;g;b`): (colour or None, args consumed)."""
    if not args:
        return None, 0
    mode = args[0]
    if mode == "5":
        if len(args) < 2:
            return None, len(args)
        return min(_int(args[1]), 255), 2
    if mode == "2":
        if len(args) < 4:
            return None, len(args)
        r, g, b = (min(_int(x), 255) for x in args[1:4])
        return TRUECOLOR | (r << 16) | (g << 8) | b, 4
    return None, 1


def _colon_color(sub: list[str]) -> int | None:
    """Parse the colon form `38:5:n`, `38:2:r:g:b` or `38:2:cs:r:g:b` (sub excludes the 38)."""
    if len(sub) >= 2 and sub[0] == "5":
        return min(_int(sub[1]), 255)
    if sub and sub[0] == "2":
        rgb = sub[-3:] if len(sub) >= 4 else []
        if len(rgb) == 3:
            r, g, b = (min(_int(x), 255) for x in rgb)
            return TRUECOLOR | (r << 16) | (g << 8) | b
    return None


def _apply(state: SgrState, params: str) -> SgrState:
    fg, bg, attrs = state
    items = params.split(";")
    i = 0
    n = len(items)
    while i < n:
        item = items[i]
        i += 1
        if ":" in item:
            sub = item.split(":")
            code = _int(sub[0])
            if code in (38, 48):
                color = _colon_color(sub[1:])
                if color is not None:
                    if code == 38:
                        fg = color
                    else:
                        bg = color
            elif code == 4:
                attrs = attrs | UNDERLINE if _int(sub[1]) else attrs & ~(UNDERLINE | UNDERLINE2)
            continue
        code = _int(item)
        if code == 0:
            fg, bg, attrs = DEFAULT_COLOR, DEFAULT_COLOR, 0
        elif 30 <= code <= 37:
            fg = code - 30
        elif 40 <= code <= 47:
            bg = code - 40
        elif 90 <= code <= 97:
            fg = code - 90 + 8
        elif 100 <= code <= 107:
            bg = code - 100 + 8
        elif code == 39:
            fg = DEFAULT_COLOR
        elif code == 49:
            bg = DEFAULT_COLOR
        elif code in _SET_ATTR:
            attrs |= _SET_ATTR[code]
        elif code in _CLEAR_ATTR:
            attrs &= ~_CLEAR_ATTR[code]
        elif code in (38, 48):
            color, used = _extended_color(items[i:])
            i += used
            if color is not None:
                if code == 38:
                    fg = color
                else:
                    bg = color
        # anything else (fonts, 58 underline colour, ...) is ignored
    return fg, bg, attrs


def apply_sgr(state: SgrState | None, params: str) -> SgrState | None:
    """The state after `CSI <params> m`; `None` means the default state."""
    key = (state, params)
    cached = SGR_TRANSITIONS.get(key)
    if cached is not None or key in SGR_TRANSITIONS:
        return cached
    if params[:1] in ("<", "=", ">", "?"):
        result = state  # private sequences ending in m (e.g. xterm key modes) are not SGR
    else:
        new = _apply(state or (DEFAULT_COLOR, DEFAULT_COLOR, 0), params)
        result = None if new == (DEFAULT_COLOR, DEFAULT_COLOR, 0) else new
    if len(SGR_TRANSITIONS) >= _MEMO_MAX:
        SGR_TRANSITIONS.clear()  # bounded memo: programs use a handful of styles
    SGR_TRANSITIONS[key] = result
    return result


def _color(value: int) -> Color | None:
    if value < 0:
        return None
    if value & TRUECOLOR:
        return Color.from_rgb((value >> 16) & 255, (value >> 8) & 255, value & 255)
    return Color.from_ansi(value)


def to_rich_style(state: SgrState) -> Style:
    """The rich Style that renders a (non-default) SGR state; cached per state."""
    style = _STYLES.get(state)
    if style is None:
        fg, bg, a = state
        style = Style(
            color=_color(fg), bgcolor=_color(bg),
            bold=bool(a & BOLD) or None, dim=bool(a & DIM) or None,
            italic=bool(a & ITALIC) or None, underline=bool(a & UNDERLINE) or None,
            blink=bool(a & BLINK) or None, reverse=bool(a & REVERSE) or None,
            conceal=bool(a & CONCEAL) or None, strike=bool(a & STRIKE) or None,
            overline=bool(a & OVERLINE) or None, underline2=bool(a & UNDERLINE2) or None,
        )
        if len(_STYLES) >= _MEMO_MAX:
            _STYLES.clear()
        _STYLES[state] = style
    return style
