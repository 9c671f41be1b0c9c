"""Why a run failed, read by the runner when it ends: the end of its log and the kernel's OOM count.

`logs.last_lines` reads the end of the log; `logs.failure` names the cause.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pyruns_tui.logs.last_lines import tail_lines

if TYPE_CHECKING:
    from pyruns_tui.logs.failure import FailureSummary

VMSTAT = "/proc/vmstat"


def oom_kills() -> int | None:
    """How many processes the kernel's OOM killer has killed since boot (Linux), or None."""
    try:  # os.open/os.read: a file object's open costs two fstats and an ioctl (at every run's start)
        fd = os.open(VMSTAT, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        parts = []
        while chunk := os.read(fd, 1 << 16):  # (~4 KB: one read, then the end)
            parts.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    data = b"".join(parts)
    at = data.find(b"\noom_kill ")
    if at < 0:
        return None
    end = data.find(b"\n", at + 1)
    try:
        return int(data[at + len(b"\noom_kill "): end if end >= 0 else None])
    except ValueError:
        return None


def read_failure(log_path: Path, *, exit_code: int | None, signal_number: int | None,
                 kernel_oom: bool) -> FailureSummary:
    """The cause of the failed run whose log is `log_path` (see logs.failure.summarize_failure)."""
    from pyruns_tui.logs.failure import FailureSummary, summarize_failure

    first, lines = tail_lines(log_path)
    summary = summarize_failure(lines, exit_code=exit_code, signal_number=signal_number,
                                kernel_oom=kernel_oom, first_line=first or 1)
    return summary if first is not None or summary.line is None else FailureSummary(summary.error)
