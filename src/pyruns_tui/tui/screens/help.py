"""HelpScreen: every key binding, generated from the key maps of the app and its screens."""

from __future__ import annotations

import importlib
import pkgutil
import re

from rich.cells import cell_len
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

_KEY_NAMES = {
    "up": "↑", "down": "↓", "left": "←", "right": "→", "pageup": "PgUp", "pagedown": "PgDn",
    "home": "Home", "end": "End", "space": "space", "enter": "Enter", "escape": "Esc",
}


def merged_keys(cls: type[DOMNode]) -> list[Binding]:
    """The keys of `cls`: its own and its bases' (of Textual widgets only the navigation keys,
    not a text box's editing keys), one row per action with its keys joined, own actions first."""
    by_key: dict[str, tuple[Binding, bool]] = {}
    for base in reversed(cls.__mro__):
        own = base.__module__.startswith("pyruns_tui.")
        for item in vars(base).get("BINDINGS", ()):
            binding = item if isinstance(item, Binding) else Binding(*item)  # type: ignore[arg-type]
            for key in binding.key.split(","):
                key = key.strip()
                if binding.description and (own or key in _KEY_NAMES):
                    by_key[key] = (binding, own)
    rows: dict[str, tuple[Binding, list[str]]] = {}
    for key, (binding, _) in sorted(by_key.items(), key=lambda pair: not pair[1][1]):
        shown = _KEY_NAMES.get(key) or binding.key_display or key
        first, keys = rows.setdefault(binding.action, (binding, []))
        if shown not in keys:
            keys.append(shown)
    return [Binding(b.key, b.action, b.description, key_display=", ".join(keys)) for b, keys in rows.values()]


def widget_sections(mode: str) -> list[tuple[str, list[BindingType]]]:
    """One section per widget or dialog of a screen (`tui/widgets/<mode>/`) with keys of its own."""
    package = importlib.import_module(f"pyruns_tui.tui.widgets.{mode}")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    classes: list[type[DOMNode]] = []
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(package.__name__ + ".") and "BINDINGS" in vars(cls) and cls not in classes:
            classes.append(cls)
    classes.sort(key=lambda c: (c.__module__, c.__name__))
    words = lambda name: re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()  # noqa: E731 - TaskList -> task list
    return [(f"{mode.capitalize()} — {words(cls.__name__)}", list(merged_keys(cls))) for cls in classes]


def binding_rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) for each binding that has a description."""
    rows = []
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)  # type: ignore[arg-type]
        if binding.description:
            # key names as the widgets' sections show them (`Esc`, `Enter`), not Textual's (`escape`)
            keys = ", ".join(_KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(","))
            rows.append((binding.key_display or keys, binding.description))
    return rows


BROWSER_KEYS = (
    "In a browser tab ctrl+n, ctrl+t and ctrl+w stay with the browser. Instead: the name prefix with "
    "Tab or the palette's \"Generator: name prefix\"; pin a parameter with the palette's \"Generator: pin "
    "parameter KEY\" (the field focused) or \"Manager: pin parameter KEY\"; in a text field ctrl+u deletes "
    "to the start of the line."
)


class HelpScreen(ModalScreen[None]):
    """A modal listing the bindings; Esc, q or ? closes it."""

    BINDINGS = [("escape", "dismiss", "Close"), ("q", "dismiss", "Close"), ("question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $accent;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("[b]pyruns-tui keys[/b]  (Esc closes; ctrl+p opens the command palette)\n")
            if self.app.is_web:  # `pyr-tui serve`: these keys never reach the app
                yield Static(BROWSER_KEYS + "\n", markup=False)
            sections = [(title, binding_rows(bindings)) for title, bindings in self.sections]
            # the key column is as wide as the widest keys of every section: a quarter of the table
            # wrapped `Enter, space, ↓, ↑` (the choice select) at 80 columns, its `↑` on a line alone
            widest = max((cell_len(key) for _, rows in sections for key, _ in rows), default=1)
            for title, rows in sections:
                if not rows:
                    continue
                # the title on a line of its own: in the key column it was cut (`Generator — cho…`)
                yield Static(f"[u]{title}[/u]", markup=True)
                # every section's table has the same column widths; in a terminal too narrow for
                # them a long list of keys wraps at its commas rather than being cut
                table = Table(box=None, show_header=False, expand=True, pad_edge=False)
                table.add_column("key", style="bold cyan", width=widest)
                table.add_column("action", ratio=1)
                for key, description in rows:
                    table.add_row(key, description)
                table.add_row("", "")
                yield Static(table)
