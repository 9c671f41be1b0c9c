"""The `pyr-tui` program's first module (the entry point, and `python -m pyruns_tui`): it puts
stand-ins for standard modules that no command needs into `sys.modules` before `pyruns_tui.cli`
imports what would import them, then runs `cli.console`. Every command starts a fresh
interpreter, and a queue's first task waits for `run`'s imports (docs/benchmarks.md, issue 21).

It imports nothing of ours at the top, and nothing of the standard library that a command does
not import anyway."""

from __future__ import annotations

import importlib
import sys
import types


class Deferred(types.ModuleType):
    """A stand-in in `sys.modules` for a module that may not be needed: the first read of an
    attribute it lacks imports the real module, which then takes the stand-in's place (and its
    attributes are copied into the stand-in, for whoever imported that meanwhile)."""

    def __getattr__(self, attr: str) -> object:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def defer(name: str) -> None:
    """Import module `name` only when something reads from it (unless it is imported already)."""
    if name not in sys.modules:
        sys.modules[name] = Deferred(name)


def console() -> None:
    """`pyr-tui`. `ipaddress` (~3 ms here) is imported by `urllib.parse`, which `pathlib` imports
    for `Path.as_uri`; `urllib.parse` reads it only for a URL's bracketed host, which nothing of
    ours parses (the TUI and `serve` import it for real where their libraries use it)."""
    defer("ipaddress")
    from pyruns_tui.cli import console as run

    run()
