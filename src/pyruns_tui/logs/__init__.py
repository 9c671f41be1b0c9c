"""Logs: raw terminal bytes of task runs turned into screen lines, and huge log files read in
pieces. Pure code: no UI, no asyncio."""

from __future__ import annotations

from pyruns_tui.logs.plain import iter_plain_lines, render_plain
from pyruns_tui.logs.tail import LogFile
from pyruns_tui.logs.terminal import TerminalModel

__all__ = ["LogFile", "TerminalModel", "iter_plain_lines", "render_plain"]
