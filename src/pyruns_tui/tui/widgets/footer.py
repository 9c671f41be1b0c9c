"""KeyFooter: Textual's Footer without the memory it keeps for every key it ever showed.

The Footer composes its keys again whenever the bindings change: at every screen switch and at
many focus moves. Each new key binds the Footer's `compact` reactive (`data_bind`), which puts
the key into the Footer's watcher list; Textual drops a closed key from that list only when
`compact` changes, which in this app it never does. Every key ever shown stayed alive, with its
styles and caches: ~0.4 MB per screen switch (a day of switching grew the TUI by hundreds of MB).
After each recompose the entries of keys no longer attached are dropped. The list is Textual's
private state (`__watchers`, checked per major as tui/compositor.py's API); where it moved,
nothing is dropped and the Footer behaves as Textual's.
"""

from __future__ import annotations

from textual.widgets import Footer


class KeyFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.drop_closed_watchers()

    def drop_closed_watchers(self) -> None:
        """Forget the watchers of keys that are no longer in the Footer."""
        watchers = getattr(self, "__watchers", None)
        if not isinstance(watchers, dict):
            return
        for entries in watchers.values():
            if isinstance(entries, list):
                entries[:] = [entry for entry in entries
                              if not isinstance(entry, tuple) or getattr(entry[0], "is_attached", True)]
