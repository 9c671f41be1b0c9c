"""pyruns-tui: a terminal experiment manager for Python training scripts.

In a training script: `import pyruns_tui as pr`, then `pr.load()`, `pr.log(...)`,
`pr.summary(...)`. This package import stays light (no textual, rich, yaml, psutil):
the UI, runner and engine live in subpackages that are imported only by their users.
"""

from __future__ import annotations

from pyruns_tui.script.api import Config, add_monitor, flush, load, log, summary

__version__ = "0.1.0"

__all__ = ["Config", "__version__", "add_monitor", "flush", "load", "log", "summary"]
