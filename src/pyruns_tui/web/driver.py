"""The app process's end of a browser session: Textual's web driver, ended when its server is gone.

`serve` starts each app process with this driver (TEXTUAL_DRIVER). Textual's own WebDriver reads
the session from its stdin, a pipe from the server; when that pipe ends (the server was killed
with SIGKILL, or crashed) its input thread just stops, and the app went on running with nobody
to draw for: one orphan per open tab, each reading the workspace for ever. Here the end of the
input, unless the app itself is stopping, quits the app; what it writes after that goes nowhere.

textual-serve's settings for this driver (TEXTUAL_DRIVER, TERM_PROGRAM=textual...) are taken out
of the app's environment once read: a runner the app starts (Manager `r`) handed them on to every
task it ran, recorded in each run's environment.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from textual import messages
from textual.drivers.web_driver import WebDriver

# what textual-serve sets for the app process besides COLUMNS (which the runner sets per task)
SERVE_ENV = ("TEXTUAL_DRIVER", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "ROWS")


class ServedDriver(WebDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # (read ROWS; Textual read the others as it was imported)
        for name in SERVE_ENV:
            os.environ.pop(name, None)
        self._write = partial(_write_or_drop, self.fileno)

    def run_input_thread(self) -> None:
        super().run_input_thread()
        if not self.exit_event.is_set():  # stdin ended while the app runs: the server is gone
            self._app.post_message(messages.ExitApp())


def _write_or_drop(fileno: int, data: bytes) -> int:
    try:
        return os.write(fileno, data)
    except BrokenPipeError:  # the server is gone: nobody reads what is drawn
        return len(data)
