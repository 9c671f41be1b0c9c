"""The one equality of parameter and metric values, used by compare (CLI and TUI), search,
skip-existing, spec edits, argv building and chart labels: values equal as data, not as text."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any


def as_float(value: int | float) -> float:
    """A number as a float to compare or rank it; an int too large for a float (`10**400`, which
    `pr.log` and YAML keep exactly) is inf or -inf, where `float()` raises OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def same_value(a: Any, b: Any) -> bool:
    """1 == 1.0 and NaN == NaN (same number); True != 1 and '1' != 1 (a config tells them apart);
    mappings and lists element by element."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (a != a and b != b)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and str(a) == str(b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and bool(a == b)


def value_key(value: Any) -> Hashable:
    """A key that is equal for two values exactly when `same_value` says they are the same (to find
    equal configs among many in a set: `--skip-existing`)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", "nan") if value != value else ("number", value)  # 1 and 1.0: equal, one hash
    if isinstance(value, str):
        return ("text", value)
    if isinstance(value, Mapping):
        return ("mapping", frozenset((key, value_key(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return ("sequence", tuple(value_key(item) for item in value))
    try:
        hash(value)
    except TypeError:
        return ("other", type(value).__name__, repr(value))
    return ("other", type(value).__name__, value)


def not_a_choice(shown: str, choices: Iterable[Any]) -> str:
    """The one wording of a value outside a parameter's choices, wherever it is found (the
    Generator's form, `gen`, the launch's command line)."""
    return f"{shown} is not one of the choices ({', '.join(str(c) for c in choices)})"
