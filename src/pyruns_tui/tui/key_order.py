"""KeyOrder: keys are handled one after the other, each on the screen current when its turn comes.

Textual forwards a key to the focused widget and goes on with the next key at once; the key's
binding runs later, when it bubbles back up to the app. Typed fast, `e` (duplicate: switch to the
Generator) followed by `a r` ran the Manager's select-all and run-all, and `2 3` left the `3` on
a Manager still mounting. Here the app holds each new key until the previous one has been
handled all the way up: a `KeyHandled` marker is posted behind the key to the same widget and
bubbles the same path, so it reaches the app only after the key's binding (and a screen switch it
awaited) is done.
"""

from __future__ import annotations

from collections import deque

from textual import events
from textual.app import App
from textual.message import Message
from textual.timer import Timer

STUCK_S = 1.0  # a marker lost with its widget (removed by the key) releases the next key after this


class KeyHandled(Message):
    """The key posted just before this marker, to the same widget, has been handled."""


class KeyOrder(App[None]):
    """An App whose keys are dispatched strictly one after the other (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._held_keys: deque[events.Key] = deque()
        self._key_busy = False
        self._stuck_timer: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        if self._key_busy:
            self._held_keys.append(event)
            return
        await self._dispatch_key(event)

    async def _dispatch_key(self, event: events.Key) -> None:
        self._key_busy = True
        target = self.focused or self.screen
        await super().on_event(event)
        if not target.post_message(KeyHandled()):
            self._key_done()
            return
        self._stuck_timer = self.set_timer(STUCK_S, self._key_done)

    def on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        self._key_done()

    def _key_done(self) -> None:
        if self._stuck_timer is not None:
            self._stuck_timer.stop()
            self._stuck_timer = None
        self._key_busy = False
        if self._held_keys:
            self.call_later(self._release_key)

    async def _release_key(self) -> None:
        if not self._key_busy and self._held_keys:
            await self._dispatch_key(self._held_keys.popleft())
