"""`pyr-tui restore TASK...`: bring tasks back from the trash."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "restore"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="restore tasks from the trash", description=__doc__)
    p.add_argument("tasks", nargs="+", metavar="TASK", help="names as listed by `pyr-tui ls --trash`, batches (sweep) or quoted globs ('sweep_*')")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.humanize import listed, plural
    from pyruns_tui.workspace import edits
    trashed = ctx.resolve_tasks(args.tasks)  # of the trash: ctx.named_in_trash
    restored = edits.restore(ctx.store(), trashed)
    print(f"restored {plural(len(restored), 'task')}: {listed(restored)}")
    renamed = [f"{name} as {back}" for name, back in zip(trashed, restored) if name != back]
    if renamed:
        print(f"renamed, as their names were taken: {listed(renamed)}")
    return 0
