"""The app's colours: Textual's dark theme, with text readable on each background it is drawn on
(a WCAG contrast of at least 4.5:1).

Textual's `textual-dark` draws the cursor and the primary buttons in #0178d4 under text of 87%
white (#ddedf9): 3.8:1; here the primary is a darker blue of the same hue (4.9:1). ANSI colours
named in the app's styles (`red` for a failed task, `magenta` for an interrupted one) are drawn
from Textual's Monokai palette, whose red (#f4005f) was 3.3:1 on the top bar and 3.7:1 on a row;
here they are a lighter red of the same hue (4.7:1 on the top bar, the darkest they sit on).
"""

from __future__ import annotations

from rich.terminal_theme import TerminalTheme
from textual.theme import Theme

PYRUNS_DARK = Theme(
    name="pyruns-dark",
    primary="#0166B4",
    secondary="#004578",
    accent="#ffa62b",
    warning="#ffa62b",
    error="#ba3c5b",
    success="#4EBF71",
    foreground="#e0e0e0",
)

_RED = (255, 95, 135)  # Monokai's #f4005f, lighter
# Textual's Monokai (black, red, green, yellow, blue, magenta, cyan, white; then the bright ones)
ANSI_DARK = TerminalTheme(
    (12, 12, 12),
    (217, 217, 217),
    [(26, 26, 26), _RED, (152, 224, 36), (253, 151, 31), (157, 101, 255), _RED, (88, 209, 235),
     (196, 197, 181)],
    [(98, 94, 76), _RED, (152, 224, 36), (224, 213, 97), (157, 101, 255), _RED, (88, 209, 235),
     (246, 246, 239)],
)
