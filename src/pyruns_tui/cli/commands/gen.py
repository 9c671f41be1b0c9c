"""`pyr-tui gen SPEC.yaml`: expand a batch spec (grid syntax) into tasks."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from pyruns_tui.errors import WorkspaceError

if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "gen"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="create tasks from a spec with grid syntax", description=__doc__)
    p.add_argument("spec", help="YAML spec (use - for standard input); grid syntax allowed in values")
    p.add_argument("-n", "--name", dest="prefix", metavar="PREFIX", help="task name prefix")
    p.add_argument("--dry-run", action="store_true", help="show what would be created, write nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--skip-existing", action="store_true", help="skip configs identical to an existing task")
    p.add_argument("--run", action="store_true", help="queue the created tasks right away")


def _read_spec(ctx: Context, path: str) -> tuple[str, str]:
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return ctx.path(path).read_text(encoding="utf-8"), path
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{path}: cannot read the spec: {getattr(exc, 'strerror', None) or exc}") from exc


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.context import print_json
    from pyruns_tui.params import yamlio
    from pyruns_tui.workspace.bootstrap import read_script_info
    from pyruns_tui.workspace.fsio import read_text
    from pyruns_tui.workspace.generate import (
        create_from_plan,
        field_order,
        merge_defaults,
        merge_shell_defaults,
        plan_tasks,
    )

    text, where = _read_spec(ctx, args.spec)
    spec = yamlio.load_text(text, where=where)
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise WorkspaceError(f"{where}: the spec must be a mapping of parameter: value")
    store = ctx.store()
    info = read_script_info(store.layout)
    shell = store.layout.is_shell
    order = field_order(spec, shell=shell)
    if store.layout.config_default.exists():
        defaults = yamlio.load_text(read_text(store.layout.config_default), where=str(store.layout.config_default)) or {}
        if not isinstance(defaults, dict):
            defaults = {}
        if shell:
            spec = merge_shell_defaults(spec, defaults)
        else:
            spec = merge_defaults(spec, defaults, strict=info.kind == "argparse")
    existing = [c for _, c in store.iter_tasks_with_config()] if args.skip_existing else None
    plan = plan_tasks(
        spec,
        prefix=args.prefix,
        max_tasks=ctx.settings().max_tasks,
        shell=shell,
        existing_configs=existing,
        order=order,
    )
    if args.dry_run:
        if args.json:
            print_json({"count": plan.count, "tasks": [{"name": t.name, "config": t.config} for t in plan.tasks]})
        else:
            for task in plan.tasks:
                print(task.name)
            print(f"{plan.count} tasks would be created" + (f" ({plan.skipped} identical skipped)" if plan.skipped else ""))
        return 0
    created = create_from_plan(store, plan, task_kind=info.kind, script=info.script)
    store.save_cache()
    if args.run and created:
        from pyruns_tui.cli.commands.run import queue_tasks

        queue_tasks(ctx, [t.name for t in created])
    if args.json:
        print_json({"count": len(created), "skipped": plan.skipped, "tasks": [t.name for t in created]})
    else:
        verb = "created and queued" if args.run else "created"
        extra = f" ({plan.skipped} identical skipped)" if plan.skipped else ""
        print(f"{verb} {len(created)} tasks{extra}" + (f": {created[0].name} ..." if created else ""))
    return 0
