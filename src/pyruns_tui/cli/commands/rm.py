"""`pyr-tui rm TASK...`: move tasks to the trash (`pyr-tui restore` brings them back)."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "rm"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="move tasks to the trash", description=__doc__)
    p.add_argument("tasks", nargs="+", metavar="TASK", help="task names, batches (sweep) or quoted globs ('sweep_*')")


def run(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    from pyruns_tui.humanize import listed, plural
    from pyruns_tui.workspace import edits

    names = ctx.resolve_tasks(args.tasks)
    moved = edits.trash(store, names)
    print(f"moved {plural(len(moved), 'task')} to the trash: {listed(names)}")
    renamed = [f"{name} as {trashed}" for name, trashed in zip(names, moved) if name != trashed]
    if renamed:  # the trash held those names already: `restore` takes the names it has there
        print(f"in the trash under other names (it held theirs): {listed(renamed)}")
    return 0
