"""`pyr-tui gen SPEC.yaml`: expand a batch spec (grid syntax) into tasks."""

from __future__ import annotations

import argparse
import sys

from pyruns_tui.errors import PyrunsError, WorkspaceError

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context
    from pyruns_tui.workspace.layout import Layout

NAME = "gen"
SPEC_LIMIT = 16 << 20  # a grid spec is a few kB: a larger "spec" is another file given by mistake (or /dev/zero)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="create tasks from a spec with grid syntax", description=__doc__)
    p.add_argument("spec", help="YAML spec (use - for standard input); grid syntax allowed in values; "
                               "for a nanoGPT-style script, a config file such as config/train_shakespeare_char.py")
    p.add_argument("-n", "--name", dest="prefix", metavar="PREFIX", help="task name prefix")
    p.add_argument("--dry-run", action="store_true", help="show what would be created, write nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--skip-existing", action="store_true", help="skip configs identical to an existing task")
    p.add_argument("--run", action="store_true", help="queue the created tasks right away")


def _read_spec(ctx: Context, path: str) -> tuple[str, str]:
    """The spec's text and where it is from; at most SPEC_LIMIT + 1 bytes (characters from
    standard input) are read. A FIFO (`gen <(...)`) is read like a file."""
    if path == "-":
        from pyruns_tui.cli.context import read_stdin

        text, where = read_stdin(SPEC_LIMIT, "spec"), "<stdin>"
        too_big = len(text) > SPEC_LIMIT
    else:
        import os

        from pyruns_tui.safefile import read_fd

        where = path
        try:
            fd = os.open(ctx.path(path), os.O_RDONLY | os.O_CLOEXEC)
            try:  # a regular file says its size: one too big is not read at all
                data = read_fd(fd, SPEC_LIMIT + 1) if os.fstat(fd).st_size <= SPEC_LIMIT else None
            finally:
                os.close(fd)
            too_big = data is None or len(data) > SPEC_LIMIT
            text = "" if data is None or too_big else data.decode("utf-8")
        except (OSError, ValueError) as exc:  # (UnicodeDecodeError; a NUL in the path)
            raise WorkspaceError(f"{path}: cannot read the spec: {getattr(exc, 'strerror', None) or exc}") from exc
    if too_big:
        raise WorkspaceError(f"{where}: the spec is over {SPEC_LIMIT >> 20} MiB; is this the right file?")
    return text, where


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.params.spec_text import parse_spec
    from pyruns_tui.workspace.batch import create_batch, describe, plan_batch

    text, where = _read_spec(ctx, args.spec)
    spec = _config_file_spec(ctx.layout(), text, where) if where.endswith(".py") else None
    if spec is None:
        spec = parse_spec(text, where=where, what="spec")  # the Generator's YAML mode reads it so too
    if not spec:  # (`gen - </dev/null` is a task of the defaults: said, not refused, as scripts may rely on it)
        sys.stderr.write(f"pyr-tui: note: {where}: the spec is empty (sets no parameter): "
                         "the task gets every default of config_default.yaml\n")
    store = ctx.store()
    max_tasks = ctx.settings().max_tasks
    if args.dry_run:
        plan = plan_batch(store, spec, prefix=args.prefix, skip_existing=args.skip_existing, max_tasks=max_tasks)
        if args.json:
            print_json({"count": plan.count, "tasks": [{"name": t.name, "config": t.config} for t in plan.tasks]})
        else:
            for task in plan.tasks:
                print(task.name)
            print(f"{plan.count} {'task' if plan.count == 1 else 'tasks'} would be created" + (f" ({plan.skipped} identical skipped)" if plan.skipped else ""))
        return 0
    result = create_batch(store, spec, prefix=args.prefix, skip_existing=args.skip_existing, run=args.run,
                          max_tasks=max_tasks)
    if args.json:
        print_json({"count": len(result.names), "skipped": result.skipped, "tasks": list(result.names)})
    else:
        print(describe(result))  # the Generator's notification says the same
    code = 0
    if result.queued:
        from pyruns_tui.cli.commands.run import say_what_delays

        say_what_delays(store.layout, result.names)
    if spec and result.names:
        _say_if_plain(store.layout)
    if result.queue_problem:
        sys.stderr.write(f"pyr-tui gen: {result.queue_problem}\n")
        code = 1
    outcome = result.outcome
    if outcome is not None and outcome.changed:
        from pyruns_tui.runner import control

        if control.submits_to_slurm(store, outcome.changed):  # as `run`: sbatch's answer, and its refusal
            from pyruns_tui.cli.commands.run import report_submission

            code = report_submission(store, outcome, json=args.json) or code
    return code


def _config_file_spec(layout: Layout, text: str, where: str) -> dict | None:
    """A nanoGPT config file (`config/x.py`) of a configurator script as a spec of its values (read,
    never run: workspace/config_files.py); None for any other workspace (the file is read as YAML)."""
    from pyruns_tui.params.form_model import literal_spec
    from pyruns_tui.workspace.config_files import config_file_values

    values = config_file_values(layout, text, where)
    return None if values is None else literal_spec(values)  # (a text holding `|` is that text, no grid)


def _say_if_plain(layout: Layout) -> None:
    """Warn when the tasks just made cannot see their parameters (a `plain` workspace)."""
    from pyruns_tui.workspace.bootstrap import plain_script_problem, read_script_info

    try:
        info = read_script_info(layout)
    except PyrunsError:
        return  # the launch says what is wrong with the workspace
    if info.kind == "plain":
        sys.stderr.write(f"pyr-tui: warning: {plain_script_problem(info.script)}\n")
