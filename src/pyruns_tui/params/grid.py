"""The batch (grid) grammar: one config with batch syntax -> many task configs (SPEC 2.3).

Only string values hold batch syntax; everything else (numbers, lists, ...) is a plain value.
Nested mappings are walked depth-first; lists are plain values and never walked.

Field grammar (on the stripped string):
- `a | b | c` — product items; an unquoted, unescaped top-level `|` splits. Pipes inside
  `[...]`, `{...}`, `(...)` or quotes do not split, so `[1, 2] | [3]` is two lists.
- `(a | b | c)` — the whole value in parentheses: a zip field. Every zip field in the config
  advances together (the zip group), so all must have the same length. `(0:3)` zips a range.
  Parentheses that only wrap part of a product (`(a | b) | c`) are an error.
- `start:stop[:step]` — a numeric range (ints, floats, exponents, negatives), stop excluded as in
  Python's `range`, computed exactly in decimal (`0.1:0.5:0.1` -> 0.1, 0.2, 0.3, 0.4). A range is
  also allowed as one product/zip item: `1:3 | 10` -> 1, 2, 10. Only *numeric* start:stop[:step]
  is a range: `http://x` and `a:b` stay strings; `12:30` IS a range (quote it: `'12:30'`).
  Numbers must lie within 1e300 in magnitude; step 0 and empty ranges are errors.
- Items are typed with `yamlio.parse_scalar`: `1 | null | yes` -> [1, None, "yes"].
- A quoted item keeps `|` and `:` literally (`'a|b' | c` -> ["a|b", "c"]); `\\|` is an escaped
  pipe (the only escape). A whole value that is one quoted item or uses `\\|` is a single literal
  value: `'12:30'` -> "12:30", `a\\|b` -> "a|b". `escape_literal` produces such text.
- A value of only pipes and spaces (`|`, a separator) is plain; an empty item otherwise is an
  error. Every other string (no top-level pipe, not a range, not a zip, not quoted) is plain:
  kept exactly as given, not re-typed.

Order: product fields in document order, last field fastest; the zip group innermost.
The count (product of product-field sizes x zip length) is computed arithmetically before any
expansion and refused above `max_tasks`.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterator

from pyruns_tui.errors import GridError, ParamsError
from pyruns_tui.params.yamlio import parse_scalar

__all__ = [
    "FieldSpec",
    "GridSpec",
    "parse_grid",
    "expand_grid",
    "count_grid",
    "is_grid_value",
    "parse_field",
    "escape_literal",
    "task_names",
]

_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_RANGE = re.compile(rf"\s*({_NUM})\s*:\s*({_NUM})\s*(?::\s*({_NUM})\s*)?")
_INT = re.compile(r"[-+]?[0-9]+")
_MAX_MAGNITUDE = 300  # range numbers stay well inside float range
_MIN_EXPONENT = -400
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(")]}")
_QUOTE_AFTER = frozenset("[{(,:")
_SCALARS = (str, int, float, bool, type(None), bytes)


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


@dataclass(frozen=True)
class GridSpec:
    """A parsed batch config: the base mapping plus its batch fields in document order."""

    base: dict = field(repr=False)
    fields: tuple[FieldSpec, ...]

    @property
    def product_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if not f.zipped)

    @property
    def zip_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.zipped)

    @property
    def zip_length(self) -> int:
        """The common length of the zip group (1 when there is no zip field)."""
        zipped = self.zip_fields
        return zipped[0].length if zipped else 1

    @property
    def count(self) -> int:
        """How many tasks `expand` yields, computed without expanding."""
        return math.prod(f.length for f in self.product_fields) * self.zip_length

    @property
    def varying_keys(self) -> list[str]:
        """Dotted paths of the fields taking more than one value, in document order."""
        return [f.key for f in self.fields if f.length > 1]

    def expand(self) -> Iterator[dict]:
        """Yield every task's full config (fresh copies), last product field fastest, the zip
        group innermost."""
        product = self.product_fields
        zipped = self.zip_fields
        product_values = [f.values() for f in product]
        zip_values = [f.values() for f in zipped]
        zip_range = range(self.zip_length)
        fresh_base = _copier(self.base)
        for combo in itertools.product(*product_values):
            for z in zip_range:
                config = fresh_base()
                for spec, value in zip(product, combo):
                    _assign(config, spec.path, _copy(value))
                for spec, values in zip(zipped, zip_values):
                    _assign(config, spec.path, _copy(values[z]))
                yield config


def _copy(value: Any) -> Any:
    """A deep copy of YAML-shaped data, much faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: v if isinstance(v, _SCALARS) else _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if isinstance(v, _SCALARS) else _copy(v) for v in value]
    if isinstance(value, _SCALARS):
        return value
    return copy.deepcopy(value)


