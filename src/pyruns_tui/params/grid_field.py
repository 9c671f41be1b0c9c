"""One batch field's text -> its values: the field grammar documented in `grid`.

`FieldSpec` is the parsed form of one field; ranges stay arithmetic (start, step, length) so
sizes are known without building values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyruns_tui.errors import GridError, ParamsError
from pyruns_tui.params.yamlio import parse_scalar

__all__ = ["FieldSpec", "parse_field_spec", "is_grid_value", "parse_field", "escape_literal",
           "format_count", "keep_item_texts"]

_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_RANGE = re.compile(rf"\s*({_NUM})\s*:\s*({_NUM})\s*(?::\s*({_NUM})\s*)?")
_INT = re.compile(r"[-+]?[0-9]+")
_MAX_MAGNITUDE = 300  # range numbers stay well inside float range
_MIN_EXPONENT = -400
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(")]}")
_QUOTE_AFTER = frozenset("[{(,:")


class _Problem(Exception):
    """A syntax problem inside one field, turned into a GridError naming the key."""


@dataclass(frozen=True)
class _Item:
    """One top-level item of a field's text."""

    text: str  # stripped, with `\|` already turned into `|`
    quoted: bool  # the whole item is one quoted scalar
    escaped: bool  # it contained `\|`
    group: bool  # the whole item is one `( ... )` group


@dataclass(frozen=True)
class _Range:
    """A numeric range as scaled integers: value i is (start + i*step) / scale."""

    start: int
    step: int
    scale: int
    length: int
    is_int: bool

    def values(self) -> list[Any]:
        start, step, scale = self.start, self.step, self.scale
        if self.is_int:
            return list(range(start, start + self.length * step, step))
        return [(start + i * step) / scale for i in range(self.length)]


@dataclass(frozen=True)
class _Literal:
    """One typed item value."""

    value: Any
    length: int = 1

    def values(self) -> list[Any]:
        return [self.value]


@dataclass(frozen=True)
class FieldSpec:
    """One batch field: where it sits, what it expands to, and whether it is zipped."""

    path: tuple[Any, ...]  # keys from the root mapping down to the field
    key: str  # the dotted path, for messages and columns
    items: tuple[_Range | _Literal, ...]
    zipped: bool

    @property
    def length(self) -> int:
        return sum(item.length for item in self.items)

    def values(self) -> list[Any]:
        """All values of this field, in order (materialised; bounded by max_tasks)."""
        out: list[Any] = []
        for item in self.items:
            out.extend(item.values())
        return out


def _quote_end(text: str, start: int) -> int:
    """Index just past the quoted scalar opening at `start` (`''` and `\\"` escape)."""
    quote = text[start]
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            if quote == "'" and i + 1 < n and text[i + 1] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    raise _Problem("unterminated quote")


def _scan(text: str) -> list[_Item]:
    """Split a field's text into top-level items (see the module docstring)."""
    items: list[_Item] = []
    buf: list[str] = []  # single characters, so len(buf) is a text offset
    stack: list[str] = []
    started = quoted = escaped = after_quote = group_open = False
    group_end = -1
    last = ""  # last non-space character, for quote detection inside brackets

    def finish() -> None:
        raw = "".join(buf)
        stripped = raw.strip()
        group = group_open and group_end == len(raw.rstrip())
        items.append(_Item(stripped, quoted, escaped, group))

    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if not stack:
            if c == "|":
                finish()
                buf.clear()
                started = quoted = escaped = after_quote = group_open = False
                group_end, last = -1, ""
                i += 1
                continue
            if c == "\\" and i + 1 < n and text[i + 1] == "|":
                if after_quote:
                    raise _Problem("text after a closing quote")
                buf.append("|")
                started = escaped = True
                last = "|"
                i += 2
                continue
            if c.isspace():
                buf.append(c)
                i += 1
                continue
            if after_quote:
                raise _Problem("text after a closing quote (quote the whole item)")
            if c in "'\"" and not started:
                end = _quote_end(text, i)
                buf.extend(text[i:end])
                started = quoted = after_quote = True
                last = c
                i = end
                continue
            if c in _OPENERS:
                if c == "(" and not started:
                    group_open = True
                stack.append(_OPENERS[c])
            started = True
            buf.append(c)
            last = c
            i += 1
            continue
        if c in "'\"" and last in _QUOTE_AFTER:
            end = _quote_end(text, i)
            buf.extend(text[i:end])
            last = c
            i = end
            continue
        if c in _OPENERS:
            stack.append(_OPENERS[c])
        elif c in _CLOSERS:
            if c != stack[-1]:
                raise _Problem(f"{c!r} does not match the open {stack[-1]!r}")
            stack.pop()
            if not stack and group_open and group_end < 0:
                group_end = len(buf) + 1
        buf.append(c)
        if not c.isspace():
            last = c
        i += 1
    if stack:
        raise _Problem(f"unclosed bracket (expected {stack[-1]!r})")
    finish()
    return items


def _is_range(item: _Item) -> bool:
    return not item.quoted and not item.escaped and _RANGE.fullmatch(item.text) is not None


def _check_items(items: list[_Item]) -> None:
    """Refuse empty items and partial zip groups inside a multi-item field."""
    if any(not item.text for item in items):
        raise _Problem("empty item (write null for None, quote '' for an empty string)")
    for item in items:
        if item.group and (len(_scan(item.text[1:-1])) > 1 or _is_range(
                _scan(item.text[1:-1])[0])):
            raise _Problem("a zip group (...) must be the whole value")


