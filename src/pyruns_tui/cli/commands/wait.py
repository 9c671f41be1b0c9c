"""`pyr-tui wait TASK... | --all`: wait until tasks finish; exit 1 if any did not complete.

A TASK is a task's name, a batch (`sweep` for sweep_1-of-20 ... sweep_20-of-20) or a quoted glob
(`'sweep_*'`); `--all` waits for every task queued or running when it starts (without -w in a
project with several workspaces: in each of them, each one's lines labelled `NAME: `)."""

from __future__ import annotations

import argparse
import sys

from pyruns_tui.cli.argtypes import seconds

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "wait"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="wait for tasks to finish", description=__doc__)
    p.add_argument("tasks", nargs="*", metavar="TASK", help="task names, batches (sweep) or quoted globs ('sweep_*')")
    p.add_argument("--all", action="store_true",
                   help="every task of the workspace queued or running now (without -w: of every workspace)")
    p.add_argument("--timeout", type=seconds, metavar="SECONDS", help="give up after this long (exit 1)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    import time

    from pyruns_tui.cli.context import say_waited
    from pyruns_tui.runner import control

    if args.all and args.tasks:
        sys.stderr.write("pyr-tui wait: error: --all takes no task names (see `pyr-tui wait --help`)\n")
        return 2
    if not args.all and not args.tasks:
        sys.stderr.write("pyr-tui wait: error: give task names or --all (see `pyr-tui wait --help`)\n")
        return 2
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    if args.all:  # what every workspace has active as the wait starts, before any is waited for
        waits = [(each, control.active_names(each.store())) for each in ctx.each_workspace()]
    else:
        waits = [(ctx, ctx.resolve_tasks(args.tasks))]
    completed = True
    for each, names in waits:
        if not names:
            print(f"{each.label}no task is queued or running")
            continue
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        tasks = control.wait(each.store(), names, timeout_s=left)
        completed = say_waited(each.store().layout, tasks, each.label) and completed
    return 0 if completed else 1
