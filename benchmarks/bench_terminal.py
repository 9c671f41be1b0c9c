"""Throughput of logs.terminal.TerminalModel.feed and logs.plain on synthetic task output.

Run: .venv/bin/python benchmarks/bench_terminal.py  (prints MB/s of CPU time per workload;
not a test)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pyruns_tui.logs.plain import render_plain
from pyruns_tui.logs.terminal import TerminalModel

CHUNK = 64 * 1024
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "logs" / "fixtures"


def plain_lines(n: int = 200_000) -> bytes:
    return b"".join(b"epoch %d step %d: loss=%.6f acc=%.4f lr=0.001 grad_norm=1.2345\r\n"
                    % (i // 1000, i, 1 / (i + 1), i / n) for i in range(n))


def tqdm_coloured(n: int = 100_000) -> bytes:
    """\\r-updated coloured bars (tqdm colour=...), a newline every 100 updates."""
    out = []
    for i in range(n):
        pct = i % 100
        bar = "█" * (pct // 4) + " " * (25 - pct // 4)
        out.append(f"\r\x1b[32m{pct:3d}%|{bar}|\x1b[0m {pct}/100 [00:{pct:02d}<00:10, 9.{pct}it/s]")
        if pct == 99:
            out.append("\r\n")
    return "".join(out).encode()


def coloured_logging(n: int = 100_000) -> bytes:
    return b"".join(b"\x1b[32mINFO    \x1b[0m \x1b[3mtrain\x1b[23m step %d loss=%.5f\r\n"
                    % (i, 1 / (i + 1)) for i in range(n))


def nested_bars(n: int = 50_000) -> bytes:
    """tqdm position=0/1 redraws: newline down, draw, cursor up."""
    out = []
    for i in range(n):
        out.append(f"\r epochs: {i % 100:3d}%|{'#' * (i % 50):<50}| {i}/{n}")
        out.append(f"\r\n\r inner: {i % 7}/7 [{'=' * (i % 7):<7}]\x1b[A")
    return "".join(out).encode()


def long_line(size: int = 10 * 1024 * 1024) -> bytes:
    return b"x" * size


def feed_model(data: bytes, **kwargs: object) -> TerminalModel:
    model = TerminalModel(**kwargs)  # type: ignore[arg-type]
    for i in range(0, len(data), CHUNK):
        model.feed(data[i:i + CHUNK])
    return model


def bench(name: str, data: bytes, run: Callable[[bytes], object], repeat: int = 3) -> None:
    """Best of `repeat` runs, in CPU time of this process (robust on a shared machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run(data)
        best = min(best, time.process_time() - start)
    mb = len(data) / 1e6
    print(f"{name:<34} {mb:8.1f} MB {best * 1000:9.1f} ms {mb / best:9.1f} MB/s")


def main() -> None:
    workloads = {
        "plain lines (200k)": plain_lines(),
        "tqdm coloured \\r updates (100k)": tqdm_coloured(),
        "coloured logging (100k lines)": coloured_logging(),
        "nested bars cursor-up (50k)": nested_bars(),
        "10 MB line without newline": long_line(),
    }
    for fixture in ("tqdm_nested", "rich_progress", "colour_logging"):
        data = (FIXTURES / f"{fixture}.bin").read_bytes()
        workloads[f"fixture {fixture} x{4_000_000 // len(data)}"] = data * (4_000_000 // len(data))
    print("TerminalModel.feed (64 KiB chunks, styles kept):")
    for name, data in workloads.items():
        bench(name, data, feed_model)
    print("TerminalModel.feed, wrap=True at 160 columns:")
    for name in ("plain lines (200k)", "tqdm coloured \\r updates (100k)"):
        bench(name, workloads[name], lambda d: feed_model(d, wrap=True))
    print("render_plain (streamed, no styles):")
    for name in ("plain lines (200k)", "tqdm coloured \\r updates (100k)",
                 "coloured logging (100k lines)"):
        bench(name, workloads[name], render_plain)


if __name__ == "__main__":
    main()
