"""The sub-commands of `pyr-tui`, one module each (NAME, add_parser, run)."""

from __future__ import annotations

from types import ModuleType

from pyruns_tui.cli.commands import gen, init, ls, note, pin, restore, rm, show

COMMANDS: tuple[ModuleType, ...] = (init, gen, ls, show, rm, restore, pin, note)
