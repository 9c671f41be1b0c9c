"""Cost of the script-side API: `import pyruns_tui`, `pr.log()` in and outside a task, the reader.

Run: .venv/bin/python benchmarks/bench_api.py  (prints one line per measurement; not a test)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

IMPORT_RUNS = 15
LOG_CALLS = 200_000
READ_ROWS = 10_000
# Bytecode caching on, as in an installed package (CI and dev shells may turn it off).
IMPORT_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_time_ms() -> tuple[float, float]:
    """Median wall time of `python -c 'import pyruns_tui'` minus that of `python -c pass`."""

    def median_run(code: str) -> float:
        times = []
        for _ in range(IMPORT_RUNS):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=IMPORT_ENV)
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    median_run("import pyruns_tui")  # writes the bytecode cache
    baseline = median_run("pass")
    return median_run("import pyruns_tui") - baseline, baseline


def self_reported_import_ms() -> float:
    """Median in-process time of the import, measured by the child itself."""
    code = (
        "import time; s = time.perf_counter(); import pyruns_tui; "
        "print((time.perf_counter() - s) * 1e3)"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True, env=IMPORT_ENV).stdout)
        for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(runs)


LOG_LOOP = textwrap.dedent(
    """\
    import sys, time, pyruns_tui as pr
    calls = int(sys.argv[1])
    pr.log({"warm": 1.0}, step=0)  # resolve the task, start the flusher
    start = time.perf_counter()
    for step in range(calls):
        pr.log({"loss": 1.0 / (step + 1), "acc": 0.5, "lr": 1e-3}, step=step, stage="train")
    pr.flush()
    print((time.perf_counter() - start) / calls * 1e6)
    """
)


def log_cost_us(task_dir: str | None) -> float:
    """Per-call cost of `pr.log` with 3 metrics, flushes included, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != "PYRUNS_TASK_DIR"}
    if task_dir is not None:
        env["PYRUNS_TASK_DIR"] = task_dir
    out = subprocess.run([sys.executable, "-c", LOG_LOOP, str(LOG_CALLS)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return float(out)


def reader_ms(task_dir: str) -> float:
    from pyruns_tui.metrics.track import MetricsReader

    path = Path(task_dir) / "bench.jsonl"
    with open(path, "w") as stream:
        for i in range(READ_ROWS):
            stream.write(f'{{"t":1732000000.{i},"step":{i},"stage":"train",'
                         f'"loss":{1 / (i + 1)!r},"acc":0.5,"lr":0.001}}\n')
    times = []
    for _ in range(5):
        start = time.perf_counter()
        MetricsReader(path).poll()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    extra_ms, baseline_ms = import_time_ms()
    print(f"import pyruns_tui: +{extra_ms:.1f} ms over a bare interpreter "
          f"({baseline_ms:.1f} ms), median of {IMPORT_RUNS}")
    print(f"import pyruns_tui (in-process): {self_reported_import_ms():.2f} ms median")
    with tempfile.TemporaryDirectory() as task_dir:
        print(f"pr.log() inside a task: {log_cost_us(task_dir):.2f} us/call "
              f"({LOG_CALLS} calls, 3 metrics, flushes included)")
        rows = sum(1 for _ in open(Path(task_dir) / "metrics.jsonl"))
        assert rows == LOG_CALLS + 1, rows
        print(f"pr.log() outside a task: {log_cost_us(None):.3f} us/call")
        print(f"MetricsReader.poll() of {READ_ROWS} rows: {reader_ms(task_dir):.1f} ms median")


if __name__ == "__main__":
    main()
