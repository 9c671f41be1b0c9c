"""`pyr-tui init SCRIPT.py [CONFIG.yaml]`: create the workspace of a script."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.cli.context import Context

NAME = "init"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="create the workspace of a script", description=__doc__)
    p.add_argument("script", nargs="?", help="the training script (omit with --shell)")
    p.add_argument("config", nargs="?", help="YAML file to use as the default parameters")
    p.add_argument("--shell", action="store_true", help="create the shell workspace (_shell_)")
    p.add_argument("--subcommand", help="for scripts with argparse sub-commands: which one")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.humanize import plural
    from pyruns_tui.workspace.bootstrap import (
        init_shell_workspace,
        init_workspace,
        plain_script_problem,
        read_script_info,
        warning_shown,
    )

    if args.shell:
        layout = init_shell_workspace(ctx.cwd)
    else:
        if not args.script:
            sys.stderr.write("pyr-tui: error: init needs SCRIPT.py (or --shell)\n")
            return 2
        config = ctx.path(args.config) if args.config else None
        layout = init_workspace(
            ctx.cwd, ctx.path(args.script), config, name=ctx.workspace, subcommand=args.subcommand
        )
    info = read_script_info(layout)
    sub = f", sub-command {info.subcommand!r}" if info.subcommand else ""
    kind = info.task_kind()  # (nanoGPT's `--key=value` configurator: "configurator")
    count = len({param.get("key") for param in info.params})  # `--amp`/`--no-amp` (HF's `--no_x`) set one
    print(f"workspace {layout.name!r} ({kind}{sub}, {plural(count, 'parameter')}) at {layout.workspace_dir}")
    project = str(layout.project_dir)
    for warning in info.warnings:  # (files named from the project, an installed package's from the package)
        sys.stderr.write(f"pyr-tui: warning: {warning_shown(warning, project)}\n")
    if info.kind == "plain":
        sys.stderr.write(f"pyr-tui: warning: {plain_script_problem(info.script)}\n")
    return 0

