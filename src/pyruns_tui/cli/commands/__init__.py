"""The sub-commands of `pyr-tui`, one module each (NAME, add_parser, run).

Modules are imported by name when needed: a command imports only its own module (`pyr-tui ls`
does not pay for the runner client or the metrics code); `--help` imports them all, so each
module keeps its top-level imports light and imports what `run` needs inside it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

NAMES: tuple[str, ...] = (
    "init", "gen", "ls", "show", "rm", "restore", "pin", "note", "run", "stop", "wait", "log", "runner",
    "metrics", "export", "compare", "serve",
)


def load(name: str) -> ModuleType:
    """The module of command `name` (one of NAMES)."""
    return importlib.import_module(f"{__name__}.{name}")
