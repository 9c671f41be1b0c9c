"""`pyr-tui pin TASK...`: pin tasks (listed first); `--off` unpins; `--param KEY` pins a column."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "pin"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="pin or unpin tasks or parameter columns", description=__doc__)
    p.add_argument("tasks", nargs="*", metavar="TASK", help="task names, batches (sweep) or quoted globs ('sweep_*')")
    p.add_argument("--off", action="store_true", help="unpin instead")
    p.add_argument("--param", action="append", default=[], metavar="KEY",
                   help="pin a parameter as a column of ls and the Manager (repeatable)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.workspace import edits

    store = ctx.store()
    if not args.tasks and not args.param:
        print("pyr-tui: error: pin needs TASK names or --param KEY", file=sys.stderr)
        return 2
    names = ctx.resolve_tasks(args.tasks)
    if args.param:  # first: an unknown parameter refuses the whole command, nothing pinned
        edits.pin_params(store, args.param, not args.off)
    edits.set_pinned(store, names, not args.off)
    state = "unpinned" if args.off else "pinned"
    from pyruns_tui.humanize import listed

    said = [listed(names)] if len(names) <= 5 else [f"{len(names)} tasks ({listed(names)})"]
    print(f"{state} " + ", ".join([*said[:bool(names)], *dict.fromkeys(f"param {k}" for k in args.param)]))
    return 0