def _copier(template: Any) -> Callable[[], Any]:
    """A function returning fresh deep copies of `template`: scalars are shared, so each
    mapping is one C-level dict.copy plus its container values."""
    if isinstance(template, dict):
        nested = [(k, _copier(v)) for k, v in template.items() if not isinstance(v, _SCALARS)]
        if not nested:
            return template.copy

        def copy_dict() -> dict:
            out = template.copy()
            for key, make in nested:
                out[key] = make()
            return out
        return copy_dict
    if isinstance(template, list) and all(isinstance(v, _SCALARS) for v in template):
        return template.copy
    return lambda: _copy(template)


def _assign(config: dict, path: tuple[Any, ...], value: Any) -> None:
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


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


def _field(text: str, path: tuple[Any, ...], key: str) -> FieldSpec | None:
    """The FieldSpec of one string value, or None when it is plain."""
    try:
        classified = _classify(text)
        if classified is None:
            return None
        zipped, items = classified
        return FieldSpec(path, key, _build_items(items), zipped)
    except _Problem as exc:
        raise GridError(f"{key}: {exc} in {_snippet(text)}") from None


def _fmt_count(n: int) -> str:
    if n < 10**60:
        return str(n)
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


def _walk(mapping: dict, prefix: tuple[Any, ...], out: list[FieldSpec]) -> None:
    for key, value in mapping.items():
        path = prefix + (key,)
        if isinstance(value, dict):
            _walk(value, path, out)
        elif isinstance(value, str):
            spec = _field(value, path, ".".join(str(k) for k in path))
            if spec is not None:
                out.append(spec)


def parse_grid(config: dict, max_tasks: int = 10000) -> GridSpec:
    """Parse the batch syntax of a loaded config; raises GridError for invalid syntax, unequal
    zip lengths, or more than `max_tasks` tasks (checked before anything is expanded)."""
    if not isinstance(config, dict):
        raise GridError(f"a batch config must be a mapping of parameters, not "
                        f"{type(config).__name__}")
    fields: list[FieldSpec] = []
    _walk(config, (), fields)
    spec = GridSpec(_copy(config), tuple(fields))
    zipped = spec.zip_fields
    if len({f.length for f in zipped}) > 1:
        sizes = ", ".join(f"{f.key} has {f.length} values" for f in zipped)
        raise GridError(f"zip fields must have equal length: {sizes}")
    count = spec.count
    if count > max_tasks:
        raise GridError(f"the batch makes {_fmt_count(count)} tasks, more than max_tasks="
                        f"{max_tasks}; narrow the grid or raise max_tasks in settings")
    return spec


def expand_grid(config: dict, max_tasks: int = 10000) -> list[dict]:
    """Every task config of a batch config, in grid order."""
    return list(parse_grid(config, max_tasks).expand())


def count_grid(config: dict, max_tasks: int | None = None) -> int:
    """How many tasks a batch config makes (no limit unless `max_tasks` is given)."""
    spec = parse_grid(config, max_tasks if max_tasks is not None else 10**10000)
    return spec.count


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
    spec = _field(text, (key,), key)
    if spec is None:
        return None
    if spec.length > max_values:
        raise GridError(f"{key}: {_fmt_count(spec.length)} values, more than {max_values}")
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


def task_names(prefix: str, count: int) -> list[str]:
    """`PREFIX_1-of-N` ... `PREFIX_N-of-N`; a single task is just `PREFIX`."""
    if count == 1:
        return [prefix]
    return [f"{prefix}_{i}-of-{count}" for i in range(1, count + 1)]

