"""Fixed-scale sparklines: a bar height means the same percentage whatever the data holds.

Textual's Sparkline scales to the data's own min/max, so a GPU idling at 1-2 % would look
as busy as one at 99-100 %; here the scale is fixed (0-100 % by default).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BARS = " ▁▂▃▄▅▆▇█"


def fixed_sparkline(values: Sequence[float | None], width: int, low: float = 0.0, high: float = 100.0) -> str:
    """The last `width` values as bar characters on the fixed scale [low, high].

    Exactly `width` characters: missing history is padded with spaces on the left; a value at
    or below `low` is a space, any value above `low` shows at least the lowest bar (so "a
    little busy" differs from "idle"), values above `high` are clipped; None is a gap.
    """
    if width <= 0:
        return ""
    tail = list(values[-width:])
    span = high - low if high > low else 1.0
    chars = []
    for value in tail:
        if value is None or value != value or value <= low:
            chars.append(" ")
            continue
        level = (min(value, high) - low) / span * 8
        chars.append(BARS[max(1, min(8, round(level)))])
    return " " * (width - len(tail)) + "".join(chars)


class FixedSparkline(Widget):
    """A one-line sparkline on a fixed scale.

    Reactive attributes: `data` (the values, newest last), `low`, `high` (the scale).
    Component classes: none; the bar colour is the widget's `color`.
    """

    DEFAULT_CSS = """
    FixedSparkline { height: 1; width: 1fr; color: $accent; }
    """

    data: reactive[tuple[float, ...]] = reactive(tuple)
    low: reactive[float] = reactive(0.0)
    high: reactive[float] = reactive(100.0)

    def __init__(self, data: Sequence[float] = (), *, low: float = 0.0, high: float = 100.0,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(FixedSparkline.data, tuple(data))
        self.set_reactive(FixedSparkline.low, low)
        self.set_reactive(FixedSparkline.high, high)

    def render(self) -> Text:
        return Text(fixed_sparkline(self.data, self.size.width, self.low, self.high), no_wrap=True)
