"""Style runs of one terminal line and the edits a terminal makes to them.

A line's styling is a sorted list of non-overlapping runs `(start, end, state)` covering only
styled characters (default-styled text has no run); `None` stands for an unstyled line.
"""

from __future__ import annotations

from pyruns_tui.logs.sgr import SgrState

Run = tuple[int, int, SgrState]


def clip_runs(runs: list[Run] | None, start: int, end: int) -> list[Run] | None:
    """The parts of `runs` inside [start, end)."""
    if not runs:
        return None
    out = [(max(a, start), min(b, end), st) for a, b, st in runs if b > start and a < end]
    return out or None


def splice_runs(runs: list[Run] | None, start: int, end: int,
                state: SgrState | None) -> list[Run] | None:
    """`runs` with [start, end) overwritten by text in `state` (None: default style)."""
    out: list[Run] = []
    if runs:
        for a, b, st in runs:
            if b <= start:
                out.append((a, b, st))
            elif a < start:
                out.append((a, start, st))
    if state is not None:
        if out and out[-1][1] == start and out[-1][2] == state:
            out[-1] = (out[-1][0], end, state)
        else:
            out.append((start, end, state))
    if runs:
        for a, b, st in runs:
            if a >= end:
                out.append((a, b, st))
            elif b > end:
                out.append((end, b, st))
    return out or None


def insert_gap(runs: list[Run] | None, at: int, delta: int) -> list[Run] | None:
    """Shift runs right of `at` by `delta`: insert blanks (delta > 0) or delete chars (< 0)."""
    if not runs:
        return None
    out: list[Run] = []
    if delta >= 0:
        for a, b, st in runs:
            if b <= at:
                out.append((a, b, st))
            elif a >= at:
                out.append((a + delta, b + delta, st))
            else:
                out.append((a, at, st))
                out.append((at + delta, b + delta, st))
        return out
    cut = at - delta
    for a, b, st in runs:
        na = a if a < at else max(at, a + delta)
        nb = b if b <= at else max(at, b + delta)
        if a >= at and a < cut:
            na = at
        if nb > na:
            out.append((na, nb, st))
    return out or None
