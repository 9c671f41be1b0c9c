"""Partial screen updates that send only the dirty cells, not the line up to them.

Textual's `ChopsUpdate.render_segments` crops a widget's line at the end of the dirty span but
not at its start ("TODO: crop to x extents" in textual/_compositor.py): refreshing one cell in
the middle of a table row re-sends the row from the widget's left edge, each segment with its
24-bit colour escapes. For the Manager's once-a-second duration cells that was ~350 bytes per
running task per second, over SSH. `CroppingCompositor` renders the same update, cropped to
where each dirty span starts as well.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.control import Control
from rich.segment import Segment
from textual._compositor import ChopsUpdate, Compositor, InlineUpdate, LayoutUpdate
from textual.strip import Strip

from pyruns_tui.printable import terminal_safe


def crop_start(strip: Strip, offset: int) -> int:
    """Where to start drawing `strip` to cover cells `offset`.. : `offset` itself, or the start of
    the segment holding it when that segment has non-ASCII text (cutting a double-width character
    in half would overwrite its neighbour with a space)."""
    position = 0
    for segment in strip:
        length = cell_len(segment.text)
        if position + length > offset:
            return offset if segment.text.isascii() else position
        position += length
    return offset


def crop_end(strip: Strip, offset: int) -> int:
    """Where to stop drawing `strip` to cover cells ..`offset`: `offset` itself, or the end of the
    segment holding cell `offset` when that segment has non-ASCII text (see `crop_start`)."""
    position = 0
    for segment in strip:
        length = cell_len(segment.text)
        if position + length > offset:
            return offset if position == offset or segment.text.isascii() else position + length
        position += length
    return offset


def safe_strip(strip: Strip) -> Strip:
    """`strip` with no control character in its text: a note, name or value holding `ESC ]52;...`
    that some widget shows unescaped can never act on the terminal."""
    if not any(terminal_safe(segment.text) is not segment.text for segment in strip if not segment.control):
        return strip
    return Strip([segment if segment.control else Segment(terminal_safe(segment.text), segment.style)
                  for segment in strip], strip.cell_length)


def safe_update(update: object) -> object:
    """A frame about to be written to the terminal, its strips passed through `safe_strip`."""
    if isinstance(update, LayoutUpdate):
        update.strips = [[safe_strip(strip) for strip in line] for line in update.strips]
    elif isinstance(update, InlineUpdate):
        update.strips = [safe_strip(strip) for strip in update.strips]
    elif isinstance(update, ChopsUpdate):
        chops = list(update.chops)
        for y, line in enumerate(chops):
            cleaned = {x: None if strip is None else safe_strip(strip) for x, strip in line.items()}
            if any(cleaned[x] is not strip for x, strip in line.items()):
                chops[y] = cleaned
        update.chops = chops
    return update


class CroppingChopsUpdate(ChopsUpdate):
    """A `ChopsUpdate` that writes only the cells of each dirty span (start and end cropped), and
    does not repeat a colour escape that is still in effect (the next cell of the same style
    somewhere else on the screen follows the cursor move without one)."""

    def render_segments(self, console: Console) -> str:
        try:
            return self._render_cropped(console)
        except (AttributeError, TypeError, ValueError, IndexError, KeyError):
            _STATE.fits = False  # Textual's private parts changed shape: its own updates from now on
            return super().render_segments(console)

    def _render_cropped(self, console: Console) -> str:
        move_to = Control.move_to
        color_system = console._color_system or ColorSystem.TRUECOLOR
        render_ansi, render_style = Strip.render_ansi, Strip.render_style
        sequences: list[str] = []
        append = sequences.append
        current = ""  # the SGR parameters in effect on the terminal ("": reset)
        chops, chop_ends = self.chops, self.chop_ends
        for y, x1, x2 in self.spans:
            line, ends = chops[y], chop_ends[y]
            for end, (x, strip) in zip(ends, line.items()):
                if strip is None or x > x2 or end <= x1:
                    continue
                start = crop_start(strip, x1 - x) if x < x1 else 0
                if start or end > x2:
                    strip = strip.crop(start, crop_end(strip, x2 - x) if end > x2 else end - x)
                append(move_to(x + start, y).segment.text)
                for text, style, _control in strip:
                    ansi = "" if style is None else (style._ansi if style._ansi is not None else render_ansi(style, color_system))
                    if style is not None and style._link:  # hyperlinks keep Textual's own rendering
                        if current:
                            append("\x1b[0m")
                            current = ""
                        append(render_style(style, text, color_system))
                        continue
                    if ansi != current:
                        append(f"\x1b[0m\x1b[{ansi}m" if current and ansi else "\x1b[0m" if current else f"\x1b[{ansi}m")
                        current = ansi
                    append(text)
        if current:
            append("\x1b[0m")
        return "".join(sequences)  # no newline between lines: each chop starts with a cursor move


class CroppingCompositor(Compositor):
    """A `Compositor` whose partial updates are `CroppingChopsUpdate`s."""

    def render_partial_update(self) -> ChopsUpdate | None:
        update = super().render_partial_update()
        if update is None or not _STATE.fits:
            return update
        try:
            return CroppingChopsUpdate(update.chops, update.spans, update.chop_ends)
        except (AttributeError, TypeError, ValueError):
            _STATE.fits = False
            return update


def textual_fits() -> bool:
    """Whether this Textual's partial updates are the ones `CroppingChopsUpdate` was written for
    (a private API: with any other shape, Textual's own rendering is used)."""
    import inspect

    try:
        parameters = list(inspect.signature(ChopsUpdate.__init__).parameters)
    except (TypeError, ValueError):
        return False
    return parameters == ["self", "chops", "spans", "chop_ends"] and callable(getattr(Compositor, "render_partial_update", None))


def use_cropping_compositor(screen: object) -> None:
    """Give `screen` a `CroppingCompositor` (before it is mounted); a no-op if Textual changed."""
    if type(getattr(screen, "_compositor", None)) is Compositor and _STATE.fits:
        screen._compositor = CroppingCompositor()  # type: ignore[attr-defined]


class _State:
    """Whether the cropping update may be used; checked at import, cleared for good on the first
    update whose Textual internals do not look as expected (at run time, not only construction)."""

    fits = textual_fits()


_STATE = _State()
