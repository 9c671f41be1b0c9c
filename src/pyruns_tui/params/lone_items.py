"""A lone value of a list argument as the list its script gets: the config a task records.

The launch passes a lone value of a list argument (nargs '+', '*', N or REMAINDER; append,
extend) as its one item (`argv_items.as_items`: `layers: 64` is `--layers 64`, and the script gets
`[64]`). A task records `[64]`, so `show`, `ls -c`, export, the Manager and `--skip-existing` say
what the script gets. Which arguments take a list is the launch's own answer (`argv.LaunchCheck`),
never a second rule: a lone value is its one item when the launch passes both it and `[value]`
(a single-value argument refuses a list), unless it is the script's default, left off the
command line (`ParamSpec.leaves_off`): then the script gets the default as it is. Likewise a
text the script's parser reads as a number (`seed: 1_000` for `type=int`: int() reads 1000) is
recorded as that number (`LaunchCheck.script_value`, the launch's own reading).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from pyruns_tui.contracts import SCALAR_TYPES
from pyruns_tui.params.argv import LaunchCheck
from pyruns_tui.params.param_spec import ScriptParams

_ANSWERS_KEPT = 4096  # distinct (key, value) answers remembered (a 10,000-task grid asks each once)
_SAME = object()


class LoneItems:
    """The list arguments of one ScriptParams (with the defaults its runs start from), asked per
    config: a batch of 10,000 tasks asks each distinct (key, value) once."""

    def __init__(self, sp: ScriptParams) -> None:
        self.sp = sp
        self.check = LaunchCheck(sp)
        # (key, type, value) of a scalar -> what `listed` makes of it: the number the script reads
        # (_SAME: the value itself) and whether it is a lone item (a 10,000-task grid has a few
        # dozen distinct values: 40,000 asks were 70 ms of a `gen`)
        self._listed: dict[tuple[str, type, Hashable], tuple[Any, bool]] = {}

    def listed(self, config: dict[str, Any]) -> dict[str, Any]:
        """`config` with each text the script reads as a number as that number, then each lone value
        of a list argument as its one-item list (a new dict when one changes; `config` itself when
        none does)."""
        out: dict[str, Any] | None = None
        memo = self._listed
        for key, value in config.items():
            try:
                number, lone = memo[key, type(value), value]
            except TypeError:  # an unhashable value (a list): asked each time
                number, lone = self._listed_value(key, value)
            except KeyError:
                number, lone = found = self._listed_value(key, value)
                if number is _SAME or type(number) in SCALAR_TYPES:  # (never a list shared by two configs)
                    if len(memo) >= _ANSWERS_KEPT:
                        memo.clear()
                    memo[key, type(value), value] = found
            if number is not _SAME:
                value = number
                if out is None:
                    out = dict(config)
                out[key] = value
            if lone:
                if out is None:
                    out = dict(config)
                out[key] = [value]
        return config if out is None else out

    def _listed_value(self, key: str, value: Any) -> tuple[Any, bool]:
        """What `listed` makes of one value: (the number the script reads, or _SAME), lone item."""
        number = self.check.script_value(key, value)
        if number is not value:
            return number, self.is_lone_item(key, number)
        return _SAME, self.is_lone_item(key, value)

    def is_lone_item(self, key: str, value: Any) -> bool:
        """Whether the launch passes `value` for `key` as the one item of a list."""
        if value is None or isinstance(value, (list, tuple, dict)) or not self.check.declares(key):
            return False
        if self.sp.specs_for(key)[0].leaves_off(value):
            return False  # not passed: the script gets its default, this very value
        return self.check.problem(key, value) is None and self.check.problem(key, [value]) is None
