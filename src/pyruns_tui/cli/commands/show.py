"""`pyr-tui show TASK`: one task's state, config and run history."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context
    from pyruns_tui.workspace.model import Task
    from pyruns_tui.workspace.store import TaskStore

NAME = "show"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="show a task", description=__doc__)
    p.add_argument("task", metavar="TASK", help="task name (or a batch or quoted glob naming one task)")
    p.add_argument("--json", action="store_true", help="print task_info.json content")
    p.add_argument("--env", action="store_true",
                   help="print only the environment the last run started with (NAME=value; with --json, an object)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.humanize import format_duration, run_place
    from pyruns_tui.printable import printable
    from pyruns_tui.workspace.query import flatten, format_value

    store = ctx.store()
    task = store.get(ctx.resolve_task(args.task))
    if args.env:
        return _print_env(store, task, as_json=args.json)
    if args.json:
        print_json(task.to_dict())
        return 0
    from pyruns_tui.runner.liveness import unattended
    from pyruns_tui.workspace.model import Status

    def say(line: str) -> None:  # names, notes, config and reasons are user text: no escapes
        print(printable(line, multiline=True))

    say(f"name:    {task.name}" + ("  (pinned)" if task.pinned else ""))
    from pyruns_tui.runner.log_cut import log_cut

    cut = log_cut(store.layout, task)  # a full disk cut its log: the task runs on, unlogged
    reason = unattended(store.layout, [task]).get(task.name) or (cut.text if cut else None) or task.reason
    say(f"status:  {task.status.value}" + (f" ({reason})" if reason else ""))
    if reason == task.reason and task.status is Status.QUEUED:
        from pyruns_tui.runner.slurm.pending import pending_help

        if meaning := pending_help(reason):  # what Slurm's reason means, and what to do about it
            say(f"why:     {meaning}")
    if task.error:
        say(f"error:   {task.error}")
    say(f"created: {task.created_at}")
    from pyruns_tui.workspace.bootstrap import task_script

    say(f"kind:    {task.task_kind}  script: {task_script(store.layout, task) or '-'}")  # (where the project is now)
    if task.after:
        say(f"after:   {', '.join(task.after)}")
    dependents = [t.name for t in store.scan() if task.name in t.after]
    if dependents:
        say(f"waited for by: {', '.join(dependents)}")
    if task.priority:
        say(f"priority: {task.priority}")
    if task.notes:
        say("notes:   " + task.notes.replace("\n", "\n         "))
    from pyruns_tui.errors import PyrunsError

    say("config:")
    if store.layout.is_shell:
        say("  " + store.read_command(task.name).strip())
    try:
        config = store.load_config(task.name)
    except PyrunsError as exc:  # the rest of the task (its runs, their errors) is still shown
        config = {}
        say(f"broken:  {exc}")
    for key, value in flatten(config).items():
        say(f"  {key}: {format_value(value)}")
    from pyruns_tui.metrics.track import file_problems

    for problem in file_problems(store.layout.task_dir(task.name)):
        say(f"broken:  {problem}")
    import shlex

    # every run starts in the project folder (launch.py); its command line names the script by its path then
    say(f"runs:    {len(task.runs)}" + (f"  (started in {store.layout.project_dir})" if task.runs else ""))
    for run in task.runs:
        outcome = f"exit {run.exit_code}" if run.exit_code is not None else (f"signal {run.signal}" if run.signal else "")
        gpus = ",".join(map(str, run.gpus)) or "-"
        say(f"  run{run.index}: {run.status.value:<11} {run.start or '':<29} {format_duration(run.duration_s):>8}"
            f"  pid {run.pid or '-'}  {outcome}  gpus {gpus}" + (f"  {run_place(run)}" if run_place(run) else "")
            + (f"  ({run.reason})" if run.reason else "")
            + (f"  retry of run{run.retry_of}" if run.retry_of is not None else ""))
        if run.argv:
            say(f"         command: {shlex.join(str(item) for item in run.argv)}")
        if run.gpu_mem_peak_mb is not None:
            devices = ", ".join(f"{i}: {d['mem_peak_mb']:g} MB" for i, d in (run.gpu_devices or {}).items())
            say(f"         gpu: peak {run.gpu_mem_peak_mb:g} MB ({devices}), util mean {run.gpu_util_mean}% "
                f"p95 {run.gpu_util_p95}%")
        if run.error:
            where = f" (log line {run.error_line}; `pyr-tui log {task.name} --run {run.index} --error`)" if run.error_line else ""
            say(f"         error: {run.error}{where}")
    return 0


def _print_env(store: TaskStore, task: Task, *, as_json: bool) -> int:
    """`show --env`: the environment snapshot of the task's last run, sorted (secrets redacted)."""
    env = store.read_run_env(task.name, task.last_run)
    if as_json:
        from pyruns_tui.cli.context import print_json

        print_json(dict(sorted(env.items())))
        return 0
    from pyruns_tui.printable import printable

    for name in sorted(env):
        print(printable(f"{name}={env[name]}"))
    return 0
