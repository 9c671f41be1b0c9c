"""`pyr-tui wait TASK...`: wait until tasks finish; exit 1 if any did not complete."""

from __future__ import annotations

import argparse

from pyruns_tui.cli.argtypes import seconds

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "wait"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="wait for tasks to finish", description=__doc__)
    p.add_argument("tasks", nargs="+", metavar="TASK", help="task names")
    p.add_argument("--timeout", type=seconds, metavar="SECONDS", help="give up after this long (exit 1)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.runner import control

    store = ctx.store()
    names = list(dict.fromkeys(ctx.resolve_tasks(args.tasks)))
    tasks = control.wait(store, names, timeout_s=args.timeout)
    failed = control.failed_names(tasks)
    for name in names:
        task = tasks[name]
        print(f"{name}: {task.status.value}" + (f" ({task.reason})" if task.reason else ""))
    return 1 if failed else 0
