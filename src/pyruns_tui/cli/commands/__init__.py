"""The sub-commands of `pyr-tui`, one module each (NAME, add_parser, run)."""

from __future__ import annotations

from types import ModuleType

from pyruns_tui.cli.commands import compare, export, gen, init, log, ls, metrics, note, pin, restore, rm, run, runner, show, stop, wait

COMMANDS: tuple[ModuleType, ...] = (
    init, gen, ls, show, rm, restore, pin, note, run, stop, wait, log, runner, metrics, export, compare,
)
