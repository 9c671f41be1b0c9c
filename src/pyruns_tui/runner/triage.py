"""Why a run failed, read by the runner when it ends: the end of its log and the kernel's OOM count.

Only the last `TAIL_BYTES` of the log go through the terminal model (`logs.failure` does the
naming); the lines above are counted by their newlines, so `error_line` is exact unless lines
redrawn with cursor movements (multi-bar progress output) came before that tail.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pyruns_tui.runner.launch import PTY_COLUMNS, PTY_ROWS

if TYPE_CHECKING:
    from pyruns_tui.logs.failure import FailureSummary

TAIL_BYTES = 256 * 1024
COUNT_CHUNK = 1 << 20
MAX_COUNTED_BYTES = 256 << 20  # above this, newlines are not counted: no error_line (no long stall)
VMSTAT = "/proc/vmstat"


def oom_kills() -> int | None:
    """How many processes the kernel's OOM killer has killed since boot (Linux), or None."""
    try:
        with open(VMSTAT, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    at = data.find(b"\noom_kill ")
    if at < 0:
        return None
    end = data.find(b"\n", at + 1)
    try:
        return int(data[at + len(b"\noom_kill "): end if end >= 0 else None])
    except ValueError:
        return None


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


def read_failure(log_path: Path, *, exit_code: int | None, signal_number: int | None,
                 kernel_oom: bool) -> FailureSummary:
    """The cause of the failed run whose log is `log_path` (see logs.failure.summarize_failure)."""
    from pyruns_tui.logs.failure import FailureSummary, summarize_failure

    first, lines = tail_lines(log_path)
    summary = summarize_failure(lines, exit_code=exit_code, signal_number=signal_number,
                                kernel_oom=kernel_oom, first_line=first or 1)
    return summary if first is not None or summary.line is None else FailureSummary(summary.error)
