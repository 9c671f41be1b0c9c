"""KeyOrder: keys are handled one after the other, each on the screen current when its turn comes.

Textual forwards a key to the focused widget and goes on with the next key at once; the key's
binding runs later, when it bubbles back up to the app. Typed fast, `e` (duplicate: switch to the
Generator) followed by `a r` ran the Manager's select-all and run-all, and `2 3` left the `3` on
a Manager still mounting. Here the app holds each new key until the previous one has been
handled all the way up: a `KeyHandled` marker is posted behind the key to the same widget and
bubbles the same path, so it reaches the app only after the key's binding (and a screen switch it
awaited) is done. A key's handler may post messages that act later (an Input's Enter posts
`Submitted`, whose handler moves the focus): the marker goes round again, behind them, until a
round finds nothing left in the queues along the key's path.

Escape and a key typed within Textual's escape delay (`ESCDELAY`, 100 ms) reach the app as one
key: the terminal sends the same bytes for Alt+key. `Esc 2` typed fast became `alt+2`, which a
focused field takes as a `2`, or with Textual's table for WezTerm's Option+digit symbols, `™`
typed into the field; `Esc ?` became a `?` alone (the Escape lost), typed into the field. The app
has no Alt bindings: an Alt+letter, digit or punctuation key is split back into Escape and the
key, and each is handled in turn like any two keys typed fast.
"""

from __future__ import annotations

import string
import time
from collections import deque
from collections.abc import Iterator
from typing import cast

from textual import events
from textual.app import App
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget

WATCH_S = 0.1  # how often a marker in flight is checked for a target removed under it (marker lost)
STUCK_S = 30.0  # last resort: a marker lost some other way; a slow key (a busy machine) is waited for
MAX_ROUNDS = 8  # a widget that keeps posting to itself (an animation) does not hold the keys forever


# WezTerm on macOS sends ESC + digit for Option+digit; Textual maps them to the symbols other
# terminals type for it (ESC 2 -> ™). Everywhere else ESC + digit is Alt+digit, or Escape then a
# digit typed fast: dropped from the table, they reach the app as alt+digit (split below).
_OPTION_DIGITS = {"\x1b1": "¡", "\x1b2": "™", "\x1b3": "£", "\x1b4": "¢", "\x1b5": "∞", "\x1b6": "§",
                  "\x1b7": "¶", "\x1b8": "•", "\x1b9": "ª", "\x1b0": "º"}
# ESC + punctuation: Textual waits for more bytes, then reissues the character alone (the Escape
# is lost: `Esc ?` typed fast put a `?` into the field), or maps it to WezTerm's Option symbol
# (ESC - -> –). Each is put in the table as alt+<key> (split below). Not the bytes that open the
# terminal's own reports (CSI `[`, OSC `]`, APC `_`, PM `^`, ST `\`), which must reach the parser.
_OPTION_SYMBOLS = {"\x1b-": "–", "\x1b=": "≠"}
_REPORT_STARTS = "[]_^\\"
_ALT_PUNCTUATION: dict[str, str] = {}  # key name -> character, of the alt+<key> entries put in the table


class _AltKey:
    """A table entry the parser reads as one key (it takes each entry's `value`, as of `Keys`)."""

    def __init__(self, name: str) -> None:
        self.value = f"alt+{name}"


def _take_escape_keys() -> None:
    """Textual's private table (checked per major, as tui/compositor.py's API): where it moved,
    nothing changes, and ESC + a digit or punctuation typed fast is read as before."""
    try:
        from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
        from textual.keys import _character_to_key
    except ImportError:
        return
    table = cast("dict[str, object]", ANSI_SEQUENCES_KEYS)  # (typed read-only; the parser reads this dict)
    for sequence, symbol in _OPTION_DIGITS.items():
        if table.get(sequence) == symbol:
            del table[sequence]
    for character in string.punctuation:
        sequence = "\x1b" + character
        if character in _REPORT_STARTS or table.get(sequence) not in (None, _OPTION_SYMBOLS.get(sequence)):
            continue  # (an entry Textual gives another meaning is left to it)
        name = _character_to_key(character)
        _ALT_PUNCTUATION[name] = character
        table[sequence] = (_AltKey(name),)


_take_escape_keys()


def _is_control(character: str) -> bool:
    """A C0 control character other than ESC itself, or DEL: what a ctrl+key, Enter or Tab sends."""
    return (ord(character) < 0x20 or character == "\x7f") and character != "\x1b"


