"""config.yaml values -> the argv list that makes an argparse script see exactly those values.

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
passed as one `--flag=value` item so they cannot be read as flags; a positional's value that looks
like a flag goes after `--`; `--` itself is no value (argparse drops it). A `nargs='?'` value
equal to its `const` is the flag alone (yolov5's `--resume`, const=True: `--resume=True` would give
the text "True"). The order (`_Layout`) is one argparse reads back in Python 3.10 to 3.14: the
positionals first, or last after the options when one of them takes every item after it (an
`argparse.REMAINDER` positional, detectron2's `opts`, or the sub-command, whose own argv follows);
a list option (`--tags a b`, it reads every plain item after it) is ended by the next flag, by
`--`, or goes as `--tags=a`; what no order passes is refused in one line.
A value equal to the script's own default is not passed (the script gets it without the flag:
`ParamSpec.leaves_off`, the rule the form's checks use too).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.configurator_argv import OverrideError, override_item
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams
from pyruns_tui.params.values import not_a_choice, same_value

__all__ = ["ORDER", "ExclusiveCheck", "LaunchCheck", "as_items", "build_argv", "exclusive_problem", "fits_type"]

_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's test up to Python 3.13: a value
_NEGATIVE_FLAG = re.compile(r"^-\.?\d")  # its test from 3.14 on (looser): a flag like this makes `-1` a flag
_CONVERT = {"int": int, "float": float, "str": str, "bool": bool, None: str}
_SEPARATOR = "--"  # argparse: every item after it is a value (positional), whatever it looks like
# what argparse's regular expressions match of a positional, per nargs, over the command line's
# shape: A a value, O a flag, - the separator (its own patterns, the same from Python 3.10 to 3.14)
_POSITIONAL_PATTERNS = {None: "(-*A-*)", "?": "(-*A?-*)", "*": "(-*[A-]*)", "+": "(-*A[A-]*)",
                        "...": "([-AO]*)", "A...": "(-*A[-AO]*)"}


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
    if convert is None or isinstance(value, int):  # an int's digits: int(), float() and str() read them
        return True
    try:
        convert(_arg_text(value, kind))
    except ValueError:
        return False
    return True


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
            raise _Cannot(f"{key!r} expects {kind}, got {value!r}")
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


class LaunchCheck:
    """Whether the launch (`build_argv`) can pass a value of one parameter, asked before any task
    is written: `gen` and the Generator refuse what every run of the task would fail on
    (`tags: [--x]`, three values for `nargs=2`, a required parameter left empty)."""

    def __init__(self, sp: ScriptParams) -> None:
        self.sp = sp
        self.builder = _Builder(sp)
        self.defaults = sp.defaults()

    def declares(self, key: object) -> bool:
        """Whether `key` is one of the script's parameters (whose values the launch passes)."""
        return self.sp.kind != "pyruns_load" and key in self.defaults

    def problem(self, key: str, value: Any) -> str | None:
        """Why `value` cannot be passed for the script's parameter `key`, as `build_argv` would
        say it (without the key); None when it can, or when `key` is none of the script's."""
        if self.sp.kind == "pyruns_load" or key not in self.defaults:
            return None
        specs = self.sp.specs_for(key)
        value = _plain(value)
        try:
            if self.sp.argv_style == "configurator":
                try:
                    override_item(key, value, specs[0])
                except OverrideError as exc:
                    raise _Cannot(str(exc)) from None
                return None
            if value is None:
                if specs[0].required:
                    raise _Cannot(self.builder.required(key, specs[0]))
                return None
            self.builder.key_items(key, value, specs, self.defaults[key], specs[0].default_resolved)
        except _Cannot as exc:  # "'betas' takes exactly 2 values" -> "takes exactly 2 values"
            reason, named = str(exc), repr(key)
            for lead in (named + ": ", named + " is ", named + " "):
                if reason.startswith(lead):
                    return reason[len(lead):]
            return reason
        return None


