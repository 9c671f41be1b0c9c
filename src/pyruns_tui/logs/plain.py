"""Plain text of a terminal log: what `pyr-tui log --plain` prints.

ANSI styling is removed and `\\r` overwrites / cursor-up redraws (tqdm, rich) are applied, so
the result is the full history a terminal would finally show. It streams: lines are emitted
as soon as they scroll off the terminal's screen, so memory is bounded by the screen and one
chunk, whatever the size of the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyruns_tui.logs.terminal import TerminalModel

_SPLIT = 1 << 20  # a single bytes object is fed in pieces of this size
PLAIN_MAX_LINE_CHARS = 1 << 16  # longer lines are split (a terminal would wrap them too); the 50 lines of the screen stay small


def _chunks(data: bytes | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        for i in range(0, len(view), _SPLIT):
            yield bytes(view[i:i + _SPLIT])
    else:
        yield from data


def iter_plain_lines(data: bytes | Iterable[bytes], *, height: int = 50, columns: int = 160,
                     wrap: bool = False) -> Iterator[str]:
    """Yield the final text of each line (no newline, trailing spaces stripped) in order.

    `height` is the screen height the program saw (cursor-up cannot reach above it); with
    `wrap=True` lines wrap at `columns` like the real terminal did. Trailing blank lines at
    the very end are not yielded.
    """
    model = TerminalModel(columns=columns, height=height, wrap=wrap, styles=False,
                          max_lines=1 << 62, max_line_chars=PLAIN_MAX_LINE_CHARS)
    done = 0
    for chunk in _chunks(data):
        model.feed(chunk)
        top = model.screen_top
        if top > done:
            for n in range(done, top):
                yield model.plain_line(n)
            done = top
            model.discard_lines_before(done)
    model.finish()
    tail = [model.plain_line(n) for n in range(max(done, model.first_line), model.end_line)]
    while tail and not tail[-1]:
        tail.pop()
    yield from tail


def render_plain(data: bytes | Iterable[bytes], *, height: int = 50, columns: int = 160,
                 wrap: bool = False) -> str:
    """The whole plain text, each line ending with a newline ('' for an empty log)."""
    return "".join(line + "\n" for line in iter_plain_lines(
        data, height=height, columns=columns, wrap=wrap))