def _split_report_starts() -> None:
    """ESC + `[ ] _ ^ \\` typed fast: the parser waits for the rest of a report, and when none comes
    within the escape delay it reissues the bytes with the Escape as Alt, which it applies to
    letters and digits only: `Esc ]` in the Monitor was a `]` alone (the Escape lost). Its
    private reader of one character is wrapped so that these come as alt+<key> (split below).
    ESC + a control key (ctrl+f, Enter, ctrl+s…; not ESC Tab and ESC Backspace, which Textual's
    table names shift+tab and ctrl+w) is reissued the same way, and the control key came alone:
    `Esc ctrl+f` opened the finder with the field the Escape left still focused; it comes as
    Escape then the key. Where Textual moved the reader, nothing changes."""
    try:
        from textual._xterm_parser import XTermParser
        from textual.keys import _character_to_key
    except ImportError:
        return
    original = getattr(XTermParser, "_sequence_to_key_events", None)
    if original is None or getattr(original, "_splits_report_starts", False):
        return

    def sequence_to_key_events(self: XTermParser, sequence: str, alt: bool = False) -> Iterator[events.Key]:
        if alt and len(sequence) == 1 and sequence in _REPORT_STARTS:
            yield events.Key(f"alt+{_character_to_key(sequence)}", sequence)
            return
        if alt and len(sequence) == 1 and _is_control(sequence):
            yield events.Key("escape", "\x1b")
            yield from original(self, sequence, False)
            return
        yield from original(self, sequence, alt)

    sequence_to_key_events._splits_report_starts = True  # type: ignore[attr-defined]
    XTermParser._sequence_to_key_events = sequence_to_key_events  # type: ignore[method-assign]
    for character in _REPORT_STARTS:
        _ALT_PUNCTUATION[_character_to_key(character)] = character


_split_report_starts()


def split_alt(event: events.Key) -> list[events.Key]:
    """`alt+x` (x a letter, digit or punctuation) as Escape then x; any other key as itself."""
    modifier, _, key = event.key.rpartition("+")
    if modifier == "alt" and key in _ALT_PUNCTUATION:
        return [events.Key("escape", "\x1b"), events.Key(key, _ALT_PUNCTUATION[key])]
    if modifier not in ("alt", "alt+shift") or len(key) != 1 or not key.isalnum() or event.character is None:
        return [event]
    return [events.Key("escape", "\x1b"), events.Key(event.character if modifier == "alt+shift" else key,
                                                       event.character)]


class KeyHandled(Message):
    """The key posted just before this marker, to the same widget, has been handled."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


class KeyOrder(App[None]):
    """An App whose keys are dispatched strictly one after the other (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._held_keys: deque[events.Key] = deque()
        self._key_busy = False
        self._stuck_timer: Timer | None = None  # watches the marker in flight
        self._key_target: Widget | None = None
        self._rounds = 0
        self._serial = 0  # of the marker in flight: a late or replaced one is ignored
        self._marker_posted = 0.0

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        for key in split_alt(event):
            # held keys go first: a key that lands between a key's end and the release of the next
            # held one (a terminal read that ended mid-burst) would otherwise jump ahead of them
            if self._key_busy or self._held_keys:
                self._held_keys.append(key)
            else:
                await self._dispatch_key(key)

    async def _dispatch_key(self, event: events.Key) -> None:
        self._key_busy = True
        target = self.focused or self.screen
        self._key_target = target
        self._rounds = 0
        try:
            await super().on_event(event)
        finally:  # a key whose binding failed (an upgrade failure said by the app) holds no key after it
            self._post_marker(target)

    def _post_marker(self, target: Widget) -> None:
        self._rounds += 1
        self._serial += 1
        if not target.post_message(KeyHandled(self._serial)):
            self._key_done()
            return
        self._marker_posted = time.monotonic()
        if self._stuck_timer is None:
            self._stuck_timer = self.set_interval(WATCH_S, self._watch_marker)

    def _watch_marker(self) -> None:
        target = self._key_target
        if target is None or time.monotonic() - self._marker_posted > STUCK_S:
            self._key_done()
        elif not target.is_attached:  # removed by the key (a dialog closed): its queue went with it
            self._key_target = self.screen
            self._post_marker(self.screen)

    def on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        if message.serial != self._serial or not self._key_busy:
            return
        target = self._key_target
        if target is not None and self._rounds < MAX_ROUNDS and target.is_attached and (
                self._rounds == 1 or self._messages_waiting(target)):
            # round 1 passed before what the key's handlers posted (always go round once more)
            self._post_marker(target)
            return
        self._key_done()

    def _messages_waiting(self, target: Widget) -> bool:
        return any(node._message_queue.qsize() for node in target.ancestors_with_self if node is not self)

    def _cancel_stuck_timer(self) -> None:
        if self._stuck_timer is not None:
            self._stuck_timer.stop()
            self._stuck_timer = None

    def _key_done(self) -> None:
        self._cancel_stuck_timer()
        self._key_target = None
        self._serial += 1
        self._key_busy = False
        if self._held_keys:
            self.call_later(self._release_key)

    async def _release_key(self) -> None:
        if not self._key_busy and self._held_keys:
            await self._dispatch_key(self._held_keys.popleft())
