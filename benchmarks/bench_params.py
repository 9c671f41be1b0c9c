"""Speed of the params core: grid parse/count/expand (the live preview) and YAML I/O.

Run: .venv/bin/python benchmarks/bench_params.py  (prints one line per measurement; not a test)
Targets: parse + count of a 10,000-task grid well under 10 ms; expand of 10,000 under 100 ms.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from pyruns_tui.params.grid import parse_field, parse_grid
from pyruns_tui.params.yaml_roundtrip import dump_commented
from pyruns_tui.params.yamlio import dump_text, load_text, parse_scalar

# A realistic 10,000-task spec: 5 x 4 x 5 products, a 100-long zip, nested sections.
GRID: dict[str, Any] = {
    "lr": "1e-4 | 3e-4 | 1e-3 | 3e-3 | 1e-2",
    "batch": "16 | 32 | 64 | 128",
    "model": {"depth": "18 | 34 | 50 | 101 | 152", "width": 64, "act": "relu"},
    "seed": "(0:100)",
    "epochs": 100,
    "data": "/data/imagenet",
    "aug": [1, 2, 3],
    "opt": {"name": "adam", "betas": [0.9, 0.999], "wd": 0.01},
}
FLOAT_RANGE = {"x": "0:1:0.0001", "name": "sweep"}
CONFIG = {f"key_{i}": v for i, v in enumerate(
    [0.001, 64, "resnet", True, None, [1, 2, 3], {"a": 1, "b": "yes"}, "1e3", 10**20] * 4)}


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of `repeat` calls, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def report(what: str, value: float, unit: str = "ms") -> None:
    print(f"{what + ':':<42}{value:9.3f} {unit}")


def main() -> None:
    assert parse_grid(GRID).count == 10_000
    report("grid parse+count, 10,000 tasks", best_ms(lambda: parse_grid(GRID).count, 200))
    report("grid expand, 10,000 nested tasks", best_ms(lambda: list(parse_grid(GRID).expand()), 10))
    report("grid expand, 10,000-value float range",
           best_ms(lambda: list(parse_grid(FLOAT_RANGE).expand()), 10))
    report("refuse x: 0:100000000:1", best_ms(lambda: _refused({"x": "0:100000000:1"}), 50))
    report("parse_field '1 | null | yes'",
           best_ms(lambda: parse_field("1 | null | yes", "x"), 2000) * 1e3, "us")
    scalars = ["0.001", "64", "resnet", "true", "null", "1e-3", "yes", "[1, 2]"] * 125
    per_call = best_ms(lambda: [parse_scalar(s) for s in scalars], 50) * 1e3 / len(scalars)
    report("parse_scalar (mixed, per call)", per_call, "us")
    text = dump_text(CONFIG)
    report("load_text of a 36-key config.yaml", best_ms(lambda: load_text(text), 200))
    report("dump_text of a 36-key config", best_ms(lambda: dump_text(CONFIG), 200))
    helps = {k: f"help for {k}" for k in CONFIG}
    report("dump_commented of a 36-key config", best_ms(lambda: dump_commented(CONFIG, helps), 20))


def _refused(config: dict) -> None:
    try:
        parse_grid(config)
    except Exception:  # noqa: BLE001 - the refusal is what is timed
        return
    raise AssertionError("expected a refusal")


if __name__ == "__main__":
    main()