def _shown(value: Any) -> str:
    """A config value as YAML-ish text in a message: true, 0.1, "a.pt", [1, 2]."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _joined(items: list[str], last: str = "and") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


_UNSET = object()  # a member the config leaves out (ExclusiveCheck.problem)
_ANSWERS_KEPT = 4096  # distinct member values ExclusiveCheck remembers answers for
ORDER = -1  # ExclusiveCheck's pseudo group of the command line's order (`_Layout`)


def _typed(value: Any) -> Hashable:
    """`value` with its type, lists by their items, as a key of ExclusiveCheck's answers (`1` is not
    `true`); TypeError for a mapping."""
    if isinstance(value, list):
        return list, tuple(_typed(item) for item in value)
    hash(value)
    return type(value), value


class ExclusiveCheck:
    """What the script's argparse refuses of a config's values together: its mutually exclusive
    groups (`add_mutually_exclusive_group()`), and values no order of the command line passes
    (`_Layout`: `tags: [a, b]`, nargs='*', before a REMAINDER positional's items with no other
    option to end the list), the pseudo group ORDER, checked only for a script where that can
    happen (`_orders`). Read once from its ScriptParams and asked per config (a batch of 10,000
    tasks asks 10,000 times). `script` names the script in the messages; `order=False` leaves
    the order to the caller (build_argv orders the command line itself)."""

    def __init__(self, sp: ScriptParams, script: str = "the script", *, order: bool = True) -> None:
        self.script = script
        self.sp = sp
        self.groups: dict[int, list[ParamSpec]] = {}
        self._answers: dict[tuple[Any, ...], tuple[tuple[int, str], ...]] = {}  # by the members' values (see problems)
        if sp.kind != "pyruns_load":
            for spec in sp.params:
                if spec.exclusive is not None:
                    self.groups.setdefault(spec.exclusive, []).append(spec)
            if order and _orders(sp):  # every parameter has its place in the order
                self.groups[ORDER] = list(sp.params)
        if not self.groups:  # most scripts: a launch asks and is answered at once
            return
        members = {spec.key for specs in self.groups.values() for spec in specs}
        self.members = [(key, sp.specs_for(key)) for key in sp.keys() if key in members]
        grouped = {spec.key for ident, specs in self.groups.items() if ident != ORDER for spec in specs}
        self.grouped = [(key, specs) for key, specs in self.members if key in grouped]  # of the real groups
        self.builder = _Builder(sp)
        self.defaults = sp.defaults()
        self._argvs: dict[tuple[str, Hashable], tuple[ParamSpec | None, list[_Chunk]] | _Cannot] = {}
        self._orders: dict[Hashable, str | None] = {}

    def problem(self, config: Mapping[str, Any]) -> str | None:
        """The first of `problems` (the launch's one line), None when there is none."""
        found = self.problems(config)
        return found[0][1] if found else None

    def problems(self, config: Mapping[str, Any]) -> tuple[tuple[int, str], ...]:
        """Why argparse would refuse the command line `build_argv` makes of `config`: one line per
        group it refuses, as (the group's number, the line), in the script's group order; empty
        when it would not. argparse refuses two members of a group on one command line ("not
        allowed with argument") and, for a `required=True` group, a command line with none ("one
        of the arguments ... is required"). A member is set when `build_argv` passes its flag:
        `fp16: true` for a store_true `--fp16`, `tf32: false` for a store_false `--no-tf32`, a value
        that differs from the script's default (one equal to it is not passed). Values the launch
        cannot pass at all are left to LaunchCheck and build_argv, which name them.

        The order's line (ORDER, last) says what `_Layout` refuses, as build_argv would.

        The answer depends only on the members' values, so it is remembered by them (with their
        types: `1` is not `true`): a 10,000-task grid asks once per distinct combination."""
        if not self.groups:
            return ()
        if ORDER in self.groups:  # remembered by the argv's shape (`_order`), not all the values
            return self._problems(config)
        seen = self._answers
        try:
            values = tuple(_typed(config.get(key, _UNSET)) for key, _ in self.members)
            return seen[values]
        except TypeError:  # a list or mapping among them: not remembered
            return self._problems(config)
        except KeyError:
            if len(seen) >= _ANSWERS_KEPT:
                seen.clear()
            answer = seen[values] = self._problems(config)
            return answer

    def _problems(self, config: Mapping[str, Any]) -> tuple[tuple[int, str], ...]:
        defaults = self.defaults
        passed: dict[int, list[tuple[str, Any, ParamSpec]]] = {}
        for key, specs in self.grouped:
            value = _plain(config.get(key, defaults[key] if specs[0].positional else None))
            if value is None:
                continue
            try:
                flag_spec, items = self._chosen(key, value, specs, defaults[key], specs[0].default_resolved)
            except _Cannot:
                continue
            if flag_spec is not None and items and flag_spec.exclusive is not None:
                passed.setdefault(flag_spec.exclusive, []).append((key, value, flag_spec))
        found: list[tuple[int, str]] = []
        for ident, specs in self.groups.items():
            if ident == ORDER:
                problem = self._order(config)
                if problem:
                    found.append((ORDER, problem))
                continue
            given = passed.get(ident, [])
            if len(given) > 1:
                values = [f"{key}: {_shown(value)}" for key, value, _ in given]
                flags = [self._flag(spec) for _, _, spec in given]
                verb, fix = ("cannot both be set", "change one") if len(given) == 2 else \
                    ("cannot be set together", "keep one")
                found.append((ident, f"{_joined(values)} {verb} ({_joined(flags)} are mutually exclusive in "
                                     f"{self.script}); {fix}"))
            elif not given and any(spec.exclusive_required for spec in specs):
                keys = list(dict.fromkeys(spec.key for spec in specs))
                flags = [self._flag(spec) for spec in specs]
                found.append((ident, f"none of {', '.join(keys)} is set, and {self.script} requires one of "
                                     f"{_joined(flags, 'or')} (a required mutually exclusive group); set one"))
        return tuple(found)

    def _flag(self, spec: ParamSpec) -> str:
        return spec.key if spec.positional else self.builder.flag(spec)

    def _order(self, config: Mapping[str, Any]) -> str | None:
        """What `_Layout` refuses of `config`, None when nothing (values no flag passes are left to
        LaunchCheck, which names them). Remembered by the shape of the argv (`_shape`: how argparse
        reads each key's items), which a grid over lr and seed does not change, with each key's
        chunks by its value: a preview of 10,000 tasks asks on every change."""
        try:
            levels = _levels(config, self.sp, self.builder, self.defaults, self._chosen, self.members)
        except ParamsError:
            return None
        shape = _shape(levels, self.builder)
        if shape not in self._orders:
            if len(self._orders) >= _ANSWERS_KEPT:
                self._orders.clear()
            answer = None
            try:
                _ordered(self.sp, self.builder, levels)
            except _Cannot as exc:
                answer = str(exc)
            self._orders[shape] = answer
        return self._orders[shape]

    def _chosen(self, key: str, value: Any, specs: list[ParamSpec], default: Any,
                resolved: bool) -> tuple[ParamSpec | None, list[_Chunk]]:
        """`_Builder.chosen`, remembered by the key and its value."""
        try:
            memo = (key, _typed(value))
        except TypeError:  # a mapping: not remembered
            return self.builder.chosen(key, value, specs, default, resolved)
        found = self._argvs.get(memo)
        if found is None:
            if len(self._argvs) >= _ANSWERS_KEPT:
                self._argvs.clear()
            try:
                found = self.builder.chosen(key, value, specs, default, resolved)
            except _Cannot as exc:
                found = exc
            self._argvs[memo] = found
        if isinstance(found, _Cannot):
            raise found
        return found


def exclusive_problem(config: Mapping[str, Any], sp: ScriptParams, script: str = "the script") -> str | None:
    """Why the script's argparse would refuse `config`'s values together (two flags of a mutually
    exclusive group, or none of a required one), each group's problem (`ExclusiveCheck.problems`)
    in one line (`one_line`); None when it would not."""
    found = ExclusiveCheck(sp, script).problems(config)
    return one_line([line for _, line in found]) if found else None


def one_line(problems: Sequence[str]) -> str:
    """Several problems as the one line of an error: `A; also B`."""
    return "; also ".join(problems)


_Unit = tuple[str, ParamSpec, list[_Chunk]]  # one key's option chunks, in its order


def _positional_pattern(nargs: Any) -> str:
    """argparse's regular expression of a positional with `nargs` (`_POSITIONAL_PATTERNS`; N items
    for a number; one for what it does not know)."""
    if isinstance(nargs, int):
        return "(-*%s-*)" % "-*".join("A" * nargs)
    return _POSITIONAL_PATTERNS.get(nargs, "(-*A-*)")


def _items(units: list[_Unit]) -> list[str]:
    return [item for _, _, chunks in units for chunk in chunks for item in chunk.items]


def _open(unit: _Unit) -> bool:
    """Whether the key's items read the plain items after them as theirs (its last chunk is open)."""
    return unit[2][-1].open


class _Layout:
    """Orders one parser's argv (the main parser's, or the sub-command's): its options, then its
    positionals; for the main parser of a sub-command, then the sub-command's name and argv.

    argparse reads the items after an open option (nargs '*', '+', a '?' flag alone, REMAINDER)
    as that option's, up to the next flag, and a REMAINDER positional or a sub-command takes every
    item after its first one. So: with neither, and no positional value that looks like a flag,
    the positionals come first and the options after them (each list ends at the next flag, the
    last one at the end). Otherwise the positionals come last, and the item before them must end
    by itself: a closed option is put last (a one-item list goes as `--tags=a`), or `--` ends
    the options, which also lets a positional value start with `-` (`data: -weird`); `--` is
    taken (and dropped) by the parser's first positional, so that must not be a REMAINDER or the
    sub-command. What cannot be ordered so is refused (_Cannot), one line saying what to change;
    then argparse's own matching of the positionals is checked (`check`)."""

    def __init__(self, builder: _Builder, positionals: list[tuple[ParamSpec, tuple[str, ...]]],
                 options: list[_Unit], after: list[str] | None = None, subcommand: str | None = None) -> None:
        self.builder = builder
        self.positionals = positionals  # every positional of the parser, in order, with its items
        self.options = [unit for unit in options if unit[2]]
        self.after = after  # the sub-command's name and argv (main parser of a sub-command)
        self.subcommand = subcommand

    def argv(self) -> list[str]:
        plain = self.builder.plain
        rests = [unit for unit in self.options if any(chunk.rest for chunk in unit[2])]
        if len(rests) > 1:
            keys = " and ".join(repr(key) for key, _, _ in rests)
            raise _Cannot(f"keys {keys} both take every item after their flag (nargs=REMAINDER): "
                          "argparse would read the second as part of the first; set only one")
        closed = [unit for unit in self.options if not _open(unit)]
        opened = [unit for unit in self.options if _open(unit) and unit not in rests]
        region = [item for _, items in self.positionals for item in items] + (self.after or [])
        flagged = [item for spec, items in self.positionals if spec.nargs != "..." for item in items
                   if not plain(item)]
        tail = self.after is not None or any(spec.nargs == "..." for spec, _ in self.positionals)
        if not tail and not flagged:
            self.check(region, separator=False)
            return region + _items(closed) + _items(opened) + _items(rests)
        if not region:
            return _items(closed) + _items(opened) + _items(rests)
        separable = bool(self.positionals) and self.positionals[0][0].nargs != "..."
        separator = bool(flagged or rests)
        if opened and not closed and not separator:
            closable = [unit for unit in opened if unit[2][-1].closed is not None]
            if closable:
                key, spec, chunks = unit = closable[-1]
                opened.remove(unit)
                closed.append((key, spec, [*chunks[:-1], _Chunk(chunks[-1].closed or ())]))
            else:
                separator = True
        if separator and not separable and (rests or opened):
            raise _Cannot(self.unended(rests or opened))
        try:
            self.check(region, separator)
        except _Cannot as exc:
            if separator or not separable:
                raise
            try:  # after `--` every item is a value: a REMAINDER's item `--` stays its own
                self.check(region, True)
            except _Cannot:
                raise exc from None
            separator = True
        return _items(opened) + _items(closed) + _items(rests) + ([_SEPARATOR] if separator else []) + region

    def following(self) -> str:
        """What comes after the options, for a message."""
        for spec, items in self.positionals:
            if items:
                return f"the items of {spec.key!r}" if spec.nargs == "..." else f"the positional {spec.key!r}"
        return f"the sub-command {self.subcommand!r}"

    def unended(self, units: list[_Unit]) -> str:
        """Why the last of `units` cannot come before the positionals (nothing can end it)."""
        key, spec, _ = units[-1]
        flag = self.builder.flag(spec)
        if spec.nargs == "...":
            kind = "takes every item after it (nargs=REMAINDER)"
            fix = f"leave {key!r} empty"
        elif spec.nargs == "?":
            kind = "takes an optional value"
            fix = f"set {key!r} to a value other than its const, or set an option that takes one value too"
        else:
            kind = "is a list that ends only at the next flag"
            fix = f"give {key!r} one item, or set an option that takes one value too"
        what = self.following()
        return (f"key {key!r} ({flag}, which {kind}) cannot be passed before {what}: argparse would "
                f"read {what} as part of it; {fix}")

    def check(self, region: list[str], separator: bool) -> None:
        """_Cannot unless argparse's matching of the positionals (its regular expressions over the
        command line's shape, `_POSITIONAL_PATTERNS`) gives each positional its own items: it
        fills them in order, each as far as it can (`a` nargs='?' left empty takes the value of the
        `b` after it), and it starts them only at a plain item (`opts: [--x]` right after the
        options is an unknown flag)."""
        if separator:
            shape = "-" + "A" * len(region)
        else:
            marks, ended = [], False
            for item in region:
                marks.append("A" if ended else "-" if item == _SEPARATOR else self.builder.looks(item))
                ended = ended or item == _SEPARATOR
            shape = "".join(marks)
        named = [(repr(spec.key), spec.nargs, list(items)) for spec, items in self.positionals]
        if self.after is not None:
            named.append((f"the sub-command {self.subcommand!r}", "A...", self.after))
        if shape[:1] in ("O", "?"):
            key = next(key for key, _, items in named if items)
            raise _Cannot(f"key {key}: its first item {region[0]!r} starts with {region[0][0]!r} and "
                          "argparse would read it as an unknown flag (nothing comes before it to start "
                          f"the rest of the command line); start {key} with an item that does not")
        pattern = "".join(_positional_pattern(nargs) for _, nargs, _ in named)
        spans, start = [], 0
        for index, (_, _, items) in enumerate(named):
            count = len(items) + (separator and index == 0)
            spans.append((start, start + count))
            start += count
        for shown in (shape.replace("?", "A"), shape.replace("?", "O")):  # either way argparse reads them
            match = re.match(pattern, shown)
            if match is None or match.end() != len(shown) or \
                    [match.span(i + 1) for i in range(len(named))] != spans:
                break
        else:
            return
        line = [_SEPARATOR] * separator + region
        read = [[item for item in line[slice(*match.span(index + 1))] if item != _SEPARATOR]
                if match is not None and match.end() == len(shown) else None for index in range(len(named))]
        shown_read = ", ".join(f"{key}: {got!r}" for (key, _, _), got in zip(named, read) if got is not None)
        wrong = next((index for index, entry in enumerate(named) if read[index] != entry[2]), 0)
        key, nargs, wanted = named[wrong]
        later = next((entry[0] for entry in named[wrong + 1:] if entry[2]), None)
        if nargs == "..." and later is not None:
            fix = f"{key} takes every item after its first (nargs=REMAINDER), so {later} cannot follow it"
        elif not wanted and later is not None:
            fix = f"set {key} too, or leave {later} empty"
        elif later is not None and nargs in ("?", "*", "+"):
            fix = f"{key} (nargs={nargs!r}) takes the items after its own; leave {later} empty"
        else:
            fix = "change their values"
        reading = f" and would read {shown_read}" if shown_read else ""
        raise _Cannot(f"positionals {', '.join(key for key, _, _ in named[:len(self.positionals)])}: "
                      f"argparse fills them in order, each taking all it can{reading}; {fix}")


def _orders(sp: ScriptParams) -> bool:
    """Whether `_Layout` can refuse some config of the script: it has a sub-command, a REMAINDER
    argument, or a positional taking a variable number of items. (Otherwise the positionals go
    first and every option after them, or after `--` when a value looks like a flag.)"""
    return sp.subcommand is not None or any(
        spec.nargs == "..." or (spec.positional and spec.nargs in ("?", "*", "+")) for spec in sp.params)


_Levels = dict[str | None, tuple[list[tuple[ParamSpec, tuple[str, ...]]], list[_Unit]]]


def _levels(config: Mapping[str, Any], sp: ScriptParams, builder: _Builder, defaults: dict[str, Any],
            chosen: Callable[..., tuple[ParamSpec | None, list[_Chunk]]] | None = None,
            keyed: list[tuple[str, list[ParamSpec]]] | None = None) -> _Levels:
    """Each parser's (main: None, the sub-command's) positionals with their items (every one, in
    order: () when not passed) and its options' chunks (`chosen`: `_Builder.chosen`, or one that
    remembers; `keyed`: every key with its specs, in order, when the caller has them); ParamsError
    for a value no flag passes."""
    chosen = chosen or builder.chosen
    levels: _Levels = {None: ([], []), sp.subcommand: ([], [])}
    for key, specs in keyed or [(key, sp.specs_for(key)) for key in sp.keys()]:
        first = specs[0]
        positionals, options = levels[first.subcommand]
        value = _plain(config.get(key, defaults[key] if first.positional else None))
        if value is None:
            if first.required:
                raise ParamsError(f"config key {builder.required(key, first)}")
            if first.positional:
                positionals.append((first, ()))
            continue
        try:
            spec, chunks = chosen(key, value, specs, defaults[key], first.default_resolved)
        except _Cannot as exc:  # (a mapping is no typo to fix in place: no hint)
            raise ParamsError(f"config key {exc}{'' if isinstance(value, dict) else ' (fix config.yaml)'}") from None
        if first.positional:
            positionals.append((first, tuple(item for chunk in chunks for item in chunk.items)))
        elif chunks:
            options.append((key, spec or first, chunks))
    return levels


def _shape(levels: _Levels, builder: _Builder) -> Hashable:
    """What `_Layout` decides by, of `levels`: how argparse reads each positional's items (a value,
    a flag, either, the separator) and each option chunk's ends (open, closable, REMAINDER)."""
    return tuple(
        (tuple((spec.key, tuple("-" if item == _SEPARATOR else builder.looks(item) for item in items))
               for spec, items in positionals),
         tuple((key, tuple((chunk.open, chunk.closed is not None, chunk.rest, len(chunk.items)) for chunk in chunks))
               for key, _, chunks in options))
        for positionals, options in levels.values())


def _ordered(sp: ScriptParams, builder: _Builder, levels: _Levels) -> list[str]:
    """The command line of `levels` (`_Layout`): the sub-command's argv after the main parser's."""
    after = None
    if sp.subcommand is not None:
        after = [sp.subcommand, *_Layout(builder, *levels[sp.subcommand]).argv()]
    return _Layout(builder, *levels[None], after, sp.subcommand).argv()


def build_argv(config: dict[str, Any], sp: ScriptParams, *, script: str = "the script") -> list[str]:
    """The argv items (after the script path) that give the script the values in `config`, in
    the order `_Layout` gives them.

    Keys the script does not declare, mappings, values a flag cannot express, missing
    required values, values argparse refuses together (`exclusive_problem`; `script` names
    the script there), and values no order of the command line passes (`_Layout`) raise
    ParamsError naming the keys. Scripts that read config.yaml themselves (`pyruns_load`) take
    no argv.
    """
    if sp.kind == "pyruns_load":
        return []
    config = {str(key): _plain(value) for key, value in config.items()}
    known = sp.keys()
    for key in config:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else \
                " (remove it or add the argument to the script)"
            raise ParamsError(f"config key {key!r} is not a parameter of the script{hint}")
    if sp.argv_style == "configurator":  # nanoGPT's `--key=value` items (params/configurator_argv.py)
        return _overrides(config, sp)
    builder = _Builder(sp)
    levels = _levels(config, sp, builder, sp.defaults())
    problem = ExclusiveCheck(sp, script, order=False).problem(config)
    if problem:
        raise ParamsError(f"config.yaml: {problem}")
    try:
        return _ordered(sp, builder, levels)
    except _Cannot as exc:
        raise ParamsError(f"config {exc}") from None


def _overrides(config: Mapping[str, Any], sp: ScriptParams) -> list[str]:
    """The `--key=value` items of a nanoGPT configurator script, in the script's order."""
    out = []
    for key in sp.keys():
        try:
            item = override_item(key, config.get(key), sp.specs_for(key)[0])
        except OverrideError as exc:
            raise ParamsError(f"config key {exc} (fix config.yaml)") from None
        if item is not None:
            out.append(item)
    return out