def _classify(text: str) -> tuple[bool, list[_Item]] | None:
    """(zipped, items) for batch syntax, None for a plain string; raises _Problem."""
    s = text.strip()
    if not s:
        return None
    quoted_whole = len(s) >= 2 and s[0] in "'\"" and s[-1] == s[0]
    zip_like = s[0] == "(" and s[-1] == ")"
    if "|" not in s and not quoted_whole and not zip_like and not _RANGE.fullmatch(s):
        return None
    try:
        items = _scan(s)
    except _Problem:
        if "|" in s:
            raise
        return None  # e.g. `"a" and "b"`: a string that merely starts and ends with quotes
    if all(not item.text for item in items):
        return None  # a lone separator such as "|"
    if len(items) > 1:
        _check_items(items)
        return False, items
    item = items[0]
    if item.group:
        inner = _scan(item.text[1:-1])
        if all(not x.text for x in inner) or (len(inner) == 1 and not _is_range(inner[0])):
            return None
        _check_items(inner)
        return True, inner
    if item.quoted or item.escaped or _is_range(item):
        return False, items
    return None


def _scaled(text: str) -> tuple[int, int]:
    """A decimal literal as (integer digits, exponent), bounded to a sane magnitude."""
    try:
        sign, digits, exponent = Decimal(text).as_tuple()
    except ArithmeticError:
        raise _Problem(f"number {text[:30]} is out of range") from None
    assert isinstance(exponent, int)
    if len(digits) > 1000:
        raise _Problem(f"number {text[:20]}... has too many digits")
    mantissa = int("".join(map(str, digits)))
    if mantissa == 0:
        return 0, 0
    if exponent + len(digits) - 1 > _MAX_MAGNITUDE or exponent < _MIN_EXPONENT:
        raise _Problem(f"number {text[:30]} is out of range (at most 1e{_MAX_MAGNITUDE})")
    return (-mantissa if sign else mantissa), exponent


def _range(text: str) -> _Range:
    """A range item's exact arithmetic form; raises _Problem for step 0 or an empty range."""
    match = _RANGE.fullmatch(text)
    assert match is not None
    parts = [match.group(1), match.group(2), match.group(3) or "1"]
    is_int = all(_INT.fullmatch(p) for p in parts)
    scaled = [_scaled(p) for p in parts]
    shift = max(0, -min(e for _, e in scaled))
    start, stop, step = (m * 10 ** (e + shift) for m, e in scaled)
    if step == 0:
        raise _Problem("range step must not be 0")
    length = max(0, -((start - stop) // step))  # ceil((stop - start) / step)
    if length == 0:
        raise _Problem("empty range (stop is excluded; use a negative step to count down)")
    return _Range(start, step, 10 ** shift, length, is_int)


def _build_items(items: list[_Item]) -> tuple[_Range | _Literal, ...]:
    out: list[_Range | _Literal] = []
    for item in items:
        if _is_range(item):
            out.append(_range(item.text))
        else:
            try:
                out.append(_Literal(parse_scalar(item.text)))
            except ParamsError as exc:
                raise _Problem(f"cannot read item {item.text[:40]!r}: {exc}") from None
    return tuple(out)


def _snippet(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def parse_field_spec(text: str, path: tuple[Any, ...], key: str) -> FieldSpec | None:
    """The FieldSpec of one string value at `path` (dotted `key`), or None when it is plain;
    raises GridError naming `key`."""
    try:
        classified = _classify(text)
        if classified is None:
            return None
        zipped, items = classified
        return FieldSpec(path, key, _build_items(items), zipped)
    except _Problem as exc:
        raise GridError(f"{key}: {exc} in {_snippet(text)}") from None


def format_count(n: int) -> str:
    """A task/value count for messages (huge counts as a power of ten)."""
    if n < 10**60:
        return str(n)
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


def is_grid_value(value: Any) -> bool:
    """Whether a field's value uses batch syntax (valid or not: the TUI marks both)."""
    if not isinstance(value, str):
        return False
    try:
        return _classify(value) is not None
    except _Problem:
        return True


def parse_field(text: str, key: str, max_values: int = 10000) -> list[Any] | None:
    """The values one field expands to, or None for a plain value; raises GridError naming
    `key`. A zip field gives its values too (zipping happens across fields)."""
    spec = parse_field_spec(text, (key,), key)
    if spec is None:
        return None
    if spec.length > max_values:
        raise GridError(f"{key}: {format_count(spec.length)} values, more than {max_values}; "
                        "narrow the range")
    return spec.values()


def escape_literal(text: str) -> str:
    """Text that the grid reads back as exactly `text` (quoted only when needed), e.g. for a
    default value that happens to contain `|` or look like a range."""
    try:
        if _classify(text) is None:
            return text
    except _Problem:
        pass
    return "'" + text.replace("'", "''") + "'"


def _retyped(item: _Item) -> bool:
    """Whether the grid reads a plain item as a number or bool rather than the text typed."""
    if item.quoted or item.escaped or item.group or _is_range(item):
        return False
    try:
        return isinstance(parse_scalar(item.text), (int, float, bool))
    except ParamsError:
        return False


def keep_item_texts(text: str) -> str:
    """The grid text of a declared string (`type=str`): each item the grid would read as a number or
    bool quoted, so that it stays the text typed, as a lone value does (`007 | 0x10 | 1e-3` gives
    '007', '0x10' and '1e-3', not 7, 16 and 0.001); other text as it is (a range stays numbers)."""
    try:
        classified = _classify(text)
    except _Problem:
        return text  # the grid's own error says what is wrong
    if classified is None:
        return text
    zipped, items = classified
    if not any(_retyped(item) for item in items):
        return text
    parts = []
    for item in items:
        if _retyped(item) or item.escaped:  # an escaped item's `|` stays literal inside quotes
            parts.append("'" + item.text.replace("'", "''") + "'")
        else:
            parts.append(item.text)
    joined = " | ".join(parts)
    return f"({joined})" if zipped else joined
