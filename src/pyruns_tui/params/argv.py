"""config.yaml values -> the argv list that makes an argparse script see exactly those values.

`build_argv` checks the config's keys, makes each parameter's items (`argv_items`: the value
as its script's `type=` reads it back), refuses values argparse takes only apart
(`exclusive_check`) and orders them (`argv_layout`); a nanoGPT configurator script gets its
`--key=value` items (`configurator_argv`). `LaunchCheck` asks the same rules of one value
before any task is written. A value equal to the script's own default is not passed (the script
gets it without the flag: `ParamSpec.leaves_off`, the rule the form's checks use too).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argv_items import _Builder, _Cannot, _plain, read_number
from pyruns_tui.params.argv_layout import _levels, _ordered
from pyruns_tui.params.configurator_argv import OverrideError, override_item, type_of
from pyruns_tui.params.configurator_argv import read_number as literal_number
from pyruns_tui.params.exclusive_check import ExclusiveCheck
from pyruns_tui.params.param_spec import ScriptParams, plain_copy

__all__ = ["LaunchCheck", "build_argv"]


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

    def script_value(self, key: str, value: Any) -> Any:
        """What the script gets for a `value` (or a list's items) of its int or float parameter `key`:
        a text its parser reads as a number is that number (`'1_000'` is 1000, as `type=int` (int())
        and configurator.py (literal_eval) read it), and a whole number given to a float parameter
        (`type=float`, a float global) is that float (`dropout: 1` is 1.0, as float() and the
        `--dropout=1.0` configurator.py gets make it); `value` itself otherwise, and for an argparse
        value the launch leaves off (`ParamSpec.leaves_off`: the script gets its default as it is). The
        launch's own reading (`read_number`, the rule of `fits_type` and `value_text`): a task records
        what its script gets. An int no float holds stays as it is (the launch refuses it)."""
        if not self.declares(key) or not isinstance(value, (str, int, list)) or isinstance(value, bool):
            return value
        spec = self.sp.specs_for(key)[0]
        text_number: Callable[[Any, str | None], int | float | None]
        if self.sp.argv_style == "configurator":
            wanted, text_number = type_of(spec), literal_number
        else:
            wanted, text_number = spec.type_name, read_number
            if spec.leaves_off(value):  # not passed: the script gets its default as it is (1.0 for `dropout: 1`)
                return value if type(value) is type(spec.default) and not isinstance(value, list) \
                    else plain_copy(spec.default)

        def read(item: Any) -> Any:
            if wanted == "float" and type(item) is int:  # (not a bool)
                try:
                    return float(item)
                except OverflowError:
                    return None
            return text_number(item, wanted)
        if isinstance(value, list):
            numbers = [read(item) for item in value]
            return [item if number is None else number for item, number in zip(value, numbers)] \
                if any(number is not None for number in numbers) else value
        number = read(value)
        return value if number is None else number

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
