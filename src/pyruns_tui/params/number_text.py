"""The one text of a number to read, wherever a value is shown: the Manager's table, its compare
dialog, `pyr-tui ls` (`-c` columns), `pyr-tui compare` and the Markdown export; and the one words
for a number no float can hold (`too_large_for_float`: an int, or its text in quotes), wherever one
is refused."""

from __future__ import annotations

import math

from pyruns_tui.printable import cut_cells

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


_SHOWN_DIGITS = 20  # cells of a number's text echoed in a message before it is cut


def too_large_for_float(value: int | str) -> str:
    """Why a number given to a float parameter is refused, in one readable line whatever its length:
    `1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a
    smaller number)`, in the same words for an int and for its text in quotes (`lr: "1000…0"`, as
    written: `1e400`, `1_000…`). float() of such an int raises OverflowError, of such a text gives inf."""
    if isinstance(value, str):
        text = value.strip()
        digits = sum(char.isdigit() for char in text)
        count = f"{digits:,} digits" if text.lstrip("+-").replace("_", "").isdigit() else f"{len(text):,} characters"
    else:
        try:
            text = str(value)
        except ValueError:  # beyond Python's int-to-str limit (4300 digits)
            text = f"an integer of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"
            count = ""
        else:
            count = f"{len(text.lstrip('-')):,} digits"
    shown = text if len(text) <= _SHOWN_DIGITS or not count else f"{cut_cells(text, _SHOWN_DIGITS)} ({count})"
    return f"{shown} is too large for a float (at most about 1.8e308: write a smaller number)"
