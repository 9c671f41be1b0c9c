"""`pyr-tui stop TASK...`: queued tasks go back to pending, running ones are interrupted."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "stop"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="stop running tasks, cancel queued ones", description=__doc__)
    p.add_argument("tasks", nargs="*", metavar="TASK", help="task names, batches (sweep) or quoted globs ('sweep_*')")
    p.add_argument("--all", action="store_true", help="every queued and running task of the workspace")
    p.add_argument("--no-wait", action="store_true", help="return at once instead of waiting for them to end")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import grouped, say_skipped, say_states
    from pyruns_tui.runner import control

    store = ctx.store()
    if args.all and args.tasks:
        sys.stderr.write("pyr-tui stop: error: --all takes no task names (see `pyr-tui stop --help`)\n")
        return 2
    if args.all:
        outcome = control.stop_all(store)
        if not (outcome.skipped or outcome.cancelled or outcome.stopping):
            print("no task is queued or running")
            return 0
    elif args.tasks:
        outcome = control.stop(store, ctx.resolve_tasks(args.tasks))
    else:
        sys.stderr.write("pyr-tui stop: error: give task names or --all (see `pyr-tui stop --help`)\n")
        return 2
    say_skipped(outcome.skipped, ", nothing to stop")
    print("".join(line + "\n" for line in grouped(dict.fromkeys(outcome.cancelled, "cancelled (pending)"))), end="")
    if outcome.stopping and not args.no_wait:
        say_states(control.wait(store, outcome.stopping))
    elif outcome.stopping:
        print(f"stopping {len(outcome.stopping)} task(s)")
    return 0
