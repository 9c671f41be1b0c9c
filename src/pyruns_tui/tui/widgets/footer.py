"""KeyFooter: Textual's Footer, recomposed only when the keys it shows change, and without the
memory it keeps for every key it ever showed.

The Footer composes its keys again whenever the screen says its bindings may have changed: at every
screen switch and at every focus move. In the Generator, Tab from field to field moves the focus
two or three times (row, then its editor) and the keys shown stay the same, yet each recompose
removed and mounted every key, styled them and laid the screen out again: most of a Tab's time
on a big form. So a recompose is skipped when what the Footer would show (`shown_keys`) is what it
shows already.

Each new key binds the Footer's `compact` reactive (`data_bind`), which puts the key into the
Footer's watcher list; Textual drops a closed key from that list only when `compact` changes,
which in this app it never does. Every key ever shown stayed alive, with its styles and caches:
~0.4 MB per screen switch (a day of switching grew the TUI by hundreds of MB). After each
recompose the entries of keys no longer attached are dropped. The list is Textual's private
state (`__watchers`, checked per major as tui/compositor.py's API); where it moved, nothing is
dropped and the Footer behaves as Textual's.

`? Help` and `q Quit` come last in the order Textual lists keys (the app's own, after the
focused widget's and the screen's), so at 80 columns the screen's keys pushed them out: the
Manager showed no `? Help`, the Generator a `q` with no `Quit`. They are pinned at the right,
beside the command palette's key; the screen's keys fill what is left, in their order, each
whole or not at all (no `e Dup` cut off): the rest stay in `?` and the command palette.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widget import Widget
from textual.widgets import Footer

try:  # Textual's private key widget (checked per major, as tui/compositor.py's API): where it moved,
    from textual.widgets._footer import FooterKey  # nothing is pinned and the footer is Textual's
except ImportError:  # pragma: no cover
    FooterKey = None  # type: ignore[assignment,misc]

PINNED_ACTIONS = ("help", "quit")  # shown at any width: how to get help, and how to leave


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter .-pinned {
        dock: right;
        width: auto;
        FooterKey.-command-palette { dock: none; }
    }
    """

    _shown: tuple[Hashable, ...] | None = None  # what the last recompose showed

    def shown_keys(self) -> tuple[Hashable, ...]:
        """Everything the Footer's `compose` reads: the shown bindings, whether each is enabled, its
        tooltip and key display, and the command palette's key."""
        app = self.app
        palette = self.show_command_palette and app.ENABLE_COMMAND_PALETTE
        return (palette, *((binding, app.get_key_display(binding), enabled, tooltip)
                           for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
                           if binding.show or (palette and key == app.COMMAND_PALETTE_BINDING)))

    def compose(self) -> ComposeResult:
        pinned: list[Widget] = []
        for widget in super().compose():
            if FooterKey is not None and isinstance(widget, FooterKey) and not widget.has_class("-grouped") and (
                    widget.action in PINNED_ACTIONS or widget.has_class("-command-palette")):
                pinned.append(widget)
            else:
                yield widget
        if pinned:
            with HorizontalGroup(classes="-pinned"):
                yield from pinned

    async def recompose(self) -> None:
        shown = self.shown_keys()
        if shown == self._shown and self.children:  # (none: not composed yet, or keys not ready then)
            return
        self._shown = shown
        await super().recompose()
        self.drop_closed_watchers()
        self.call_after_refresh(self.fit_keys)

    def on_resize(self) -> None:
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the screen's keys, in order, as long as each fits whole beside the pinned ones."""
        keys = [child for child in self.children if not child.has_class("-pinned")]
        room = self.scrollable_content_region.width - sum(
            _width(key) for child in self.children if child.has_class("-pinned") for key in child.children)
        for key in keys:
            room -= _width(key)
            key.display = room >= 0

    def drop_closed_watchers(self) -> None:
        """Forget the watchers of keys that are no longer in the Footer."""
        watchers = getattr(self, "__watchers", None)
        if not isinstance(watchers, dict):
            return
        for entries in watchers.values():
            if isinstance(entries, list):
                entries[:] = [entry for entry in entries
                              if not isinstance(entry, tuple) or getattr(entry[0], "is_attached", True)]


def _width(widget: Widget) -> int:
    """The cells `widget` takes in the footer, shown or not (a hidden one has no size laid out)."""
    margin = widget.styles.margin.width
    if FooterKey is not None and isinstance(widget, FooterKey):
        return widget.render().cell_len + widget.styles.gutter.width + margin
    return widget.outer_size.width + margin
