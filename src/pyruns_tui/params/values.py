"""The one equality of parameter and metric values, used by compare (CLI and TUI), spec edits,
argv building and chart labels: values equal as data, not as text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
