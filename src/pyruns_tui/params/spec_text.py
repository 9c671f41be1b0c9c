"""The Generator spec as YAML text: read it, and write it back keeping the comments of a base text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params import yamlio
from pyruns_tui.params.values import same_value


def parse_spec(text: str, where: str = "YAML", what: str = "config") -> dict[str, Any]:
    """The spec a YAML text holds; raises ParamsError when it is not YAML or not a mapping (the
    Generator's YAML mode and `pyr-tui gen` read a spec here: one rule, one message)."""
    data = yamlio.load_text(text, where=where)
    if data is None:
        return {}
    if not isinstance(data, dict):
        if isinstance(data, str):
            from pyruns_tui.params.yaml_hints import scalar_hint

            hint = scalar_hint(text)
            if hint:
                raise ParamsError(f"{where}: the {what} must be a mapping of key: value; {hint}")
        raise ParamsError(f"{where}: the {what} must be a mapping of key: value, not {type(data).__name__}")
    return data


def _merge(node: Any, spec: Mapping[str, Any]) -> None:
    """Make ruamel mapping `node` hold `spec`, touching only what changed (comments survive)."""
    from ruamel.yaml.comments import CommentedMap

    for key in [k for k in node if k not in spec]:
        del node[key]
    for key, value in spec.items():
        current = node.get(key) if key in node else None
        if isinstance(value, Mapping) and value and isinstance(current, CommentedMap):
            _merge(current, value)
        elif key not in node or not same_value(_plain(current), value):
            node[key] = value


def _plain(value: Any) -> Any:
    """A ruamel round-trip value as plain Python data (ScalarFloat -> float, CommentedSeq -> list)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def spec_to_text(spec: Mapping[str, Any], base_text: str = "") -> str:
    """YAML text of `spec`, keeping the comments and layout of `base_text` where keys survive."""
    from ruamel.yaml.comments import CommentedMap

    from pyruns_tui.params.yaml_roundtrip import dump_roundtrip, load_roundtrip

    try:
        doc = load_roundtrip(base_text) if base_text.strip() else None
    except ParamsError:
        doc = None
    if not isinstance(doc, CommentedMap):
        return yamlio.dump_text(dict(spec)) if spec else ""
    _merge(doc, spec)
    return dump_roundtrip(doc)


def sub_text(text: str, key: str) -> str:
    """The YAML text of mapping `key` inside `text` (comments kept), e.g. the `params` block."""
    from ruamel.yaml.comments import CommentedMap

    from pyruns_tui.params.yaml_roundtrip import dump_roundtrip, load_roundtrip

    try:
        doc = load_roundtrip(text)
    except ParamsError:
        return ""
    if isinstance(doc, CommentedMap) and isinstance(doc.get(key), CommentedMap):
        return dump_roundtrip(doc[key])
    if isinstance(doc, Mapping) and isinstance(doc.get(key), Mapping):
        return yamlio.dump_text(dict(doc[key]))
    return ""
