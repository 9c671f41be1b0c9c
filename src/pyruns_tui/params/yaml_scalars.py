"""The YAML 1.2 core schema's scalars: which plain texts are null, bools, ints (decimal, `0o`,
`0x`, any size) and floats (`1e-3`, `.5`, `.inf`, `.nan`), and a float's spelling as a script
wrote it (`source_float`), as YAML 1.1 and 1.2 both read it (`yaml_float`), kept through a dump
(`SpelledFloat`). Pure text rules: the loaders and dumpers (yamlio.py) are built on them.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

__all__ = ["SpelledFloat", "source_float", "yaml_float"]

_NULL = re.compile(r"null|Null|NULL|~")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_CORE_SCALAR = re.compile(
    "|".join(p.pattern for p in (_NULL, _BOOL, _INT10, _INT8, _INT16, _FLOAT, _INF, _NAN))
)
_SCALAR_FIRST_CHARS = frozenset("0123456789+-.~nNtTfF")


def _to_int(text: str) -> int:
    """A core-schema int literal as an int (no digit limit)."""
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    try:
        return int(text)
    except ValueError:  # beyond Python's int/str digit limit: Decimal has none
        return int(Decimal(text))


def _to_float(text: str) -> float:
    """A core-schema float literal (incl. .inf/.nan) as a float."""
    if text[-1] in "fFnN":  # .inf / .nan forms
        if _NAN.fullmatch(text):
            return math.nan
        return -math.inf if text[0] == "-" else math.inf
    return float(text)


def _core_scalar(text: str) -> Any:
    """Type a plain scalar by the core schema; `_MISSING` when it is a plain string."""
    if not text:
        return None
    if text[0] not in _SCALAR_FIRST_CHARS or not _CORE_SCALAR.fullmatch(text):
        return _MISSING
    if _INT10.fullmatch(text) or _INT8.fullmatch(text) or _INT16.fullmatch(text):
        return _to_int(text)
    if _BOOL.fullmatch(text):
        return text[0] in "tT"
    if _NULL.fullmatch(text):
        return None
    return _to_float(text)


_MISSING: Any = object()


def source_float(value: Any, source: str | None) -> str | None:
    """A script's own spelling of a float default (`1e10`) when it is a plain literal that reads back
    as `value` and is notably shorter than repr's (`10000000000.0`); else None (repr's `0.001` reads
    as well as `1e-3`)."""
    text = (source or "").strip()
    if type(value) is not float or not _FLOAT.fullmatch(text) or not any(c in text for c in ".eE"):
        return None
    if _to_float(text) != value or len(text) + 3 > len(repr(value)):
        return None
    return text


def yaml_float(text: str) -> str:
    """A float literal as YAML 1.1 (PyYAML) and 1.2 both read it, as a float: `1e10` -> `1.0e+10`
    (PyYAML reads `1e10`, with no point or exponent sign, as a string)."""
    mantissa, _, exponent = text.lower().partition("e")
    sign = mantissa[0] if mantissa[0] in "+-" else ""
    digits = mantissa[len(sign):]
    digits = ("0" if digits.startswith(".") else "") + digits + ("" if "." in digits else ".0")
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return sign + digits + ("e" + exponent if exponent else "")


class SpelledFloat(float):
    """A float that `dump_commented` writes as `text` (a script's `1e10`, as `yaml_float` makes it)."""

    text: str

    def __new__(cls, value: float, text: str) -> SpelledFloat:
        spelled = super().__new__(cls, value)
        spelled.text = text
        return spelled


def _unquote_single(text: str) -> str | None:
    """The content of a whole single-quoted scalar (`''` is a quote), or None if it is not one."""
    if len(text) < 2 or text[-1] != "'":
        return None
    inner = text[1:-1]
    if inner.replace("''", "").find("'") >= 0:
        return None
    return inner.replace("''", "'")
