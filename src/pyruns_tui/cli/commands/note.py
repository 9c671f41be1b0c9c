"""`pyr-tui note TASK TEXT`: set a task's notes (`-a` appends, `-` reads standard input)."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "note"
STDIN_LIMIT = 1 << 20  # characters of `note TASK -` read at most: notes are at most 100,000 (workspace/notes.py)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="set or append a task's notes", description=__doc__)
    p.add_argument("task", metavar="TASK", help="task name (or a batch or quoted glob naming one task)")
    p.add_argument("text", help="the note (use - to read standard input)")
    p.add_argument("-a", "--append", action="store_true", help="append a line instead of replacing")


def run(ctx: Context, args: argparse.Namespace) -> int:
    text = args.text
    if text == "-":
        from pyruns_tui.cli.context import read_stdin

        text = read_stdin(STDIN_LIMIT, "note")
        if len(text) > STDIN_LIMIT:
            from pyruns_tui.errors import WorkspaceError
            from pyruns_tui.workspace.notes import MAX_NOTES

            raise WorkspaceError(f"standard input holds over {STDIN_LIMIT:,} characters, more than the "
                                 f"{MAX_NOTES:,} the notes of {args.task} may have; keep long text in a file "
                                 "and note its path")
    from pyruns_tui.workspace import edits

    name = ctx.resolve_task(args.task)
    edits.set_notes(ctx.store(), name, text, append=args.append)
    print(f"notes of {name} saved")
    return 0
