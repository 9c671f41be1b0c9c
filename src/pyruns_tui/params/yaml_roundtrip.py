"""YAML round trips through ruamel.yaml, for files people edit: `load_roundtrip` /
`dump_roundtrip` keep comments and order, `dump_commented` writes a mapping with help strings as
aligned comments (config_default.yaml). ruamel is imported on first use (~40 ms), never by
`gen`, `ls` or the runner; every malformed input raises `ParamsError` in yamlio's one line.
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING, Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.yaml_scalars import SpelledFloat
from pyruns_tui.params.yamlio import _check_alias_expansion, _error_line, _needs_quotes

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

__all__ = ["dump_commented", "dump_roundtrip", "load_roundtrip"]

_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Characters ruamel's emitter may fold or mangle outside double quotes (breaks, controls, BOM).
_NEEDS_ESCAPES = re.compile(
    "[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
MAX_COMMENT_COLUMN = 48  # a longer `key: value` line gets its comment two spaces after it, not the others


def _represent_float_both(representer: Any, data: float) -> Any:
    """Floats as text that YAML 1.1 and 1.2 both read as floats (`1e-05` -> `1.0e-05`)."""
    if data != data:
        value = ".nan"
    elif data in (math.inf, -math.inf):
        value = ".inf" if data > 0 else "-.inf"
    else:
        value = repr(data).lower()
        if "." not in value and "e" in value:
            value = value.replace("e", ".0e", 1)
    return representer.represent_scalar("tag:yaml.org,2002:float", value)


_representer: type | None = None


def _ruamel() -> YAML:
    """A fresh ruamel round-trip YAML 1.2 instance (instances are not thread-safe).

    ruamel is imported here, on first use: it costs ~40 ms, and only the round-trip
    functions need it (not `gen`, `ls` or the runner)."""
    global _representer
    from ruamel.yaml import YAML

    if _representer is None:
        from ruamel.yaml.representer import RoundTripRepresenter

        class _Representer(RoundTripRepresenter):
            """ruamel round-trip representer writing floats that YAML 1.1 readers also read."""

        _Representer.add_representer(float, _represent_float_both)
        _Representer.add_representer(SpelledFloat, lambda representer, data: representer.represent_scalar(
            "tag:yaml.org,2002:float", data.text))
        _representer = _Representer
    rt = YAML(typ="rt")
    rt.Representer = _representer
    rt.width = 1 << 30
    rt.allow_unicode = True
    rt.preserve_quotes = True
    return rt


def load_roundtrip(text: str, where: str = "") -> Any:
    """Load YAML 1.2 with ruamel round-trip types, keeping comments and order for re-dump."""
    from ruamel.yaml.error import YAMLError as RuamelYAMLError

    rt = _ruamel()
    try:
        data = rt.load(text)
    except (RuamelYAMLError, ValueError, TypeError, RecursionError) as exc:
        raise ParamsError(_error_line(exc, where, text)) from None
    return _check_alias_expansion(data, text, where)


def dump_roundtrip(obj: Any) -> str:
    """Dump a (possibly `load_roundtrip`-loaded) object with ruamel, comments and order kept."""
    buf = io.StringIO()
    _ruamel().dump(obj, buf)
    return buf.getvalue()


def _commentable(value: Any) -> Any:
    """Plain data -> ruamel round-trip nodes; ambiguous strings forced to double quotes."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[_commentable(key)] = _commentable(item)
        return out
    if isinstance(value, (list, tuple)):
        return CommentedSeq(_commentable(item) for item in value)
    if isinstance(value, str) and not isinstance(value, DoubleQuotedScalarString) \
            and (_needs_quotes(value) or _NEEDS_ESCAPES.search(value)):
        return DoubleQuotedScalarString(value)
    return value


def _comment_lines(help_text: str) -> list[str]:
    """A help string as printable comment lines (no YAML line breaks or control chars)."""
    lines = []
    for line in help_text.splitlines():
        line = _NON_PRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", line)
        line = line.replace("\x85", " ").rstrip()
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _locate(mapping: CommentedMap, path: str) -> tuple[CommentedMap, Any, int] | None:
    """The mapping holding dotted `path`, its key and depth; keys containing dots win."""
    from ruamel.yaml.comments import CommentedMap

    if path in mapping:
        return mapping, path, 0
    for key in mapping:
        text = str(key)
        if path.startswith(text + ".") and isinstance(mapping[key], CommentedMap):
            found = _locate(mapping[key], path[len(text) + 1:])
            if found is not None:
                return found[0], found[1], found[2] + 1
    return None


def _add_aligned_comments(eol: list[tuple[CommentedMap, Any, int, str]], indent: int) -> None:
    """End-of-line comments in one column per mapping, two spaces after its widest `key: value`
    (ruamel alone placed them one or two spaces after each value, differing between lines)."""
    from ruamel.yaml.comments import CommentedSeq

    flat = CommentedSeq(item for owner, key, _, _ in eol for item in (key, owner[key]))
    buf = io.StringIO()
    rt = _ruamel()
    rt.width = 4096
    rt.dump(flat, buf)
    rendered = buf.getvalue().splitlines()  # `- key` and `- value`, one line each when plain
    if len(rendered) != len(flat):
        rendered = [""] * len(flat)
    widths = [depth * indent + len(rendered[2 * i]) + len(rendered[2 * i + 1]) - 2
              for i, (_, _, depth, _) in enumerate(eol)]  # "- k" + "- v" -> "k: v"
    columns: dict[int, int] = {}
    for (owner, _, _, _), width in zip(eol, widths, strict=True):
        if width <= MAX_COMMENT_COLUMN:
            columns[id(owner)] = max(columns.get(id(owner), 0), width + 2)
    for (owner, key, _, text), width in zip(eol, widths, strict=True):
        owner.yaml_add_eol_comment("# " + text, key, column=max(columns.get(id(owner), 0), width + 2))


def dump_commented(data: dict, comments: dict[str, str]) -> str:
    """ruamel text of `data` with `comments[dotted.key]` as each key's comment.

    Single-line help becomes an end-of-line comment on scalar values; multi-line help, or help
    on a key holding a mapping/list, becomes comment lines before the key. Paths that name no
    key are ignored. The text reads back identical with `load_text` and `yaml.safe_load`.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    root = _commentable(data)
    indent = 2
    eol: list[tuple[CommentedMap, Any, int, str]] = []
    for path, help_text in comments.items():
        lines = _comment_lines(str(help_text))
        found = _locate(root, path) if lines else None
        if found is None:
            continue
        owner, key, depth = found
        value = owner[key]
        if len(lines) == 1 and not (isinstance(value, (CommentedMap, CommentedSeq)) and value):
            eol.append((owner, key, depth, lines[0]))
        else:
            owner.yaml_set_comment_before_after_key(
                key, before="\n".join(lines), indent=depth * indent)
    _add_aligned_comments(eol, indent)
    rt = _ruamel()
    rt.indent(mapping=indent, sequence=indent + 2, offset=indent)
    buf = io.StringIO()
    rt.dump(root, buf)
    return buf.getvalue()
