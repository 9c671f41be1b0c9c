"""`pyr-tui ls [QUERY]`: list tasks, optionally filtered by a search query."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.cli.context import Context
    from pyruns_tui.runner.log_cut import LogCut
    from pyruns_tui.workspace.model import Task
    from pyruns_tui.workspace.progress_file import RunProgress
    from pyruns_tui.workspace.query import TaskView
    from pyruns_tui.workspace.store import TaskStore

NAME = "ls"

# cells of a status reason, and of a parameter, query or `-c` value (and its header), in the table:
# a column is as wide as its widest cell (`--json` and `show` have them whole)
REASON_SHOWN = 32
VALUE_SHOWN = 40


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="list tasks", description=__doc__ + "\n\n" + QUERY_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", nargs="*", help="search terms, e.g. status:failed 'lr>=0.01' -opt:adam")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--trash", action="store_true", help="list the tasks in the trash instead")
    p.add_argument("--names", action="store_true",
                   help="only the names, one a line: `pyr-tui run $(pyr-tui ls --names status:failed)`")
    p.add_argument("--by-error", action="store_true",
                   help="group the failed tasks by cause of failure, most frequent first (the Manager's E)")
    p.add_argument("-c", "--columns", metavar="COLS", action="append",
                   help="add columns, comma-separated, named as `export` names them: a metric's "
                        "<metric>.last/.min/.max (a metric alone: its last value), a parameter a.b, "
                        "summary.<key>; e.g. -c acc.max,loss.last,lr (repeatable)")


QUERY_HELP = """\
query terms (AND-ed): word (substring of name/status/notes/params), key:value,
key>=x / key<x / key!=x (params and metrics), loss.min<0.1 (a metric's
.last/.min/.max, named as -c names its column), status:failed, error:oom,
error:"No such file" (why a task failed), -term (negation), param.KEY:value,
param.KEY>=x (the parameter KEY alone: a script's `name`, never the task's).
Quote terms with <, > or ! for the shell: pyr-tui ls 'lr>=0.01' -status:completed
A term naming a parameter or metric adds its column (ls 'lr>=0.01' shows lr) unless -c is given.

columns (-c): a task's values are those of the run whose metrics stand for it (the Manager's,
the latest run that logged any), the row `pyr-tui export` writes for that run:
  pyr-tui ls -c acc.max,loss.last,lr status:completed
  pyr-tui ls -c loss.min --json     each task's "columns": {"loss.min": 0.0398}"""


def view_json(view: TaskView, progress: RunProgress | None = None, now: float = 0.0,
              columns: dict[str, Any] | None = None, cut: LogCut | None = None) -> dict[str, Any]:
    """The stable JSON form of one task in `ls --json`; `progress` of a running task's run;
    `columns` (only with `-c`): the asked columns' values, by the names given; `cut`: where the
    log of a running task was cut (`log_cut`: `{"size", "why", "text"}`, else null)."""
    task = view.task
    extra = {} if columns is None else {"columns": columns}
    return {
        "name": task.name,
        "status": task.status.value,
        "reason": task.reason,
        "error": task.error,
        "created_at": task.created_at,
        "pinned": task.pinned,
        "notes": task.notes,
        "runs": len(task.runs),
        "duration_s": task.duration_s(),
        "gpus": task.last_run.gpus if task.last_run else [],
        "after": list(task.after),
        **{key: getattr(task.last_run, key) if task.last_run else None
           for key in ("gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_p95")},
        "priority": task.priority,
        "params": dict(view.params),
        "progress": progress.progress if progress else None,
        "progress_label": progress.progress_label if progress else None,
        "eta_s": progress.eta_at(now) if progress else None,
        "rate": progress.rate if progress else None,
        "log_cut": {"size": cut.size, "why": cut.why, "text": cut.text} if cut else None,
        **extra,
    }


def _column_names(given: list[str] | None) -> list[str]:
    """The column names `-c` gave (comma-separated, repeatable), in order, each once."""
    names = [name.strip() for value in given or () for name in value.split(",")]
    return list(dict.fromkeys(name for name in names if name))


def _print_causes(views: list[TaskView], as_json: bool) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.logs.failure import group_causes

    groups = group_causes((view.task.name, view.task.error) for view in views)
    if as_json:
        print_json([{"cause": cause, "count": len(names), "tasks": names} for cause, names in groups])
        return 0
    for cause, names in groups:
        shown = ", ".join(names[:5]) + (f", ... ({len(names) - 5} more)" if len(names) > 5 else "")
        print(f"{len(names):>5} × {cause}: {shown}")
    if not groups:
        print("(no failed task with an error)")
    return 0


