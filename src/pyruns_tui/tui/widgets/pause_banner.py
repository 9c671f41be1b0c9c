"""PauseBanner: the line under the top bar saying that the circuit breaker paused the queue, and why."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from pyruns_tui.runner.breaker import Pause

RESUME_KEY = "ctrl+g"


class PauseBanner(Widget):
    """Shown while the runner starts no queued task (runner/breaker.py); hidden otherwise.

    Reactive attributes: `pause` (the pause to show, or None).
    """

    DEFAULT_CSS = """
    PauseBanner { height: 1; background: $error; color: $text; display: none; }
    PauseBanner.-shown { display: block; }
    """

    pause: reactive[Pause | None] = reactive(None)

    def watch_pause(self, pause: Pause | None) -> None:
        self.set_class(pause is not None, "-shown")

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        if self.pause is not None:
            # the key first: a long cause is cut at the screen's edge (80 columns cut the key off)
            line.append(f" ⏸ queue paused ({RESUME_KEY} resumes): ", style="bold")
            line.append(self.pause.message)
        return line
