"""`pyr-tui run TASK... [-j N] [--gpus N] [--force] [--wait] [--retries N [--retry-on REGEX]]
[--after TASK]... [--priority N] [--with-dependents] [--gpu-mem MB] [--executor local|slurm] [--partition P] [--time T]
[--sbatch-arg ARG]...`: queue tasks for the runner (on Slurm: one job array per call, see docs/slurm.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pyruns_tui.cli.argtypes import int_at_least

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context
    from pyruns_tui.runner import control
    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.store import TaskStore

NAME = "run"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="queue tasks (the runner starts them)", description=__doc__)
    p.add_argument("tasks", nargs="+", metavar="TASK",
                   help="task names, batches (sweep) or quoted globs ('sweep_*'); finished tasks are rerun")
    p.add_argument("-j", "--jobs", type=int_at_least(1), metavar="N",
                   help="tasks running at once (for this runner session; on Slurm: the %%N of this call's arrays)")
    p.add_argument("--gpus", type=int_at_least(0), metavar="N", help="GPUs each task needs (kept for later runs)")
    p.add_argument("--force", action="store_true", help="start now: ignore the concurrency limit and busy GPUs")
    p.add_argument("--wait", action="store_true", help="wait until they finish; exit 1 if any did not complete")
    p.add_argument("--retries", type=_retries, metavar="N", help="run a failed task again up to N times (kept for later runs)")
    p.add_argument("--retry-on", type=_regex, metavar="REGEX", help="retry only failures whose error matches REGEX")
    p.add_argument("--executor", choices=("local", "slurm"), help="where to run them (default: the settings' executor)")
    p.add_argument("--partition", metavar="P", help="Slurm partition for this call")
    p.add_argument("--time", metavar="T", help="Slurm time limit for this call, e.g. 4:00:00")
    p.add_argument("--sbatch-arg", dest="sbatch_args", action="append", default=[], metavar="ARG", type=_sbatch_arg,
                   help="a literal sbatch argument (repeat for more), e.g. --sbatch-arg=--exclusive")
    p.add_argument("--after", action="append", metavar="TASK",
                   help="start only once TASK completed (a batch or glob: all of them; repeat for several; "
                        "kept for later runs)")
    p.add_argument("--priority", type=int, metavar="N", help="higher starts first (default 0; kept for later runs)")
    p.add_argument("--gpu-mem", type=int_at_least(0), metavar="MB", dest="gpu_mem_mb",
                   help="GPU memory each task needs; placed only where that much is free (0 clears; kept)")
    p.add_argument("--with-dependents", action="store_true",
                   help="also queue every task waiting (--after) for these, directly or not")


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 100, got {text!r}")
    return value


def _sbatch_arg(text: str) -> str:
    from pyruns_tui.workspace.settings import sbatch_arg_problem

    problem = sbatch_arg_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _regex(text: str) -> str:
    from pyruns_tui.errors import WorkspaceError
    from pyruns_tui.workspace.settings import check_regex

    try:
        return check_regex(text, "--retry-on")
    except WorkspaceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def queue_tasks(
    ctx: Context,
    names: Sequence[str],
    *,
    gpus: int | None = None,
    force: bool = False,
    retries: control.Retries | None = None,
    executor: control.Executor | None = None,
    after: Sequence[str] | None = None,
    priority: int | None = None,
    with_dependents: bool = False,
    gpu_mem_mb: int | None = None,
) -> control.Outcome:
    """Queue tasks (names of existing tasks: `Context.resolve_tasks`) and make sure the runner is
    there; a runner that could not be woken is a warning. `executor.jobs` (`-j`) is the runner's
    concurrency, or on Slurm the %N of the call's arrays."""
    from pyruns_tui.runner import control

    store = ctx.store()
    ctx.settings()  # names an unknown settings key on stderr (the runner only logs it)
    outcome = control.queue(store, names, gpus=gpus, force=force, retries=retries, executor=executor, after=after,
                            priority=priority, with_dependents=with_dependents, gpu_mem_mb=gpu_mem_mb)
    say_what_delays(store.layout, outcome.changed, force=force)
    return outcome


def say_what_delays(layout: Layout, queued: Sequence[str], *, force: bool = False) -> None:
    """After tasks were queued (`run`, `gen --run`): a warning when the runner could not be woken
    (they start at its next periodic scan), a note when the circuit breaker paused the queue."""
    from pyruns_tui.runner import client, control

    problem = client.wake_problem(layout)  # queued all the same: the runner's scans start them
    if problem is not None:
        sys.stderr.write(f"pyr-tui: warning: {problem}\n")
    pause = None if force or not queued else control.paused(layout)
    if pause is not None:  # queued, but nothing starts until the pause is lifted
        sys.stderr.write(f"pyr-tui: note: the queue is paused ({pause.message}); `pyr-tui runner resume` starts it\n")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import say_skipped, say_waited
    from pyruns_tui.runner import control

    retries = None
    if args.retries is not None or args.retry_on is not None:
        if args.retries is None:
            sys.stderr.write("pyr-tui run: error: --retry-on needs --retries N (see `pyr-tui run --help`)\n")
            return 2
        retries = control.Retries(args.retries, args.retry_on)
    executor = control.Executor(args.executor, args.partition, args.time, tuple(args.sbatch_args), args.jobs)
    names = ctx.resolve_tasks(args.tasks)
    outcome = queue_tasks(ctx, names, gpus=args.gpus, force=args.force, retries=retries,
                          executor=executor, after=args.after, priority=args.priority,
                          with_dependents=args.with_dependents, gpu_mem_mb=args.gpu_mem_mb)
    say_skipped(outcome.skipped)
    verb = "force-started" if args.force else "queued"
    code = 0
    if outcome.changed and control.submits_to_slurm(ctx.store(), outcome.changed):
        code = report_submission(ctx.store(), outcome)  # 1: some refused (the others run)
    elif outcome.changed:
        from pyruns_tui.humanize import plural

        print(f"{verb} {plural(len(outcome.changed), 'task')}")
    if not args.wait:
        return code
    tasks = control.wait(ctx.store(), names)
    completed = say_waited(ctx.store().layout, tasks)
    return 1 if not completed or code else 0


def report_submission(store: TaskStore, outcome: control.Outcome, *, json: bool = False) -> int:
    """Slurm (`run`, `gen --run`): wait for the runner's sbatch calls and say which tasks went to
    which job array and which Slurm refused, and why. 1 when any was refused (the others run),
    as `wait` exits 1 when any did not complete; 0 when all were submitted. With `json` (standard
    output holds one JSON document) the job arrays are said on standard error."""
    from pyruns_tui.runner import control

    found = control.submission_of(store, outcome)
    line = found.said()
    if line is not None:
        (sys.stderr if json else sys.stdout).write(line + "\n")
    for problem in found.not_submitted():
        sys.stderr.write(problem + "\n")
    for refusal in found.refusals():
        sys.stderr.write(f"pyr-tui: error: {refusal}\n")
    return 1 if found.refused else 0