def _asked_cells(store: TaskStore, views: list[TaskView], asked: list[str]) -> dict[str, dict[str, Any]]:
    """{task name: {column as asked: value}} for `-c`: each task's row of the report of one row
    per task (`export_rows(per_task=True)`, the values the Manager shows). A name no task has is
    an error (a typo), unless a listed task has yet to run or end: then it may still log it, and
    the column is empty with a note."""
    from pyruns_tui.metrics.export import export_rows, pick_columns
    report = export_rows(store, views, per_task=True)
    pending = any(not view.task.status.is_finished for view in views)
    picked = pick_columns(report, asked, pending=pending)
    for name, i in zip(asked, picked):
        if i is None and report.rows:
            sys.stderr.write(f"note: no listed task has logged {name!r} yet (the column is empty)\n")
    return {row[0]: {name: None if i is None else row[i] for name, i in zip(asked, picked)} for row in report.rows}


def _query_columns(text: str, views: list[TaskView], pinned: list[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The columns of the parameters and metrics the query's terms name (`ls 'lr>=0.01'` shows
    `lr`, `ls loss.min<0.1` shows `loss.min`), but those pinned: each task's value the term looked
    at (`term_operand`), as `-c` would show it; no column for a task field (`status:`)."""
    from pyruns_tui.workspace.query import param_key, parse_query, term_operand
    from pyruns_tui.workspace.search_names import names_a_value

    shown = {key.lower() for key in pinned}
    terms = {term.key: term for term in parse_query(text).terms
             if names_a_value(term) and (param_key(term.key) or term.key) not in shown}
    if not terms:
        return [], {}
    cells: dict[str, dict[str, Any]] = {}
    for view in views:
        operands = {key: term_operand(term, view) for key, term in terms.items()}
        cells[view.task.name] = {key: value if found else None for key, (found, value) in operands.items()}
    return list(terms), cells


def _cut_values(rows: list[list[str]], first: int) -> None:
    """Cut the cells of columns `first`... (parameters, query and `-c` values, header included)
    wider than VALUE_SHOWN cells, in place: one task's 100,000-character value widened every row."""
    from operator import itemgetter

    from pyruns_tui.printable import cut_cells

    for i in range(first, len(rows[0])):
        column = list(map(itemgetter(i), rows))
        longest = max(map(len, column))
        # (C passes only, for 100,000 rows: a text of at most VALUE_SHOWN // 2 characters fits, 2 cells
        # a character at most, and an ASCII one of VALUE_SHOWN)
        if longest > VALUE_SHOWN // 2 and not (longest <= VALUE_SHOWN and "".join(column).isascii()):
            for row in rows:
                row[i] = cut_cells(row[i], VALUE_SHOWN)


def _note_never_starting(active: list[Task], stuck: dict[str, str]) -> None:
    """One note per Slurm reason that keeps tasks queued for ever (`PartitionConfig`: they ask
    for more than their partition has): the status cell names the reason, `show` says what to do."""
    queued = [task for task in active if task.reason and task.reason.startswith("Slurm: ") and task.name not in stuck]
    if not queued:
        return
    import shlex

    from pyruns_tui.printable import printable
    from pyruns_tui.runner.slurm.pending import never_starts
    from pyruns_tui.workspace.model import Status

    never: dict[str, list[str]] = {}
    for task in queued:
        if task.status is Status.QUEUED and never_starts(task.reason):
            never.setdefault(str(task.reason), []).append(task.name)
    for reason, names in never.items():
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        sys.stderr.write(f"pyr-tui: note: {printable(names[0])}{more} can never start as asked ({printable(reason)}): "
                         f"`pyr-tui show {printable(shlex.quote(names[0]))}` says what to do\n")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.workspace.gc_pause import bulk_load

    with bulk_load():  # a listing of 100,000 tasks builds no cycles: none to collect
        return _run(ctx, args)


def _run(ctx: Context, args: argparse.Namespace) -> int:
    from itertools import starmap

    from pyruns_tui.cli import keep_until_exit
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.humanize import TimeFormatter, format_duration, format_time, progress_cells
    from pyruns_tui.printable import cut_cells, printable
    from pyruns_tui.workspace.bootstrap import read_script_info
    from pyruns_tui.workspace.model import ACTIVE, Status
    from pyruns_tui.workspace.progress_file import task_progress
    from pyruns_tui.workspace.query import format_value
    from pyruns_tui.workspace.select import pinned_first, select_tasks

    if not args.trash:  # `ls NAME` lists in the workspace that has the task NAME, as `show NAME` finds it
        ctx.find_by_names(args.query)
    store = ctx.store()
    if args.names and (args.json or args.by_error):
        sys.stderr.write(f"pyr-tui ls: error: --names cannot go with --{'json' if args.json else 'by-error'}\n")
        return 2
    asked = _column_names(args.columns)
    if args.columns is not None and (not asked or args.names or args.by_error or args.trash):
        other = "names" if args.names else "by-error" if args.by_error else "trash" if args.trash else None
        sys.stderr.write(f"pyr-tui ls: error: --columns cannot go with --{other}\n" if other else
                         "pyr-tui ls: error: --columns needs a column name, e.g. -c acc.max,lr\n")
        return 2
    if args.trash:
        tasks = store.scan_trash()
        if args.names:
            sys.stdout.write("".join(printable(task.name) + "\n" for task in tasks))
        elif args.json:
            print_json([{"name": t.name, "status": t.status.value, "trashed_at": t.extra.get("trashed_at")} for t in tasks])
        else:
            for task in tasks:
                print(printable(f"{task.name}\t{task.status.value}\t{format_time(task.extra.get('trashed_at'))}", multiline=True))
        return 0
    pinned = read_script_info(store.layout).pinned_params
    # params are shown as the pinned columns and in --json; else no config needs reading
    notes: list[str] = []  # a term naming nothing yet, while some task may still log it
    views = pinned_first(select_tasks(store, " ".join(args.query), params=(bool(pinned) and not args.names) or args.json or bool(asked),
                                      notes=notes), lambda view: view.task.pinned)
    sys.stderr.write("".join(f"pyr-tui: note: {note}\n" for note in notes))
    # the asked columns' values per task (the metrics code is read only when asked: `ls` of 100,000 stays quick)
    cells = _asked_cells(store, views, asked) if asked else {}
    if args.columns is None and not args.json:
        asked, cells = _query_columns(" ".join(args.query), views, pinned)
    store.save_cache()  # (after the columns: their metrics go into the metrics cache too)
    if args.by_error:
        return _print_causes(views, args.json)
    if args.names:  # (escaped like every listing: a folder made by hand could hold a newline)
        sys.stdout.write("".join(printable(view.task.name) + "\n" for view in views))
        return 0
    now = time.time()
    active = [view.task for view in views if view.task.status in ACTIVE]  # what progress and liveness concern
    progress = {task.name: p for task in active if (p := task_progress(store.layout, task)) is not None}
    live = any(task.status is Status.RUNNING for task in active)
    cuts = {}  # running tasks whose log was cut (a full disk): said while they run on
    if live:
        from pyruns_tui.runner.log_cut import log_cut

        cuts = {task.name: cut for task in active if (cut := log_cut(store.layout, task)) is not None}
    if args.json:
        print_json([view_json(v, progress.get(v.task.name), now, cells.get(v.task.name) if asked else None,
                              cuts.get(v.task.name)) for v in views])
        return 0
    from pyruns_tui.runner.liveness import unattended

    stuck = unattended(store.layout, active)
    header = ["STATUS", "NAME", "RUNS", "CREATED", "DURATION", *(["PROGRESS", "ETA"] if live else []),
              *map(printable, pinned), *map(printable, asked)]
    rows = [header]
    if asked:
        from pyruns_tui.metrics.report_format import cell_text
    created = TimeFormatter(datetime.now().astimezone())  # the offset task times are written with
    # per status once, and each row built without a generator: 100,000 rows, 0.1 s less
    finished = {status: status.is_finished for status in Status}
    named = {status: status.value for status in Status}
    blanks = [""] * len(pinned)
    said = bool(stuck or cuts)
    for view in views:
        task = view.task
        status = task.status
        reason = None if finished[status] else task.reason
        if said:  # (a runner gone, a log cut: a few tasks at most, looked up by name only then)
            cut = cuts.get(task.name)
            reason = stuck.get(task.name) or (cut.reason if cut else None) or reason
        if reason and len(reason) > REASON_SHOWN // 2:  # one long reason widened every row
            reason = cut_cells(printable(reason), REASON_SHOWN)  # (escaped first: `\x1b` takes 4 cells)
        row = [
            named[status] + (f" ({reason})" if reason else ""),
            task.name + (" *" if task.pinned else ""),
            str(len(task.runs)),
            created(task.created_at),
            format_duration(task.duration_s()) if task.runs else "",  # (never run: no duration, no call)
        ]
        if live:
            row += progress_cells(progress.get(task.name), now)
        if pinned:
            row += map(format_value, map(view.params.get, pinned, blanks))
        if asked:
            row += map(cell_text, cells[task.name].values())
        rows.append(row)
    text = "".join(map("".join, rows))
    if len(printable(text)) != len(text):  # escapes lengthen: some cell holds a control character
        rows = [[printable(cell) for cell in row] for row in rows]
    _cut_values(rows, len(header) - len(pinned) - len(asked))
    out = sys.stdout
    if text.isascii():
        widths = [max(map(len, column)) for column in zip(*rows)]
        line = "  ".join(f"{{:<{w}}}" for w in widths).format  # one C call lays out a row
        out.write("\n".join(map(str.rstrip, starmap(line, rows))) + "\n")  # (C loops: no frame a row)
    else:  # a wide (CJK) or combining character takes 2 or 0 cells, not the 1 `len` counts
        from pyruns_tui.printable import cell_width, pad_cells

        widths = [max(map(cell_width, column)) for column in zip(*rows)]
        out.write("".join("  ".join(map(pad_cells, row, widths)).rstrip() + "\n" for row in rows))
    if len(rows) == 1:
        out.write("(no tasks)\n" if not args.query else "(no task matches)\n")
    _note_never_starting(active, stuck)
    if stuck:  # (stderr: the table on stdout stays one row per task for scripts)
        from pyruns_tui.runner.liveness import unattended_hint

        out.flush()
        sys.stderr.write(unattended_hint(len(stuck)) + "\n")
    keep_until_exit(store, views, rows, progress)
    return 0
