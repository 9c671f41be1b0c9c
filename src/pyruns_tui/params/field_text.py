"""A Generator field's text <-> its spec value. A field's *text* is what its Input shows;
`text_to_value` turns text into a spec value (grid text stays a string, the grid types its items
later), `value_to_text` is its inverse (a script's float as it wrote it: `1e10`). Flow lists and
mappings are quoted with JSON rules where YAML would misread an item.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.grid import is_grid_value
from pyruns_tui.params.yaml_scalars import source_float
from pyruns_tui.params.yamlio import parse_scalar

if TYPE_CHECKING:
    from pyruns_tui.params.form_model import FieldModel

__all__ = ["text_to_value", "value_to_text"]


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _flow_item(value: Any) -> str:
    """One item of a flow list/mapping, quoted with JSON rules when YAML would misread it."""
    if isinstance(value, str):
        plain = value and not any(c in value for c in ",[]{}#:'\"|&*!%@`\n\t") \
            and value == value.strip() and _safe_parse(value) == value
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_flow_item(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_flow_item(str(k))}: {_flow_item(v)}" for k, v in value.items()) + "}"
    return _scalar_text(value)


def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    return str(value)


def _safe_parse(text: str) -> Any:
    try:
        return parse_scalar(text)
    except ParamsError:
        return None


def value_to_text(value: Any, field: FieldModel) -> str:
    """The text a field shows for a spec value; `text_to_value` reads it back as the same value."""
    if value is None:
        return ""
    if isinstance(value, (list, Mapping)):
        return _flow_item(value)
    if field.param is not None:
        spelled = source_float(value, field.param.default_source)
        if spelled is not None:  # the script's `1e10`, not `10000000000.0`
            return spelled
    if not isinstance(value, str):
        return _scalar_text(value)
    if any(ord(c) < 32 or ord(c) == 127 for c in value):  # a raw "\n" (nanoGPT sample.py's start) broke the row
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # YAML's escapes: "\\n"
    if value and value == value.strip():
        try:
            if text_to_value(value, field) == value:
                return value
        except ParamsError:
            pass
    return "'" + value.replace("'", "''") + "'"


def _split_list(text: str) -> list[Any]:
    """`a, b, 3` -> ["a", "b", 3]: comma-separated items, each typed like a YAML scalar."""
    return [parse_scalar(part) for part in text.split(",") if part.strip()]


def text_to_value(text: str, field: FieldModel) -> Any:
    """The spec value of a field's text; raises ParamsError for malformed YAML-ish text."""
    stripped = text.strip()
    if not stripped:
        return None
    if is_grid_value(stripped):
        return stripped
    if field.kind == "list":
        if stripped[0] in "[{":  # a flow list, or a mapping (`{}`: a default the field shows)
            return parse_scalar(stripped)
        return _split_list(stripped)
    value = parse_scalar(stripped)
    if field.str_typed and isinstance(value, (int, float, bool)):
        return stripped
    return value
