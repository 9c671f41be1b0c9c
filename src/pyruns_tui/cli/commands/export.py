"""`pyr-tui export [QUERY]`: a report of the matching tasks, one row per run (CSV, JSON, Markdown).

With `--best METRIC` it prints the winning task's name and config instead: only tasks whose
latest run completed compete, and only with a finite value (a note on stderr says how many
others were not considered, and names the completed ones whose value is inf or NaN).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyruns_tui.metrics.report_format import FORMATS

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context
    from pyruns_tui.metrics.export import BestRow

NAME = "export"

EPILOG = """\
query terms (AND-ed, as in `pyr-tui ls`): word, key:value, key>=x (params and metrics),
status:failed, -term (negation). Columns: name, status, run, start, finish, duration_s,
exit_code, every parameter (a.b), <metric>.last/.min/.max, summary.<key>.

examples:
  pyr-tui export                                   CSV of every run on stdout
  pyr-tui export status:completed -o runs.csv      atomically written file
  pyr-tui export 'lr<0.01' -f md --sort loss.min   Markdown table, best loss first
  pyr-tui export --best acc --max                  name and config of the best completed task"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="export a report of tasks (CSV, JSON, Markdown)", description=__doc__,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", nargs="*", help="search terms, e.g. status:completed 'lr>=0.01' -tag:old")
    p.add_argument("-f", "--format", choices=FORMATS,
                   help="output format (default: from the -o extension, else csv)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE atomically ('-' or none: stdout)")
    p.add_argument("--sort", metavar="COLUMN", help="sort rows by a column, e.g. loss.min (empty values last)")
    p.add_argument("--desc", action="store_true", help="sort in descending order")
    p.add_argument("--best", metavar="METRIC",
                   help="print the best completed task's name and config: METRIC is a metric (its .min/.max) "
                        "or a column")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--min", dest="mode", action="store_const", const="min", help="lowest wins (default)")
    mode.add_argument("--max", dest="mode", action="store_const", const="max", help="highest wins")
    p.add_argument("--json", action="store_true", help="JSON output (the same as -f json without --best)")


def _best_text(store_config: dict, winner: BestRow, as_json: bool) -> str:
    from pyruns_tui.metrics.report_format import json_text, markdown_cell
    from pyruns_tui.params.yamlio import dump_text

    if as_json:
        data = {"name": winner.name, "run": winner.run, "column": winner.column, "value": winner.value,
                "config": store_config}
        return json_text(data)
    run = f" (run {winner.run})" if winner.run is not None else ""
    config = dump_text(store_config) if store_config else "{}\n"
    return f"{winner.name}\n# {winner.column} = {markdown_cell(winner.value)}{run}\n{config}"


def _note_left_out(left_out: tuple[tuple[str, int], ...]) -> None:
    """One stderr line about the tasks `--best` did not consider, when there were any."""
    from pyruns_tui.metrics.export import left_out_text

    if not left_out:
        return
    total = sum(count for _, count in left_out)
    tasks = f"task{'s' if total != 1 else ''}"
    which = f"{total} {left_out[0][0]} {tasks}" if len(left_out) == 1 else f"{total} {tasks} ({left_out_text(left_out)})"
    sys.stderr.write(f"note: {which} not considered: only tasks whose latest run completed compete\n")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.metrics.export import best_task, export_rows, format_for_path, render, save_report
    from pyruns_tui.metrics.report_format import extensions_text, unknown_extension
    from pyruns_tui.printable import json_safe, printable
    from pyruns_tui.workspace.select import select_tasks

    if args.json and args.format not in (None, "json") and not args.best:
        sys.stderr.write(f"pyr-tui: error: --json conflicts with -f {args.format}\n")
        return 2
    if args.best and (args.format or format_for_path(args.output)) in ("csv", "md"):
        # (a name and a config in a .csv: the CSV reader the file was meant for gets YAML)
        asked = f"-f {args.format}" if args.format else f"-o {args.output}"
        sys.stderr.write(f"pyr-tui: error: --best prints a task's name and config, not a table: {asked} does not "
                         "apply (JSON: --json or a .json file; else -o a .yaml or .txt file)\n")
        return 2
    if not (args.best or args.format or args.json) and (suffix := unknown_extension(args.output)):
        # (CSV written into a .xlsx or .txt opens as garbage or not at all, and nothing said so)
        sys.stderr.write(f"pyr-tui: error: -o {args.output}: export writes {', '.join(FORMATS)} files "
                         f"({extensions_text()}), not {suffix}: name the file with one of these, "
                         f"or give -f csv|json|md to write that format into it\n")
        return 2
    fmt = args.format or ("json" if args.json else None) or format_for_path(args.output) or "csv"
    ctx.find_by_names(args.query)  # `export NAME` in the workspace that has the task NAME, as `ls NAME`
    store = ctx.store()
    notes: list[str] = []
    views = select_tasks(store, " ".join(args.query), notes=notes)
    sys.stderr.write("".join(f"pyr-tui: note: {note}\n" for note in notes))
    if args.best:
        choice = best_task(store, views, args.best, args.mode or "min")
        _note_left_out(choice.left_out)
        if choice.unranked:
            from pyruns_tui.metrics.export import unranked_text

            count = len(choice.unranked)
            sys.stderr.write(f"note: {count} completed task{'s' if count != 1 else ''} not ranked, "
                             f"{choice.winner.column} is not finite: {unranked_text(choice.unranked)}\n")
        if choice.unread:
            from pyruns_tui.metrics.export import unread_text

            count = len(choice.unread)
            sys.stderr.write(f"note: {count} completed task{'s' if count != 1 else ''} not considered, "
                             f"{'their files' if count != 1 else 'its file'} cannot be read: "
                             f"{unread_text(choice.unread)}\n")
        winner = choice.winner
        text = _best_text(store.load_config(winner.name), winner, args.json or fmt == "json")
    else:
        report = export_rows(store, views, sort_by=args.sort, descending=args.desc)
        text = render(report, fmt)
    if args.output in (None, "-"):
        # to a terminal, escapes in notes, names or params must not reach it; a pipe gets the data as is
        if fmt == "json" or args.json:
            text = json_safe(text)
        elif sys.stdout.isatty():
            text = printable(text, multiline=True)
        sys.stdout.write(text)
        store.save_cache()  # (once the report is out: the metrics it read go into the metrics cache)
        return 0
    target = Path(args.output).expanduser()
    if not target.is_absolute():
        target = ctx.cwd / target
    save_report(store, target, text)  # (a refused path: nothing written, the caches neither)
    store.save_cache()
    if not args.best:
        tasks = len({row[0] for row in report.rows})
        print(f"wrote {len(report.rows)} row{'s' if len(report.rows) != 1 else ''} "
              f"({tasks} task{'s' if tasks != 1 else ''}) to {target}")
    return 0
