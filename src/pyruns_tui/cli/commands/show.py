"""`pyr-tui show TASK`: one task's state, config and run history."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "show"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="show a task", description=__doc__)
    p.add_argument("task", help="task name")
    p.add_argument("--json", action="store_true", help="print task_info.json content")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.humanize import format_duration
    from pyruns_tui.workspace.query import flatten, format_value

    store = ctx.store()
    task = store.get(ctx.resolve_tasks([args.task])[0])
    if args.json:
        print_json(task.to_dict())
        return 0
    print(f"name:    {task.name}" + ("  (pinned)" if task.pinned else ""))
    print(f"status:  {task.status.value}" + (f" ({task.reason})" if task.reason else ""))
    if task.error:
        print(f"error:   {task.error}")
    print(f"created: {task.created_at}")
    print(f"kind:    {task.task_kind}  script: {task.script or '-'}")
    if task.after:
        print(f"after:   {', '.join(task.after)}")
    dependents = [t.name for t in store.scan() if task.name in t.after]
    if dependents:
        print(f"waited for by: {', '.join(dependents)}")
    if task.priority:
        print(f"priority: {task.priority}")
    if task.notes:
        print("notes:   " + task.notes.replace("\n", "\n         "))
    print("config:")
    if store.layout.is_shell:
        print("  " + store.read_command(task.name).strip())
    for key, value in flatten(store.load_config(task.name)).items():
        print(f"  {key}: {format_value(value)}")
    print(f"runs:    {len(task.runs)}")
    for run in task.runs:
        outcome = f"exit {run.exit_code}" if run.exit_code is not None else (f"signal {run.signal}" if run.signal else "")
        gpus = ",".join(map(str, run.gpus)) or "-"
        print(f"  run{run.index}: {run.status.value:<11} {run.start or '':<29} {format_duration(run.duration_s):>8}"
              f"  pid {run.pid or '-'}  {outcome}  gpus {gpus}" + (f"  ({run.reason})" if run.reason else "")
              + (f"  retry of run{run.retry_of}" if run.retry_of is not None else ""))
        if run.error:
            where = f" (log line {run.error_line}; `pyr-tui log {task.name} --run {run.index} --error`)" if run.error_line else ""
            print(f"         error: {run.error}{where}")
    return 0
