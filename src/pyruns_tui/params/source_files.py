"""The modules a script imports, as data for the static walker: found by a finder, never run.

A `ModuleFinder` maps an absolute dotted module name to its `SourceFile` (or None); the
workspace layer provides one that looks for files on disk (`workspace/module_files.py`), so
this room stays free of I/O. `ModuleNS` is an imported module whose top level the walker read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["SourceFile", "ModuleNS", "ModuleFinder", "absolute_name", "MAX_FILES", "MAX_TOTAL_BYTES"]

MAX_FILES = 48  # modules read for one script, the script itself excluded
MAX_TOTAL_BYTES = 6_000_000  # source text read for one script across those modules


@dataclass(frozen=True)
class SourceFile:
    """One module's source. `package` is the dotted package relative imports start from;
    `local` is True for the script's own project (followed on import), False for an
    installed package (followed only where a parser is built or filled)."""

    name: str
    filename: str
    source: str
    package: str
    local: bool


ModuleFinder = Callable[[str], "SourceFile | None"]


@dataclass(eq=False)
class ModuleNS:
    """An imported module the walker read: its top-level names, and where it came from."""

    file: SourceFile
    names: dict[str, Any] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)  # modules star-imported, read when a name is missing
    env: dict[str, frozenset[int]] = field(default_factory=dict)  # names whose values came from the environment
    sites: dict[str, str] = field(default_factory=dict)  # names bound UNKNOWN -> `FILE:LINE` (Scope.sites)


def absolute_name(module: str | None, level: int, package: str) -> str | None:
    """The absolute dotted name of `from <level dots><module> import ...` inside `package`;
    None when the dots climb above the top package."""
    if level == 0:
        return module or None
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or (level - 1 == len(parts) and not module and not parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if not base and not module:
        return None
    return ".".join([*base, module] if module else base)
