"""Opening the TUI: bootstrap or find the workspace, then run the app."""

from __future__ import annotations

import argparse

from pyruns_tui.cli.context import Context
from pyruns_tui.errors import WorkspaceError
from pyruns_tui.workspace.bootstrap import init_shell_workspace, init_workspace
from pyruns_tui.workspace.layout import Layout, find_root, list_workspaces
from pyruns_tui.workspace.store import TaskStore


def resolve_layout(ctx: Context, script: str | None, config: str | None, shell: bool) -> Layout | None:
    """The workspace to open (None when the user cancelled the picker)."""
    if shell:
        return init_shell_workspace(ctx.cwd)
    if script:
        return init_workspace(ctx.cwd, ctx.path(script), ctx.path(config) if config else None, name=ctx.workspace)
    if ctx.workspace:
        return ctx.layout()
    root = find_root(ctx.cwd)
    names = list_workspaces(root) if root else []
    if root is None or not names:
        raise WorkspaceError("no workspace here yet; open one with `pyr-tui SCRIPT.py` (or `pyr-tui --shell`)")
    if len(names) == 1:
        return Layout(root=root, name=names[0])
    from pyruns_tui.tui.picker import WorkspacePicker

    chosen = WorkspacePicker(names).run()
    return Layout(root=root, name=chosen) if chosen else None


def open_tui(ctx: Context, args: argparse.Namespace) -> int:
    layout = resolve_layout(ctx, args.script, args.config, args.shell)
    if layout is None:
        return 0
    from pyruns_tui.tui.app import PyrunsApp

    has_tasks = bool(TaskStore(layout).names())
    start = "generator" if args.script or args.shell or not has_tasks else "manager"
    # queued or running tasks whose runner died (crash, reboot) get a runner again: the app checks
    # with its own first scan (a second scan in a thread here slowed the first paint by ~1 s)
    PyrunsApp(layout, start_mode=start, attach_runner=True).run()
    return 0
