"""A real terminal for the TUI: `pyr-tui` in a detached tmux session of a private tmux server.

Keys go in with `send-keys` (several keys in one call arrive as fast as a person typing quickly
or faster); the screen comes back with `capture-pane`, with `-e` for its colours.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

TMUX = shutil.which("tmux")
PYR_TUI = str(Path(sys.executable).with_name("pyr-tui"))
SGR = re.compile(r"\x1b\[([0-9;:]*)m")


class Terminal:
    """One tmux session running one command, `size` (columns, rows) big."""

    def __init__(self, socket: str, cmd: Sequence[str], cwd: Path, *, size: tuple[int, int] = (80, 24),
                 colors: str = "truecolor", env: dict[str, str] | None = None) -> None:
        self.socket = socket
        environ = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PYRUNS_", "__PYRUNS", "TMUX", "COLUMNS", "LINES"))}
        environ["TERM"] = "xterm-256color"
        environ.pop("COLORTERM", None)
        if colors == "truecolor":
            environ["COLORTERM"] = "truecolor"
        environ.update(env or {})
        self.env = environ
        # `-f /dev/null`: no user tmux.conf; the server's default-terminal decides what the app may use
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", str(size[0]), "-y", str(size[1]),
                   "-c", str(cwd), "--", "env", *(f"{k}={v}" for k, v in environ.items()), *cmd)
        self._tmux("set-option", "-t", "main", "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=30,
                              env=self.env)
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args[:3])} failed: {done.stderr.strip()}")
        return done.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        """Send keys in one call (tmux key names such as `Enter`, `C-o`, `F3`, or literal text)."""
        self._tmux("send-keys", "-t", "main", *(["-l"] if literal else []), *keys)

    def screen(self, colors: bool = False) -> str:
        return self._tmux("capture-pane", "-p", *(["-e"] if colors else []), "-t", "main")

    def lines(self, colors: bool = False) -> list[str]:
        return self.screen(colors).split("\n")

    def dead(self) -> bool:
        return self._tmux("display-message", "-p", "-t", "main", "#{pane_dead}").strip() == "1"

    def wait(self, condition: Callable[[str], object], what: str, timeout_s: float = 30.0,
             colors: bool = False) -> str:
        """The screen once `condition(screen)` holds; fails with the last screen after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        text = ""
        while time.monotonic() < deadline:
            text = self.screen(colors)
            if condition(text):
                return text
            if self.dead():  # the app ended: the screen will not change; asked once more (it may have
                text = self.screen(colors)  # ended between the two looks, as a wait for its exit expects)
                if condition(text):
                    return text
                break
            time.sleep(0.05)
        raise AssertionError(f"{what}: not on screen within {timeout_s:.0f}s; last screen:\n{text}")

    def wait_for(self, needle: str, timeout_s: float = 30.0) -> str:
        return self.wait(lambda text: needle in text, repr(needle), timeout_s)

    @staticmethod
    def plain(line: str) -> str:
        """A `capture-pane -e` line without its escape sequences."""
        return SGR.sub("", line)

    def close(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self._tmux("kill-server")


def backgrounds(line: str) -> list[str | None]:
    """The background colour of each character of one `capture-pane -e` line (SGR parameters as text)."""
    out: list[str | None] = []
    background: str | None = None
    position = 0
    for match in SGR.finditer(line + "\x1b[m"):
        out.extend([background] * len(line[position:match.start()]))
        position = match.end()
        params = match.group(1).split(";") if match.group(1) else ["0"]
        i = 0
        while i < len(params):
            p = params[i]
            if p in ("0", ""):
                background = None
            elif p == "49":
                background = None
            elif p in ("48",):
                kind = params[i + 1] if i + 1 < len(params) else ""
                count = 3 if kind == "2" else 1
                background = ";".join(params[i:i + 2 + count])
                i += 1 + count
            elif p.isdigit() and (40 <= int(p) <= 47 or 100 <= int(p) <= 107):
                background = p
            elif p in ("38",):
                kind = params[i + 1] if i + 1 < len(params) else ""
                i += 1 + (3 if kind == "2" else 1)
            i += 1
    return out
