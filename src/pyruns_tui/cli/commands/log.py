"""`pyr-tui log TASK [-f] [--run N] [--plain | --error]`: print a run's log.

By default the raw terminal bytes (colours and `\\r` progress updates included; pipe it to
`less -R`). `--plain` prints the text a terminal would finally show. `-f` keeps printing while
the run is going (and waits for a queued task to start), then exits 1 like `wait` when the run
did not complete. `--error` prints only the traceback that ended the run (a chained one whole;
found in the last MB of the log), in plain text.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator

from pyruns_tui.cli.argtypes import int_at_least
from pyruns_tui.errors import WorkspaceError

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context
    from pyruns_tui.workspace.model import Task
    from pyruns_tui.workspace.store import TaskStore

NAME = "log"
FOLLOW_POLL_S = 0.05
CHUNK = 1 << 20
ERROR_TAIL_BYTES = 1 << 20


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="print a task's log", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", metavar="TASK", help="task name (or a batch or quoted glob naming one task)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing while the run is going")
    p.add_argument("--run", type=int_at_least(1), metavar="N", help="which run (default: the last)")
    p.add_argument("--plain", action="store_true", help="the text a terminal would show, without escapes")
    p.add_argument("--error", action="store_true", help="only the traceback that ended the run")


def _wait_for_start(store: TaskStore, task: Task) -> Task:
    """A queued task's state once it has started (or left the queue). Said once on stderr, with
    why it waits; a runner that is not up is started, as `wait` does (with none, the task never
    started and this waited for ever: after `runner stop`, or a runner killed)."""
    from pyruns_tui.runner.control import RUNNER_CHECK_S, keep_watched
    from pyruns_tui.workspace.model import Status

    why = f" ({task.reason})" if task.reason else ""
    sys.stderr.write(f"pyr-tui: {task.name} is queued{why}: its log follows once it starts (Ctrl+C stops "
                     "following, not the task)\n")
    sys.stderr.flush()
    next_check = 0.0
    while True:
        task = store.get(task.name)
        if task.status is not Status.QUEUED:
            return task
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + RUNNER_CHECK_S
            keep_watched(store)
        time.sleep(FOLLOW_POLL_S)


def _chunks(store: TaskStore, task: Task, index: int, follow: bool) -> Iterator[bytes]:
    """The log's bytes from the start; following while run `index` is running."""
    from pyruns_tui.logs.tail import LogFile
    from pyruns_tui.runner.control import RUNNER_CHECK_S, keep_watched

    log = LogFile(store.layout.run_log(task.name, index))
    next_check = time.monotonic() + RUNNER_CHECK_S
    while True:
        live = follow and _is_live(store, task.name, index)
        while data := log.read_new(CHUNK):
            yield data
        if not live:
            return
        if time.monotonic() >= next_check:  # as `wait`: a dead runner is started again, and it
            next_check = time.monotonic() + RUNNER_CHECK_S  # ends a run whose supervisor died too
            keep_watched(store)
        time.sleep(FOLLOW_POLL_S)


def _is_live(store: TaskStore, name: str, index: int) -> bool:
    from pyruns_tui.workspace.model import Status

    task = store.get(name)
    last = task.last_run
    return task.status is Status.RUNNING and last is not None and last.index == index


def _print_traceback(store: TaskStore, task: Task, index: int) -> int:
    from pyruns_tui.logs.failure import find_tracebacks
    from pyruns_tui.logs.last_lines import tail_lines

    run = next(r for r in task.runs if r.index == index)
    first, lines = tail_lines(store.layout.run_log(task.name, index), ERROR_TAIL_BYTES)
    blocks = find_tracebacks(lines)
    if not blocks:
        why = f" (its error: {run.error})" if run.error else ""
        raise WorkspaceError(f"run {index} of {task.name!r} has no Python traceback in its log{why}; "
                             f"see `pyr-tui log {task.name} --run {index} --plain`")
    at = [b for b in blocks if first is not None and first + b.start == run.error_line]
    block = (at or blocks)[-1]
    sys.stdout.write("".join(line + "\n" for line in block.text(lines)))
    return 0


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.error and (args.follow or args.plain):
        sys.stderr.write("pyr-tui log: error: --error cannot be combined with -f or --plain (see `pyr-tui log --help`)\n")
        return 2
    from pyruns_tui.workspace.model import Status

    store = ctx.store()
    name = ctx.resolve_task(args.task)
    task = store.get(name)
    if args.follow and args.run is None and task.status is Status.QUEUED:
        task = _wait_for_start(store, task)
    if not task.runs:  # (a task that could not start says why, as the Monitor does)
        why = f"{task.status.value}: {task.reason}" if task.reason else task.status.value
        raise WorkspaceError(f"task {name!r} has not run yet (status {why}); start it with `pyr-tui run {name}`")
    index = args.run if args.run is not None else task.runs[-1].index
    if not any(r.index == index for r in task.runs):
        known = ", ".join(str(r.index) for r in task.runs)
        raise WorkspaceError(f"task {name!r} has no run {index} (runs: {known})")
    missing = store.layout.missing_run_log(task, index)
    if missing:  # (it printed nothing; --error said "no Python traceback in its log")
        raise WorkspaceError(missing)
    if args.error:
        return _print_traceback(store, task, index)
    waiting = None if args.follow else store.layout.waiting_run_log(task, index)
    if waiting:  # (queued on Slurm: it printed nothing either)
        raise WorkspaceError(f"{waiting}; `pyr-tui log {name} -f` follows it once it starts")
    chunks = _chunks(store, task, index, args.follow)
    out = sys.stdout
    if args.plain:
        from pyruns_tui.contracts import PTY_COLUMNS, PTY_ROWS
        from pyruns_tui.logs.plain import iter_plain_lines

        for line in iter_plain_lines(chunks, height=PTY_ROWS, columns=PTY_COLUMNS):
            out.write(line + "\n")
            if args.follow:
                out.flush()
    else:
        raw = out.buffer
        for data in chunks:
            raw.write(data)
            if args.follow:
                raw.flush()
        raw.flush()
    return _followed_outcome(store, name, index) if args.follow else 0


def _followed_outcome(store: TaskStore, name: str, index: int) -> int:
    """Like `wait`: 0 when the followed run completed, else 1 with its state on stderr."""
    from pyruns_tui.workspace.model import Status

    run = next(r for r in store.get(name).runs if r.index == index)
    if run.status is Status.COMPLETED:
        return 0
    sys.stderr.write(f"{name}: run {index} {run.status.value}" + (f" ({run.reason})" if run.reason else "") + "\n")
    return 1
