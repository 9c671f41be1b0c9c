"""What the script's argparse refuses of a config's values together: two flags of one mutually
exclusive group, none of a required group, and (the pseudo group ORDER) values no order of the
command line passes. Asked once per config of a batch, answers remembered by the values that decide.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argv_items import _Builder, _Cannot, _Chunk, _plain
from pyruns_tui.params.argv_layout import _levels, _ordered, _orders, _shape
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams

__all__ = ["ORDER", "ExclusiveCheck", "exclusive_problem", "one_line"]


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
