"""`pyr-tui metrics [--json]`: a snapshot of CPU, memory and GPUs (what the Monitor plots)."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "metrics"
CPU_INTERVAL_S = 0.2


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="CPU / memory / GPU snapshot", description=__doc__)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.metrics.system import SystemSampler

    snap = SystemSampler().sample_after(CPU_INTERVAL_S)
    if args.json:
        print_json(snap.to_dict())
        return 0
    load = " ".join(f"{x:.2f}" for x in snap.load_avg) if snap.load_avg else "-"
    print(f"cpu:  {snap.cpu_percent:5.1f}% of {snap.cpu_count} cores   load {load}")
    print(f"mem:  {snap.mem_used_mb / 1024:6.1f} / {snap.mem_total_mb / 1024:.1f} GiB ({snap.mem_percent:.0f}%)")
    if not snap.gpus:
        print("gpus: none")
    for gpu in snap.gpus:
        util = f"{gpu.util_pct:5.1f}%" if gpu.util_pct is not None else "    -"
        temp = f"{gpu.temperature_c:.0f}C" if gpu.temperature_c is not None else "-"
        print(f"gpu{gpu.index}: {util}  {gpu.mem_used_mb / 1024:6.1f} / {gpu.mem_total_mb / 1024:.1f} GiB  {temp}  "
              f"{gpu.name}  {len(gpu.processes)} process(es)")
    return 0
