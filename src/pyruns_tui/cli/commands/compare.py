"""`pyr-tui compare A B`: how two tasks differ in config, metrics and summary."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "compare"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="compare two tasks", description=__doc__)
    p.add_argument("a", metavar="A", help="first task name (or a batch or quoted glob naming one task)")
    p.add_argument("b", metavar="B", help="second task name (deltas are B - A)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.metrics.compare import compare_tasks, to_dict, to_text

    store = ctx.store()
    a, b = ctx.resolve_task(args.a), ctx.resolve_task(args.b)
    comparison = compare_tasks(store, a, b)
    if args.json:
        print_json(to_dict(comparison))
    else:
        sys.stdout.write(to_text(comparison))
    return 0
