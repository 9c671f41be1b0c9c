"""The last lines of a run log as plain text, with the log line number of the first.

Only the last `TAIL_BYTES` of the log go through the terminal model; the lines above are counted
by their newlines, so the number is exact unless lines redrawn with cursor movements
(multi-bar progress output) came before that tail.
"""

from __future__ import annotations

from pathlib import Path

from pyruns_tui.contracts import PTY_COLUMNS, PTY_ROWS

TAIL_BYTES = 256 * 1024
COUNT_CHUNK = 1 << 20
MAX_COUNTED_BYTES = 256 << 20  # above this, newlines are not counted: no error_line (no long stall)


def _newlines_before(path: Path, offset: int) -> int | None:
    if offset > MAX_COUNTED_BYTES:
        return None
    count = 0
    try:
        with open(path, "rb") as fh:
            while offset > 0:
                chunk = fh.read(min(COUNT_CHUNK, offset))
                if not chunk:
                    break
                count += chunk.count(b"\n")
                offset -= len(chunk)
    except OSError:
        return None
    return count


def tail_lines(log_path: Path, max_bytes: int = TAIL_BYTES) -> tuple[int | None, list[str]]:
    """The plain lines of the end of a run log, and the 1-based log line number of the first
    (None when the log is too big to count the lines above)."""
    # the terminal model (and rich) are loaded at the first failure, not at every runner start
    from pyruns_tui.logs.plain import iter_plain_lines
    from pyruns_tui.logs.tail import LogFile

    start, data = LogFile(log_path).read_tail(max_bytes)
    before = _newlines_before(log_path, start) if start else 0
    lines = list(iter_plain_lines(data, height=PTY_ROWS, columns=PTY_COLUMNS))
    return (None if before is None else before + 1), lines
