"""config.yaml values -> the argv list that makes an argparse script see exactly those values.

Every value is its own argv item (never shell text), formatted so the script's `type=` reads
it back: ints as digits, floats by `repr` (`1e-05`, `inf`), bools for a `type=bool` parameter
as "1"/"" (bool("") is False), for any other type as "True"/"False" (what `str()` gives).
Flags: store_true/store_false/store_const emit the flag when the value is what the flag
stores; BooleanOptionalAction emits `--x`/`--no-x`; count repeats the flag; append repeats
`--a v` per item (items the default already holds are not repeated: argparse appends to it);
nargs lists follow one flag; a lone value for a list parameter is its one item (`as_items`:
`layers: 64` is `--layers 64`, as argparse reads it). `None` emits nothing. A single value that starts with a prefix
character (`-1`, `-foo`) and every `nargs='?'` value are passed as one `--flag=value` item so
they cannot be read as flags; a `nargs='?'` value equal to its `const` is the flag alone
(yolov5's `--resume`, const=True: `--resume=True` would give the text "True"). Order: the main parser's positionals, its fixed-arity options,
its variable-length options, the sub-command name, then the same for the sub-parser; an
`argparse.REMAINDER` positional (detectron2's `opts`) comes last, as it takes every item after it.
A value equal to the script's own default is not passed (the script gets it without the flag:
`ParamSpec.leaves_off`, the rule the form's checks use too).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams
from pyruns_tui.params.values import not_a_choice, same_value

__all__ = ["ExclusiveCheck", "LaunchCheck", "as_items", "build_argv", "exclusive_problem"]

_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's own test
_CONVERT = {"int": int, "float": float, "str": str, "bool": bool, None: str}
_VARIABLE_NARGS = ("*", "+", "...", "A...")  # '?' values go as one `--flag=value` item


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


class _Cannot(Exception):
    """This spec cannot express the value (the message says why)."""


class _Builder:
    """Builds argv for one ScriptParams; collects items per parser (main / sub-command)."""

    def __init__(self, sp: ScriptParams) -> None:
        self.sp = sp
        self.chars = sp.prefix_chars
        self.negative_flags = any(_NEGATIVE_NUMBER.match(f) for s in sp.params for f in s.flags)

    def text(self, key: str, value: Any, spec: ParamSpec) -> str:
        """One scalar as the string `type=` turns back into it; checks type and choices."""
        kind = spec.type_name
        if value is None or isinstance(value, (list, tuple, dict)):
            raise _Cannot(f"{key!r} takes single values here, got {value!r}")
        if isinstance(value, bool):
            if kind in ("int", "float"):
                raise _Cannot(f"{key!r} expects {kind}, got {value}")
            text = ("1" if value else "") if kind == "bool" else str(value)
        elif isinstance(value, float):
            if kind == "int":
                raise _Cannot(f"{key!r} expects int, got {value!r}")
            text = repr(value)
        else:
            try:
                text = str(value)
            except ValueError:  # ints beyond Python's str conversion limit
                raise _Cannot(f"{key!r}: value too large to pass") from None
        if "\x00" in text:
            raise _Cannot(f"{key!r} contains a NUL character, which a command line cannot carry")
        convert = _CONVERT.get(kind)
        if convert is not None:
            try:
                converted = convert(text)
            except ValueError:
                raise _Cannot(f"{key!r} expects {kind}, got {value!r}") from None
            if spec.choices is not None and converted not in spec.choices:
                raise _Cannot(f"{key!r}: {not_a_choice(repr(value), spec.choices)}")
        return text

    def item(self, key: str, value: Any, spec: ParamSpec) -> str:
        """A list element: must not look like a flag (argparse would stop the list there)."""
        if isinstance(value, float) and value < 0 and "e" in repr(value):
            text = format(Decimal(repr(value)), "f")  # `-0.00001` passes argparse's test
            self.text(key, value, spec)
        else:
            text = self.text(key, value, spec)
        if text[:1] and text[0] in self.chars:
            if not (_NEGATIVE_NUMBER.match(text) and not self.negative_flags):
                raise _Cannot(f"{key!r}: list item {text!r} starts with {text[0]!r} and "
                              "would be read as a flag")
        return text

    def flag(self, spec: ParamSpec) -> str:
        """The first long flag (`--lr` over `-l`)."""
        longs = [f for f in spec.flags if len(f) > 1 and f[1] in self.chars]
        return (longs or list(spec.flags))[0]

    def single(self, flag: str, key: str, value: Any, spec: ParamSpec) -> list[str]:
        text = self.text(key, value, spec)
        if spec.nargs == "?" or text[:1] and text[0] in self.chars:
            return [f"{flag}={text}"]
        return [flag, text]

    def values(self, key: str, value: Any, spec: ParamSpec) -> list[str]:
        """A list (or one item: `as_items`) for an nargs parameter, its length checked."""
        items = as_items(value)
        if items is None:
            raise _Cannot(f"{key!r} takes a list (nargs={spec.nargs!r}), got {value!r}")
        value = items
        if isinstance(spec.nargs, int) and len(value) != spec.nargs:
            raise _Cannot(f"{key!r} takes exactly {spec.nargs} values, got {len(value)}")
        if spec.nargs == "+" and not value:
            raise _Cannot(f"{key!r} takes at least one value (nargs='+')")
        return [self.item(key, v, spec) for v in value]

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

    def express(self, spec: ParamSpec, value: Any, default: Any, specs: list[ParamSpec]
                ) -> list[str]:
        """argv items making `spec` store `value`; _Cannot when it cannot."""
        action, key = spec.action, spec.key
        if spec.positional:
            if spec.nargs is None or spec.nargs == "?":
                return [self.item(key, value, spec)]
            if spec.nargs == "...":
                items = as_items(value)
                if items is None:
                    raise _Cannot(f"{key!r} takes the rest of the command line (a list), got {value!r}")
                return [self.text(key, v, spec) for v in items]
            return self.values(key, value, spec)
        if not spec.flags:
            raise _Cannot(f"{key!r} is set by set_defaults() in the script and has no "
                          "command-line flag; it cannot be changed")
        flag = self.flag(spec)
        if action in ("store_true", "store_false", "store_const"):
            if same_value(value, {"store_true": True, "store_false": False}.get(action, spec.const)):
                return [flag]
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
                return [flag]
            negatives = ["--no-" + f[2:] for f in spec.flags if f.startswith("--")]
            if negatives:  # argparse adds `--no-x` for each `--x` flag only
                return [negatives[0]]
            raise _Cannot(f"{key!r} has no --no- form to pass false")
        if action == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _Cannot(f"{key!r} is a count: a whole number >= 0, got {value!r}")
            base = default if isinstance(default, int) else 0
            if value < base:
                raise _Cannot(f"{key!r} counts up from {base}; {value} cannot be passed")
            return [flag] * (value - base)
        if action == "append_const":
            out = []
            for item in self.appended(key, value, default):
                match = [s for s in specs if s.action == "append_const" and same_value(s.const, item)]
                if not match:
                    raise _Cannot(f"{key!r}: no flag appends {item!r}")
                out.append(self.flag(match[0]))
            return out
        if action in ("append", "extend"):
            out = []
            items = self.appended(key, value, default)
            if action == "extend" and items:
                return [flag, *self.values(key, items, spec)]
            for item in items:
                if spec.nargs is None or spec.nargs == "?":
                    out += self.single(flag, key, item, spec)
                else:
                    out += [flag, *self.values(key, item, spec)]
            return out
        if spec.nargs == "?" and spec.const is not None and same_value(value, spec.const):
            return [flag]  # the flag alone stores the const: `--resume=True` would store the text "True"
        if spec.nargs is None or spec.nargs == "?":
            return self.single(flag, key, value, spec)
        return [flag, *self.values(key, value, spec)]

    def key_items(self, key: str, value: Any, specs: list[ParamSpec], default: Any,
                  resolved: bool) -> list[str]:
        """The first spec of `key` that can express `value`; none needed if it is the default.
        _Cannot (the first spec's reason) when none can."""
        return self.chosen(key, value, specs, default, resolved)[1]

    def chosen(self, key: str, value: Any, specs: list[ParamSpec], default: Any,
               resolved: bool) -> tuple[ParamSpec | None, list[str]]:
        """(the spec whose flag passes `value`, its argv items) as `key_items` chooses them;
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


class ExclusiveCheck:
    """What the script's argparse refuses for its mutually exclusive groups
    (`add_mutually_exclusive_group()`), read once from its ScriptParams and asked per config (a
    batch of 10,000 tasks asks 10,000 times). `script` names the script in the messages."""

    def __init__(self, sp: ScriptParams, script: str = "the script") -> None:
        self.script = script
        self.groups: dict[int, list[ParamSpec]] = {}
        self._answers: dict[tuple[Any, ...], tuple[tuple[int, str], ...]] = {}  # by the members' values (see problems)
        if sp.kind != "pyruns_load":
            for spec in sp.params:
                if spec.exclusive is not None:
                    self.groups.setdefault(spec.exclusive, []).append(spec)
        if not self.groups:  # most scripts: a launch asks and is answered at once
            return
        members = {spec.key for specs in self.groups.values() for spec in specs}
        self.members = [(key, sp.specs_for(key)) for key in sp.keys() if key in members]
        self.builder = _Builder(sp)
        self.defaults = sp.defaults()

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

        The answer depends only on the members' values, so it is remembered by them (with their
        types: `1` is not `true`): a 10,000-task grid asks once per distinct combination."""
        if not self.groups:
            return ()
        seen = self._answers
        try:
            values = tuple((type(v), v) for v in (config.get(key, _UNSET) for key, _ in self.members))
            return seen[values]
        except TypeError:  # a list or mapping among them: not remembered
            return self._problems(config)
        except KeyError:
            if len(seen) >= _ANSWERS_KEPT:
                seen.clear()
            answer = seen[values] = self._problems(config)
            return answer

    def _problems(self, config: Mapping[str, Any]) -> tuple[tuple[int, str], ...]:
        builder, defaults = self.builder, self.defaults
        passed: dict[int, list[tuple[str, Any, ParamSpec]]] = {}
        for key, specs in self.members:
            value = _plain(config.get(key, defaults[key] if specs[0].positional else None))
            if value is None:
                continue
            try:
                flag_spec, items = builder.chosen(key, value, specs, defaults[key], specs[0].default_resolved)
            except _Cannot:
                continue
            if flag_spec is not None and items and flag_spec.exclusive is not None:
                passed.setdefault(flag_spec.exclusive, []).append((key, value, flag_spec))
        found: list[tuple[int, str]] = []
        for ident, specs in self.groups.items():
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


def exclusive_problem(config: Mapping[str, Any], sp: ScriptParams, script: str = "the script") -> str | None:
    """Why the script's argparse would refuse `config`'s values together (two flags of a mutually
    exclusive group, or none of a required one), each group's problem (`ExclusiveCheck.problems`)
    in one line (`one_line`); None when it would not."""
    found = ExclusiveCheck(sp, script).problems(config)
    return one_line([line for _, line in found]) if found else None


def one_line(problems: Sequence[str]) -> str:
    """Several problems as the one line of an error: `A; also B`."""
    return "; also ".join(problems)


def _variable(spec: ParamSpec) -> bool:
    """Whether the option takes a variable number of items (it ends only at the next flag)."""
    return spec.nargs in _VARIABLE_NARGS


def build_argv(config: dict[str, Any], sp: ScriptParams, *, script: str = "the script") -> list[str]:
    """The argv items (after the script path) that give the script the values in `config`.

    Keys the script does not declare, mappings, values a flag cannot express, missing
    required values, and values argparse refuses together (`exclusive_problem`; `script` names
    the script there) raise ParamsError naming the keys. Scripts that read config.yaml
    themselves (`pyruns_load`) take no argv.
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
    builder = _Builder(sp)
    defaults = sp.defaults()
    blocks: dict[str | None, tuple[list[str], list[str], list[str], list[str]]] = {
        None: ([], [], [], []), sp.subcommand: ([], [], [], [])}
    for key in known:
        specs = sp.specs_for(key)
        first = specs[0]
        value = config.get(key, defaults[key] if first.positional else None)
        if value is None:
            if first.required:
                raise ParamsError(f"config key {builder.required(key, first)}")
            continue
        try:
            items = builder.key_items(key, value, specs, defaults[key], first.default_resolved)
        except _Cannot as exc:  # (a mapping is no typo to fix in place: no hint)
            raise ParamsError(f"config key {exc}{'' if isinstance(value, dict) else ' (fix config.yaml)'}") from None
        positional, fixed, variable, remainder = blocks[first.subcommand]
        if first.positional and first.nargs == "...":  # argparse.REMAINDER takes every item after it: last
            remainder += items
        elif first.positional:
            positional += items
        elif any(_variable(s) for s in specs):
            variable += items
        else:
            fixed += items
    problem = exclusive_problem(config, sp, script)
    if problem:
        raise ParamsError(f"config.yaml: {problem}")
    main_pos, main_fixed, main_var, main_rest = blocks[None]
    argv = main_pos + main_fixed + main_var
    if sp.subcommand is not None:
        if main_var and not main_fixed:
            raise ParamsError("cannot pass a list option of the main parser before the "
                              f"sub-command {sp.subcommand!r}: argparse would take the "
                              "sub-command as a list item")
        if main_var:  # end the list with a fixed-arity option so the sub-command stays apart
            argv = main_pos + main_var + main_fixed
        sub_pos, sub_fixed, sub_var, sub_rest = blocks[sp.subcommand]
        argv += [*main_rest, sp.subcommand, *sub_pos, *sub_fixed, *sub_var, *sub_rest]
    else:
        argv += main_rest
    return argv
