"""One parameter's value -> its argv items, as the script's argparse reads them back.

Every value is its own argv item (never shell text), formatted so the script's `type=` reads
it back: ints as digits, floats by `repr` (`1e-05`, `inf`), bools for a `type=bool` parameter
as "1"/"" (bool("") is False), for any other type as "True"/"False" (what `str()` gives).
Flags: store_true/store_false/store_const emit the flag when the value is what the flag
stores; BooleanOptionalAction emits `--x`/`--no-x`; count repeats the flag; append repeats
`--a v` per item (items the default already holds are not repeated: argparse appends to it), and
so does an `extend` without nargs, whose text items must be single characters (`characters`);
an `extend` with nargs=N takes any multiple of N items, N per flag (`--pairs 1 2 --pairs 3 4`);
nargs lists follow one flag; a lone value for a list parameter is its one item (`as_items`:
`layers: 64` is `--layers 64`, as argparse reads it). `None` emits nothing. A single value that starts with a prefix
character (`-1`, `-foo`), a list of one such item (`--tags=-x`) and every `nargs='?'` value are
passed as one `--flag=value` item so they cannot be read as flags (argparse's negative-number
and prefix-character rules: `_Builder.plain`, `_Builder.looks`); `--` itself is no value
(argparse drops it). A `nargs='?'` value equal to its `const` is the flag alone (yolov5's
`--resume`, const=True: `--resume=True` would give the text "True"). A value equal to the
script's own default is not passed (`ParamSpec.leaves_off`, the rule the form's checks use too).
The chunks made here are ordered into one command line by `argv_layout`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyruns_tui.params.number_text import too_large_for_float
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams
from pyruns_tui.params.values import not_a_choice, same_value

__all__ = ["as_items", "fits_type", "read_number", "too_large"]

_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's test up to Python 3.13: a value
_NEGATIVE_FLAG = re.compile(r"^-\.?\d")  # its test from 3.14 on (looser): a flag like this makes `-1` a flag
_TRUTH = {"yes": True, "true": True, "t": True, "y": True, "1": True,
          "no": False, "false": False, "f": False, "n": False, "0": False}


def _string_to_bool(text: str) -> bool:
    """HfArgumentParser's `type=string_to_bool` (a `bool | None` field, `--tf32 false`): ValueError
    for what it refuses, as argparse would stop the run on it."""
    if text.lower() not in _TRUTH:
        raise ValueError(text)
    return _TRUTH[text.lower()]


_CONVERT: dict[str | None, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "bool": bool, None: str,
                                                  "string_to_bool": _string_to_bool}
_INFINITY = ("inf", "infinity")  # what float() reads as infinite by name, not by size
_SEPARATOR = "--"  # argparse: every item after it is a value (positional), whatever it looks like


def _plain(value: Any) -> Any:
    """Config values as exact builtin types (ruamel loads ScalarFloat, HexInt, CommentedSeq)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def as_items(value: Any) -> list[Any] | None:
    """The items a list parameter (nargs '+', '*', N or REMAINDER; append, extend) gets from a
    value: a list's own, or a lone value as the one item, as argparse reads `--layers 64` (so a
    grid `layers: 64 | 128` is two one-layer runs, `--layers 64` and `--layers 128`). None for what
    is neither: None, a mapping, or text holding a comma (`0, 1` is a list written as text in a
    YAML spec, not one item; one item with a comma is written in a list: `['a,b']`). Text is never
    split, on spaces or otherwise."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is None or isinstance(value, dict) or (isinstance(value, str) and "," in value):
        return None
    return [value]


def _arg_text(value: Any, kind: str | None) -> str:
    """A scalar as its argv item: a bool as "1"/"" for `type=bool` (bool("") is False), as "True"/
    "False" for any other type; a float by repr. ValueError for an int too long for str()."""
    if isinstance(value, bool):
        return ("1" if value else "") if kind == "bool" else str(value)
    return repr(value) if isinstance(value, float) else str(value)


def fits_type(value: Any, kind: str | None) -> bool:
    """Whether a scalar `value` is one the parameter's builtin `type=` (`kind`: int, float, str or
    bool; None is str, any other type is not checked) reads back from the item the launch writes:
    no bool for a number, no float for an int, text that int() or float() reads. The launch's rule
    (`_Builder.text`), which the form's messages name in the user's terms."""
    if (isinstance(value, bool) and kind in ("int", "float")) or (isinstance(value, float) and kind == "int"):
        return False
    convert = _CONVERT.get(kind)
    if convert is None or (isinstance(value, int) and kind != "string_to_bool"):  # an int's digits: int(), float() and str() read them
        return True
    try:
        convert(_arg_text(value, kind))
    except ValueError:
        return False
    return True


def read_number(value: Any, kind: str | None) -> int | float | None:
    """The number a builtin `type=int`/`type=float` (`kind`) makes of a text `value`, which the
    launch passes as it is: int() and float() read `1_000`, blanks around the digits, float() also
    `1e-3` and `nan`; int() reads no `0x10` nor `1.0`, so argparse refuses those. None for a value
    that is no text, a `kind` that is no number, or text the type refuses (`fits_type`'s rule)."""
    if not isinstance(value, str) or kind not in ("int", "float"):
        return None
    try:
        number: int | float = _CONVERT[kind](value)
    except ValueError:
        return None
    return number


def too_large(value: Any, kind: str | None) -> bool:
    """Whether `value` given to a builtin `type=float` parameter (`kind`) is a number no float holds:
    an int float() refuses (OverflowError), or a text float() reads as inf or -inf without saying so
    (`'1e400'`, 400 digits in quotes), where the script would get inf; not `'inf'` nor `'-Infinity'`,
    which a user may mean. The launch refuses it (`_Builder.text`)."""
    if kind != "float" or isinstance(value, bool):
        return False
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return True
        return False
    number = read_number(value, kind)
    return number is not None and math.isinf(number) and value.strip().lstrip("+-").lower() not in _INFINITY


class _Cannot(Exception):
    """This spec cannot express the value (the message says why)."""


@dataclass(frozen=True)
class _Chunk:
    """Argv items of one parameter (all of them, or one flag's: an `append` repeats its flag):
    `open` when argparse reads the plain items after them as more of theirs (nargs '*', '+', a
    '?' flag alone, REMAINDER), `closed` a form of the same value that ends by itself when there is
    one (`--tags=a` for `--tags a`), `rest` for a REMAINDER option, which takes flags too."""

    items: tuple[str, ...]
    open: bool = False
    closed: tuple[str, ...] | None = None
    rest: bool = False


class _Builder:
    """Builds each parameter's argv chunks for one ScriptParams (`_Layout` orders them)."""

    def __init__(self, sp: ScriptParams) -> None:
        self.sp = sp
        self.chars = sp.prefix_chars
        self.negative_flags = any(_NEGATIVE_FLAG.match(f) for s in sp.params for f in s.flags)

    def text(self, key: str, value: Any, spec: ParamSpec) -> str:
        """One scalar as the string `type=` turns back into it; checks type and choices."""
        kind = spec.type_name
        if value is None or isinstance(value, (list, tuple, dict)):
            raise _Cannot(f"{key!r} takes single values here, got {value!r}")
        if not fits_type(value, kind):
            if kind == "string_to_bool":
                raise _Cannot(f"{key!r}: {value!r} is not true or false (HfArgumentParser's string_to_bool takes "
                              "yes/no, true/false, t/f, y/n, 1/0)")
            raise _Cannot(f"{key!r} expects {kind}, got {value!r}")
        if too_large(value, kind):  # (the script would get inf: a number this large is a mistake)
            raise _Cannot(f"{key!r}: {too_large_for_float(value)}")
        try:
            text = _arg_text(value, kind)
        except ValueError:  # ints beyond Python's str conversion limit
            raise _Cannot(f"{key!r}: value too large to pass") from None
        if "\x00" in text:
            raise _Cannot(f"{key!r} contains a NUL character, which a command line cannot carry")
        convert = _CONVERT.get(kind)
        if convert is not None and spec.choices is not None and convert(text) not in spec.choices:
            raise _Cannot(f"{key!r}: {not_a_choice(repr(value), spec.choices)}")
        return text

    def plain(self, text: str) -> bool:
        """Whether argparse reads `text` as a value wherever it stands, in every Python version:
        it does not start with a prefix character, is that character alone (`-`, stdin), or is a
        negative number while no flag looks like one."""
        return not text or text[0] not in self.chars or len(text) == 1 or (
            bool(_NEGATIVE_NUMBER.match(text)) and not self.negative_flags)

    def looks(self, text: str) -> str:
        """How argparse classes `text` in every Python version: "A" a value (`plain`), "O" a flag,
        "?" either (a space in it, `-1e5`: which depends on the version and the script's flags)."""
        if self.plain(text):
            return "A"
        return "?" if " " in text or ("-" in self.chars and _NEGATIVE_FLAG.match(text)) else "O"

    def value(self, key: str, value: Any, spec: ParamSpec) -> str:
        """`text`, refusing `--`: argparse takes it as the separator (before Python 3.13 even as
        `--flag=--`, which gave an empty list)."""
        text = self.text(key, value, spec)
        if text == _SEPARATOR:
            raise _Cannot(f"{key!r}: '--' cannot be passed as a value (argparse reads it as the end of the "
                          "flags)")
        return text

    def item(self, key: str, value: Any, spec: ParamSpec) -> str:
        """A list element as `value`; a negative float in plain decimals (`-0.00001` passes
        argparse's test of a negative number, `-1e-05` does not)."""
        if isinstance(value, float) and value < 0 and "e" in repr(value):
            self.value(key, value, spec)
            return format(Decimal(repr(value)), "f")
        return self.value(key, value, spec)

    def flag(self, spec: ParamSpec) -> str:
        """The first long flag (`--lr` over `-l`)."""
        longs = [f for f in spec.flags if len(f) > 1 and f[1] in self.chars]
        return (longs or list(spec.flags))[0]

    def single(self, flag: str, key: str, value: Any, spec: ParamSpec) -> _Chunk:
        text = self.value(key, value, spec)
        if spec.nargs == "?" or text[:1] and text[0] in self.chars:
            return _Chunk((f"{flag}={text}",))
        return _Chunk((flag, text))

    def listed(self, flag: str, key: str, texts: list[str], spec: ParamSpec) -> _Chunk:
        """`flag` and its list items. nargs '*'/'+' lists are open; one item also goes as
        `flag=item`, the only form for an item that looks like a flag (`--tags=-x`)."""
        flagged = [text for text in texts if not self.plain(text)]
        open_ = spec.nargs in ("*", "+")
        if len(texts) == 1 and (open_ or flagged):
            closed = (f"{flag}={texts[0]}",)
            return _Chunk(closed) if flagged else _Chunk((flag, *texts), open=True, closed=closed)
        if flagged:
            text = flagged[0]
            raise _Cannot(f"{key!r}: list item {text!r} starts with {text[0]!r} and would be read as a flag "
                          "(only a list of one such item can be passed)")
        return _Chunk((flag, *texts), open=open_)

    def values(self, key: str, value: Any, spec: ParamSpec, *, extended: bool = False) -> list[str]:
        """A list's item texts (or one item: `as_items`) for an nargs parameter, its length checked:
        `nargs=N` takes N, or any multiple of N when `extended` (an `extend` flag, used once per N)."""
        items = as_items(value)
        if items is None:
            raise _Cannot(f"{key!r} takes a list (nargs={spec.nargs!r}), got {value!r}")
        if isinstance(spec.nargs, int) and spec.nargs > 0 and extended and (not items or len(items) % spec.nargs):
            raise _Cannot(f"{key!r} takes its values {spec.nargs} at a time (nargs={spec.nargs}, action='extend'): "
                          f"a multiple of {spec.nargs}, got {len(items)}")
        if isinstance(spec.nargs, int) and not extended and len(items) != spec.nargs:
            raise _Cannot(f"{key!r} takes exactly {spec.nargs} values, got {len(items)}")
        if spec.nargs == "+" and not items:
            raise _Cannot(f"{key!r} takes at least one value (nargs='+')")
        return [self.item(key, v, spec) for v in items]

    def appended(self, key: str, value: Any, default: Any) -> list[Any]:
        """Items to append (a list, or one item: `as_items`): argparse appends to a copy of the
        default list."""
        items = as_items(value)
        if items is None:
            raise _Cannot(f"{key!r} collects a list (append), got {value!r}")
        value = items
        base = list(default) if isinstance(default, list) else []
        if list(value[:len(base)]) != base:
            raise _Cannot(f"{key!r}: argparse appends to the default {base!r}; the value "
                          "must start with it")
        return list(value[len(base):])

    def characters(self, key: str, flag: str, items: list[Any], spec: ParamSpec) -> list[Any]:
        """The items of an `extend` parameter without nargs, each passed with its own flag: argparse
        extends the list by the value of each occurrence iterated, so a text gives its characters
        (`--tags ab` gives ['a', 'b']) and a number fails the script. A custom type's value is its
        own (`type=lambda s: [s]`). _Cannot for an item argparse would not read back as itself."""
        kind = spec.type_name
        if kind in ("int", "float", "bool"):
            raise _Cannot(f"{key!r} cannot be passed: the script's {flag} (action='extend' without nargs, "
                          f"type={kind}) iterates each value and fails on {'an' if kind == 'int' else 'a'} {kind}; give it nargs='+' in the script")
        if kind not in (None, "str"):
            return items
        for item in items:
            text = self.value(key, item, spec)
            if len(text) != 1:
                raise _Cannot(f"{key!r}: the script's {flag} (action='extend' without nargs) takes each value's "
                              f"characters as items, so {item!r} would give {list(text)!r}; write one character "
                              "per item, or give it nargs='+' in the script to take words")
        return items

    def express(self, spec: ParamSpec, value: Any, default: Any, specs: list[ParamSpec]
                ) -> list[_Chunk]:
        """argv items making `spec` store `value`, in chunks (build_argv orders them); _Cannot
        when it cannot. A positional's one chunk is its items (build_argv puts `--` before them
        when one looks like a flag)."""
        action, key = spec.action, spec.key
        if spec.positional:
            if spec.nargs is None or spec.nargs == "?":
                return [_Chunk((self.item(key, value, spec),))]
            if spec.nargs == "...":
                items = as_items(value)
                if items is None:
                    raise _Cannot(f"{key!r} takes the rest of the command line (a list), got {value!r}")
                return [_Chunk(tuple(self.text(key, v, spec) for v in items))]
            return [_Chunk(tuple(self.values(key, value, spec)))]
        if not spec.flags:
            raise _Cannot(f"{key!r} is set by set_defaults() in the script and has no "
                          "command-line flag; it cannot be changed")
        flag = self.flag(spec)
        if action in ("store_true", "store_false", "store_const"):
            if same_value(value, {"store_true": True, "store_false": False}.get(action, spec.const)):
                return [_Chunk((flag,))]
            if action != "store_const":
                raise _Cannot(f"{key!r} is a flag: true or false")
            # every flag storing a constant here is a way to set it (`--warm` / `--cold`, one dest)
            consts = [f"{s.const!r} ({self.flag(s)})" for s in specs if s.action == "store_const" and s.flags]
            shown = consts[0] if len(consts) == 1 else f"{', '.join(consts[:-1])} or {consts[-1]}"
            raise _Cannot(f"{key!r} is a flag ({action}): it can only be {shown}")
        if action == "boolean_optional":
            if not isinstance(value, bool):
                raise _Cannot(f"{key!r} is a flag: true or false, got {value!r}")
            if value:
                return [_Chunk((flag,))]
            negatives = ["--no-" + f[2:] for f in spec.flags if f.startswith("--")]
            if negatives:  # argparse adds `--no-x` for each `--x` flag only
                return [_Chunk((negatives[0],))]
            raise _Cannot(f"{key!r} has no --no- form to pass false")
        if action == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _Cannot(f"{key!r} is a count: a whole number >= 0, got {value!r}")
            base = default if isinstance(default, int) else 0
            if value < base:
                raise _Cannot(f"{key!r} counts up from {base}; {value} cannot be passed")
            return [_Chunk((flag,))] * (value - base)
        if action == "append_const":
            out = []
            for item in self.appended(key, value, default):
                match = [s for s in specs if s.action == "append_const" and same_value(s.const, item)]
                if not match:
                    raise _Cannot(f"{key!r}: no flag appends {item!r}")
                out.append(_Chunk((self.flag(match[0]),)))
            return out
        if action in ("append", "extend"):
            items = self.appended(key, value, default)
            if action == "extend" and items and spec.nargs is None:
                return [self.single(flag, key, item, spec) for item in self.characters(key, flag, items, spec)]
            if action == "extend" and items:
                if isinstance(spec.nargs, int) and spec.nargs > 0:  # `--pairs 1 2 --pairs 3 4`: N values per use of the flag
                    texts, n = self.values(key, items, spec, extended=True), spec.nargs
                    return [self.listed(flag, key, texts[i:i + n], spec) for i in range(0, len(texts), n)]
                if spec.nargs not in ("*", "+"):
                    return [self.listed(flag, key, self.values(key, items, spec), spec)]
                texts = self.values(key, items, spec)
                each = tuple(f"{flag}={text}" for text in texts)  # `--x=a --x=b` extends by a, then b
                if any(not self.plain(text) for text in texts):
                    return [_Chunk(each)]
                return [_Chunk((flag, *texts), open=True, closed=each)]
            if spec.nargs is None or spec.nargs == "?":
                return [self.single(flag, key, item, spec) for item in items]
            return [self.listed(flag, key, self.values(key, item, spec), spec) for item in items]
        if spec.nargs == "?" and spec.const is not None and same_value(value, spec.const):
            # the flag alone stores the const: `--resume=True` would store the text "True"; it takes
            # a plain item after it, so `--cache=ram` ends it where the text is the same value
            return [_Chunk((flag,), open=True, closed=self.const_text(flag, key, value, spec))]
        if spec.nargs is None or spec.nargs == "?":
            return [self.single(flag, key, value, spec)]
        if spec.nargs == "...":  # a REMAINDER option takes every item after it, flags too, up to `--`
            items = as_items(value)
            if items is None:
                raise _Cannot(f"{key!r} takes the rest of the command line (a list), got {value!r}")
            return [_Chunk((flag, *(self.value(key, v, spec) for v in items)), open=True, rest=True)]
        return [self.listed(flag, key, self.values(key, value, spec), spec)]

    def const_text(self, flag: str, key: str, value: Any, spec: ParamSpec) -> tuple[str, ...] | None:
        """`flag=text` when argparse reads `text` back as the const itself (`--cache=ram`), else None."""
        try:
            text = self.value(key, value, spec)
        except _Cannot:
            return None
        convert = _CONVERT.get(spec.type_name)
        if convert is None or isinstance(value, bool) != (convert is bool):
            return None
        try:
            back = convert(text)
        except ValueError:
            return None
        return (f"{flag}={text}",) if type(back) is type(value) and same_value(back, value) else None

    def key_items(self, key: str, value: Any, specs: list[ParamSpec], default: Any,
                  resolved: bool) -> list[_Chunk]:
        """The first spec of `key` that can express `value`; none needed if it is the default.
        _Cannot (the first spec's reason) when none can."""
        return self.chosen(key, value, specs, default, resolved)[1]

    def chosen(self, key: str, value: Any, specs: list[ParamSpec], default: Any,
               resolved: bool) -> tuple[ParamSpec | None, list[_Chunk]]:
        """(the spec whose flag passes `value`, its argv chunks) as `key_items` chooses them;
        (None, []) when nothing is passed."""
        if specs[0].leaves_off(value):
            # the script's own default is what it gets without the flag: passing it could differ (a
            # `type=` that scales its input turned 0.5 into 0.005; a default read from the
            # environment, LOCAL_RANK under torchrun, was fixed at its fallback). Whatever it is:
            # timm's `--model-kwargs` (nargs='*', a custom action) defaults to a mapping, `{}`
            return None, []
        if isinstance(value, dict):
            raise _Cannot(f"{key!r} holds a mapping; an argparse script takes flat values (one key per argument)")
        reasons = []
        for spec in specs:
            try:
                return spec, self.express(spec, value, default, specs)
            except _Cannot as exc:
                reasons.append(str(exc))
        if resolved and same_value(value, default):
            return None, []
        raise _Cannot(reasons[0])

    def required(self, key: str, spec: ParamSpec) -> str:
        where = spec.key if spec.positional else self.flag(spec)
        return f"{key!r} is required by the script ({where}); set a value"
