"""config.yaml values -> the `--key=value` items nanoGPT's configurator.py reads back as exactly them.

configurator.py splits each item at `=`, evaluates the text with `ast.literal_eval` (keeping the
text itself where that raises SyntaxError or ValueError) and refuses a value whose type is not the
global's own. So a bool goes as `True`/`False`, an int in digits, a float by `repr` (`0.0006`,
`1e-05`, and `3.0` for a whole number: `3` would be an int), and a text plainly (`--device=cuda:0`)
unless literal_eval would read it as something else or fail on it: then as a Python string literal
(`--wandb_run_name='1e-3'`, `--init_from='True'`), which literal_eval reads back as the text. Each
item is one argv element, never shell text. What cannot be passed is refused in one line: a text
holding `=` (configurator.py splits at every one), a NaN or infinite float (literal_eval reads no
`nan`), a number no float holds for a float global, in quotes too (`'1e400'`: `too_large_for_float`),
a value of another type. A value equal to the script's own default is not passed.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from pyruns_tui.params.number_text import too_large_for_float
from pyruns_tui.params.param_spec import ParamSpec

__all__ = ["OverrideError", "override_item", "read_number", "type_of", "value_text"]


_MAX_NUMBER_TEXT = 5000  # characters: no longer text is read as a number (int() reads up to 4300 digits)


class OverrideError(ValueError):
    """A value configurator.py cannot be given (the message starts with the key, quoted)."""


def type_of(spec: ParamSpec) -> str | None:
    """The type configurator.py demands: the default's, or the one read from its expression."""
    if spec.default_resolved:
        return type(spec.default).__name__
    return spec.type_name


def _literal_text(text: str) -> bool:
    """Whether configurator.py would take `text` as something other than itself: literal_eval reads
    it, or fails otherwise than by SyntaxError/ValueError (`{[]: 1}`: TypeError), or its leading or
    trailing blanks are read differently from one Python version to another."""
    if text != text.strip():
        return True
    try:
        ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return False
    except Exception:  # noqa: BLE001 (TypeError, RecursionError, MemoryError: the script would crash)
        return True
    return True


def read_number(text: Any, wanted: str | None) -> int | float | None:
    """The number configurator.py's literal_eval makes of a text given for an int or float global
    (`wanted`): `1_000`, `0x10`, `0b11`; for a float global an int's text too, passed as that float
    (`1_000` is 1000.0, as a YAML `1000` is). None for anything else: no text, another type, text
    literal_eval reads as no number (`True`, `'1e3'` for an int) or not at all (`nan`; Python reads
    no int of over 4300 digits from text either), an int too large for a float global."""
    value = _literal_number(text, wanted)
    try:
        return float(value) if wanted == "float" and value is not None else value
    except OverflowError:
        return None


def _literal_number(text: Any, wanted: str | None) -> int | float | None:
    """The int or float literal_eval reads from a text given for an int or float global (`wanted`), as
    it is (an int for a float global too); None where `read_number` says so for another reason."""
    if not isinstance(text, str) or wanted not in ("int", "float") or len(text) > _MAX_NUMBER_TEXT:
        return None
    try:
        value = ast.literal_eval(text)
    except Exception:  # noqa: BLE001 (SyntaxError, ValueError, MemoryError...: configurator.py keeps the text)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (wanted == "int" and isinstance(value, float)):
        return None
    return value


def _too_large(text: Any, wanted: str | None) -> bool:
    """Whether a text given for a float global is a number no float holds (`'1e400'`, 400 digits in
    quotes): literal_eval reads an int float() refuses or an infinite float (it reads no `inf`, so
    only from a number this large)."""
    value = _literal_number(text, wanted) if wanted == "float" else None
    if value is None:
        return False
    try:
        return math.isinf(float(value))
    except OverflowError:
        return True


def value_text(key: str, value: Any, spec: ParamSpec) -> str:
    """The text after `--key=` that configurator.py turns back into `value` (with the global's type);
    OverrideError when there is none."""
    wanted = type_of(spec)
    if _too_large(value, wanted):  # (quoted: the same words as for its number unquoted, its digits cut)
        raise OverrideError(f"{key!r}: {too_large_for_float(value)}")
    number = read_number(value, wanted)
    if number is not None:  # `'1_000'`: the number configurator.py reads, passed in its digits
        value = number
    if value is None or isinstance(value, (list, tuple, dict)):
        raise OverrideError(f"{key!r} takes a single {wanted or 'value'} (configurator.py sets one global), "
                            f"got {value!r}")
    if wanted == "bool" or (wanted is None and isinstance(value, bool)):
        if not isinstance(value, bool):
            raise OverrideError(f"{key!r} expects true or false, got {value!r}")
        text = str(value)
    elif wanted in ("int", "float") or (wanted is None and isinstance(value, (int, float))):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (wanted == "int" and isinstance(value, float)):
            raise OverrideError(f"{key!r} expects {wanted}, got {value!r}")
        if wanted == "float" or isinstance(value, float):
            try:
                value = float(value)
            except OverflowError:
                raise OverrideError(f"{key!r}: {too_large_for_float(value)}") from None
            if not math.isfinite(value):
                raise OverrideError(f"{key!r}: {value!r} cannot be passed (configurator.py's literal_eval reads no "
                                    "nan or inf)")
            text = repr(value)
        else:
            try:
                text = str(value)
            except ValueError:  # ints beyond Python's str conversion limit
                raise OverrideError(f"{key!r}: value too large to pass") from None
    else:  # a text (a number or bool given for one is its text, as argparse's type=str takes it)
        text = str.__str__(value) if isinstance(value, str) else str(value)
        if _literal_text(text):
            text = repr(text)
    if "=" in text:
        raise OverrideError(f"{key!r}: {value!r} holds '=', which configurator.py cannot read back "
                            "(it splits --key=value at every '=')")
    if "\x00" in text:
        raise OverrideError(f"{key!r} contains a NUL character, which a command line cannot carry")
    return text


def override_item(key: str, value: Any, spec: ParamSpec) -> str | None:
    """`--key=text` for `value`, None when nothing is passed (None, or the script's own default)."""
    if value is None or spec.leaves_off(value):
        return None
    return f"--{key}={value_text(key, value, spec)}"
