"""The one text of a number to read, wherever a value is shown: the Manager's table, its compare
dialog, `pyr-tui ls` (`-c` columns), `pyr-tui compare` and the Markdown export."""

from __future__ import annotations

import math

# significant digits: the CLI's tables and reports, and the Manager's narrow metric columns
REPORT_DIGITS = 6
TABLE_DIGITS = 4


def number_text(value: int | float, digits: int | None = None) -> str:
    """An int exactly; a float in round-trip form (`repr`), or to `digits` significant digits.

    A whole float keeps its `.0` either way (`64.0`: the float 64, as YAML and `repr` write it,
    not the int 64); one rounded to a whole number (`123456.7` to 6 digits) reads `123457`.
    Non-finite floats are `nan`, `inf`, `-inf`."""
    if not isinstance(value, float):
        return str(value)
    if not math.isfinite(value):
        return "nan" if value != value else "inf" if value > 0 else "-inf"
    if digits is None:
        return repr(value)
    text = format(value, f".{digits}g")
    return text + ".0" if value.is_integer() and "." not in text and "e" not in text else text
