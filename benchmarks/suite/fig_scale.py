"""Figure 8: scale, every figure of a workspace of 1,000 / 10,000 / 100,000 tasks (bench_scale.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from suite.context import Context
from suite.harness import BenchError, Goal, Measurement
from suite.peers import BENCH_DIR

# (key in bench_scale.summary, title, unit, goal, limit); the goals are issue 21's at 100,000 tasks
# (its "Manager first paint" is the first screen a user sees; the whole table is shown as it grows)
FIGURES = (
    ("gen_s", "`gen` of a batch (the slowest; 10,000 a batch)", "s", "< 2 s", 2.0),
    ("ls_s", "`ls`", "s", "< 3 s", 3.0),
    ("ls_failed_s", "`ls status:failed`", "s", "< 1 s", 1.0),
    ("ls_param_s", "`ls 'lr>=0.01'` (a comparison of a parameter)", "s", "", None),
    ("screen_s", "Manager first screen (from 10,000 tasks: the first page)", "s", "< 1.5 s", 1.5),
    ("paint_s", "Manager, every task in the table", "s", "", None),
    ("key_ms", "Manager search keystroke (median)", "ms", "< 100 ms", 100.0),
    ("runner_mb", "runner RSS, every task queued", "MB", "< 200 MB", 200.0),
    ("runner_cpu", "runner CPU idle, every task queued", "%", "< 1 %", 1.0),
)


def growth(ctx: Context) -> list[Measurement]:
    """Each figure at each size, in one workspace per size (built, measured, removed at the end)."""
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import bench_scale
    except Exception as exc:  # noqa: BLE001 - a half-written sibling script must not stop the run
        raise BenchError(f"cannot import benchmarks/bench_scale.py: {exc}") from exc
    sizes = (200, 1_000) if ctx.mode.quick else (1_000, 10_000, 100_000)
    rows: list[Measurement] = []
    made: list[Path] = []  # removed once every size is measured (bench_scale.measure_size)
    try:
        for count in sizes:
            try:
                result = bench_scale.measure_size(count, ctx.mode.repeats, ctx.log, remove_later=made)
            except (RuntimeError, OSError) as exc:
                raise BenchError(f"{count:,} tasks: {exc}") from exc
            summary = bench_scale.summary(result)
            for key, title, unit, goal, limit in FIGURES:
                m = Measurement(f"scale.{key}.{count}", 8, f"{title}, {count:,} tasks", unit,
                                goals=[Goal(goal, "below", limit)] if count == 100_000 and limit is not None else [])
                value = summary[key]
                if value is not None:
                    m.ours.values.append(float(value))
                m.extra = {"load_average": summary["load"], "raw": result}
                rows.append(m)
            rows[-len(FIGURES)].notes.append("bench_scale.py: medians of its samples (the raw ones in "
                                             "results.json); the load average next to each size there")
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
    return rows
