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
    from pyruns_tui.workspace.bootstrap import init_shell_workspace, init_workspace, read_script_info

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
    print(f"workspace {layout.name!r} ({info.kind}, {len(info.params)} parameters) at {layout.workspace_dir}")
    for warning in info.warnings:
        sys.stderr.write(f"pyr-tui: warning: {warning}\n")
    if info.kind == "plain":
        sys.stderr.write(f"pyr-tui: warning: {plain_script_problem(info.script)}\n")
    return 0


def plain_script_problem(script: str | None) -> str:
    """What a `plain` workspace's tasks get of their parameters: nothing (nanoGPT's train.py,
    which reads `--batch_size=32` with its own configurator, made a grid of identical runs)."""
    name = script.replace("\\", "/").rsplit("/", 1)[-1] if script else "the script"
    return (f"{name} has no argparse parser pyr-tui can read and does not call pyruns_tui.load(): its tasks "
            f"run `python {name}` with no arguments, so their parameters do not reach it (read them with "
            "pyruns_tui.load(), see docs/script-api.md, or put them on a command line of your own in "
            "`pyr-tui --shell`)")
