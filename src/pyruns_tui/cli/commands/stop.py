"""`pyr-tui stop TASK... | --all`: queued tasks go back to pending, running ones are interrupted.

`--all` stops every task queued or running (without -w in a project with several workspaces: in
each of them, each one's lines labelled `NAME: `)."""

from __future__ import annotations

import argparse
import sys
import time

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context
    from pyruns_tui.runner import control

NAME = "stop"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="stop running tasks, cancel queued ones", description=__doc__)
    p.add_argument("tasks", nargs="*", metavar="TASK", help="task names, batches (sweep) or quoted globs ('sweep_*')")
    p.add_argument("--all", action="store_true",
                   help="every queued and running task of the workspace (without -w: of every workspace)")
    p.add_argument("--no-wait", action="store_true", help="return at once instead of waiting for them to end")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.runner import control

    if args.all and args.tasks:
        sys.stderr.write("pyr-tui stop: error: --all takes no task names (see `pyr-tui stop --help`)\n")
        return 2
    if not args.all and not args.tasks:
        sys.stderr.write("pyr-tui stop: error: give task names or --all (see `pyr-tui stop --help`)\n")
        return 2
    asked_at = time.time()
    if args.all:  # every workspace asked before any is waited for: their tasks end together
        stopped = [(each, control.stop_all(each.store())) for each in ctx.each_workspace()]
    else:
        stopped = [(ctx, control.stop(ctx.store(), ctx.resolve_tasks(args.tasks)))]
    code = 0
    for each, outcome in stopped:
        code = max(code, _say(each, outcome, wait=not args.no_wait, asked_at=asked_at))
    return code


def _say(ctx: Context, outcome: control.StopOutcome, *, wait: bool, asked_at: float) -> int:
    """What a stop did in one workspace; with `wait`, once the tasks it stopped have ended, or
    once the runner's Slurm poll failed after the stop was asked (then 1: Slurm does not answer,
    so the runner cannot tell the stop went through; it goes on sending it)."""
    from pyruns_tui.cli.context import grouped, say_skipped, say_states
    from pyruns_tui.runner import control

    label = ctx.label
    if not (outcome.skipped or outcome.cancelled or outcome.stopping):
        print(f"{label}no task is queued or running")
        return 0
    say_skipped(outcome.skipped, label=label)
    cancelled = grouped(dict.fromkeys(outcome.cancelled, "cancelled (pending)"), label=label)
    print("".join(line + "\n" for line in cancelled), end="")
    if outcome.stopping and wait:
        store = ctx.store()
        down: list[str] = []

        def slurm_down() -> bool:
            from pyruns_tui.runner.slurm.view import unanswered

            why = unanswered(store.layout, asked_at)
            if why is not None:
                down.append(why)
            return why is not None

        tasks = control.wait(store, outcome.stopping, given_up=slurm_down if outcome.on_slurm else None)
        left = [name for name, task in tasks.items() if task.status.is_active] if down else []
        say_states({name: task for name, task in tasks.items() if name not in left}, label)
        if left:
            from pyruns_tui.humanize import listed

            sys.stderr.write(f"pyr-tui: error: {label}Slurm does not answer ({down[-1]}), so {listed(left)} may still "
                             "run: the runner sends the stop again until Slurm takes it (`pyr-tui runner status` "
                             "says when it answers)\n")
            return 1
    elif outcome.stopping:
        from pyruns_tui.humanize import plural

        print(f"{label}stopping {plural(len(outcome.stopping), 'task')}")
    return 0
