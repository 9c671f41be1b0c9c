"""The one place pyruns-tui reads and writes YAML.

Everything is typed by the YAML 1.2 core schema (`1e-3` is a float, `yes`/`on` are strings,
`010` is 10, no timestamps) so a value means the same in a form field, a config file and a grid.

- `parse_scalar`: one form-field value -> a Python value (regex fast paths, no parser for the
  common case).
- `load_text` / `load_file`: fast bulk loader (libyaml `CSafeLoader` when available) with the
  implicit resolvers replaced by core-schema ones; duplicate keys are an error.
- `dump_text`: plain block YAML for `config.yaml`; any string that YAML 1.1 *or* 1.2 would read as
  something else is quoted, so `load_text` and plain `yaml.safe_load` both read back the same.
- `load_roundtrip` / `dump_roundtrip` / `dump_commented`: ruamel.yaml round trips for files
  people edit (yaml_roundtrip.py); the core schema's scalar rules are yaml_scalars.py.

Every malformed input raises `ParamsError` with a one-line message that names file and line.
"""

from __future__ import annotations

import functools
import io
import math
import re
from pathlib import Path
from typing import Any, Callable

import yaml

from pyruns_tui.contracts import SCALAR_TYPES
from pyruns_tui.errors import ParamsError
from pyruns_tui.params.yaml_scalars import (
    _BOOL,
    _FLOAT,
    _INF,
    _INT8,
    _INT10,
    _INT16,
    _MISSING,
    _NAN,
    _core_scalar,
    _unquote_single,
)
from pyruns_tui.safefile import MAX_READ_BYTES, read_text

__all__ = [
    "parse_scalar",
    "load_text",
    "load_file",
    "dump_text",
]

_YAML_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)


def parse_scalar(text: str) -> Any:
    """Type one form-field value like a YAML 1.2 core-schema scalar.

    int (decimal, `0o`, `0x`, any size), float (`1e-3`, `.5`, `1.`, `.inf`, `.nan`), bool (only
    the true/false spellings), null (`null`, `~`, empty), flow collections (`[1, 2]`,
    `{a: 1}`), quoted strings (quotes removed; single quotes are not line-folded), and anything
    else is the stripped text as a str (`yes`, `on`, `a: b`, `x # y`). A malformed flow
    collection or double-quoted string raises ParamsError.
    """
    s = text.strip(" \t\r\n")
    value = _core_scalar(s)
    if value is not _MISSING:
        return value
    first = s[0]
    if first == "'":
        inner = _unquote_single(s)
        if inner is not None:
            return inner
    elif first == '"' or first in "[{":
        if first == '"' and s[-1] == '"' and s.count('"') == 2 and "\\" not in s \
                and "\n" not in s:
            return s[1:-1]
        loaded = load_text(s, where=f"value {s[:40]!r}")
        if first == '"' and not isinstance(loaded, str):
            raise ParamsError(f"value {s[:60]!r}: text after the closing quote")
        return loaded
    return s


def _core_resolvers(cls: type[yaml.resolver.BaseResolver]) -> None:
    """Install the YAML 1.2 core-schema implicit resolvers on a loader/dumper class."""
    cls.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:null|Null|NULL|~|)$"),
                              list("nN~") + [""])
    cls.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(f"^(?:{_BOOL.pattern})$"),
                              list("tTfF"))
    int_re = f"^(?:{_INT10.pattern}|{_INT8.pattern}|{_INT16.pattern})$"
    cls.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(int_re), list("+-0123456789"))
    float_re = f"^(?:{_FLOAT.pattern}|{_INF.pattern}|{_NAN.pattern})$"
    cls.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(float_re),
                              list("+-.0123456789"))


_BaseDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_MERGE = "tag:yaml.org,2002:merge"
# libyaml composes recursively in C: deep nesting overflows small thread stacks (segfault),
# so texts that could nest deeper than this go to the pure-Python loader instead.
_C_DEPTH_GUARD = 256
_NOT_FLOW_BRACKET = re.compile(r"[^\[\]{}]+")


def _scalar_constructor(convert: Callable[[str], Any]) -> Callable[[Any, Any], Any]:
    """A constructor applying `convert`; its ValueError becomes a marked YAML error."""
    def construct(loader: Any, node: Any) -> Any:
        try:
            return convert(loader.construct_scalar(node))
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, str(exc), node.start_mark) from None
    return construct


def _explicit_int(text: str) -> int:
    value = _core_scalar(text.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{text!r} is not an int")


def _explicit_float(text: str) -> float:
    value = _core_scalar(text.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{text!r} is not a float")


def _explicit_bool(text: str) -> bool:
    if _BOOL.fullmatch(text):
        return text[0] in "tT"
    raise ValueError(f"{text!r} is not a bool")


class _CoreSchema:
    """Loader mixin: YAML 1.2 core-schema typing, and duplicate keys refused."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # The first flatten of a node sees only its own keys: check duplicates there.
        checked = self.__dict__.setdefault("_checked_nodes", set())
        if id(node) not in checked:
            checked.add(id(node))
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                    ident = (key_node.tag, key_node.value)
                    if ident in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key_node.value!r}", key_node.start_mark)
                    seen.add(ident)
        super().flatten_mapping(node)  # type: ignore[misc]


class _CoreLoader(_CoreSchema, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The fast core-schema loader (libyaml when available)."""


class _PyCoreLoader(_CoreSchema, yaml.SafeLoader):
    """The pure-Python core-schema loader, for texts that might nest very deeply."""


for _loader in (_CoreLoader, _PyCoreLoader):
    _loader.yaml_implicit_resolvers = {}
    _core_resolvers(_loader)
    _loader.add_implicit_resolver(_MERGE, re.compile(r"^(?:<<)$"), ["<"])
    _loader.add_constructor("tag:yaml.org,2002:int", _scalar_constructor(_explicit_int))
    _loader.add_constructor("tag:yaml.org,2002:float", _scalar_constructor(_explicit_float))
    _loader.add_constructor("tag:yaml.org,2002:bool", _scalar_constructor(_explicit_bool))
    _loader.add_constructor(_MERGE, _scalar_constructor(str))  # a lone `<<` is just text


def _may_nest_deeply(text: str) -> bool:
    """Whether `text` might nest deeper than the C loader's guard (a cheap upper bound).

    Every collection needs one of `[{:-?`; block nesting also needs more indentation per two
    levels, so depth <= 2 * longest line + flow depth.
    """
    if sum(text.count(c) for c in "[{:-?") <= _C_DEPTH_GUARD:
        return False
    flow = 0
    if text.count("[") + text.count("{") > _C_DEPTH_GUARD // 2:
        depth = 0
        for c in _NOT_FLOW_BRACKET.sub("", text):
            depth = depth + 1 if c in "[{" else max(0, depth - 1)
            flow = max(flow, depth)
    longest = max(map(len, text.splitlines()), default=0)
    return 2 * longest + flow + 2 > _C_DEPTH_GUARD


def _error_line(exc: BaseException, where: str, text: str) -> str:
    """One line `where:line:col: invalid YAML: problem (how to fix)` from a PyYAML/ruamel error or a
    constructor error; the mistakes people make typing YAML are said plainly, on the line at fault
    (yaml_hints)."""
    place = where or "<yaml>"
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    if isinstance(exc, RecursionError):
        problem = "nested too deeply"
    problem = " ".join(str(problem).split())
    problem_mark, context_mark = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    if problem_mark is not None:
        from pyruns_tui.params.yaml_hints import syntax_hint

        context = getattr(exc, "context", None) or ""
        hint = syntax_hint(text, problem, (problem_mark.line, problem_mark.column), str(context),
                           None if context_mark is None else (context_mark.line, context_mark.column))
        if hint is not None:
            row, column, message = hint
            return f"{place}:{row + 1}:{column + 1}: invalid YAML: {message}"
    mark = problem_mark or context_mark
    if mark is not None:
        place = f"{place}:{mark.line + 1}:{mark.column + 1}"
    return f"{place}: invalid YAML: {problem} (fix the YAML syntax)"


_MIN_ALIAS_BUDGET = 100_000


def _check_alias_expansion(data: Any, text: str, where: str) -> Any:
    """`data`, unless its aliases expand it far beyond the text (a "billion laughs" document).

    Aliases are shared references after loading, but every later walk (grid, dump, JSON)
    expands them; a few hundred bytes could otherwise stand for billions of values.
    """
    if "*" not in text:
        return data
    budget = max(_MIN_ALIAS_BUDGET, 10 * len(text))
    stack = [data]
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise ParamsError(f"{where or '<yaml>'}: YAML aliases (*name) expand to too many values; "
                              "write the values out instead")
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return data


def load_text(text: str, where: str = "") -> Any:
    """Load one YAML document (core schema); `where` names the source in error messages."""
    try:
        loader = _PyCoreLoader if _may_nest_deeply(text) else _CoreLoader
        data = yaml.load(text, Loader=loader)  # noqa: S506 - safe loader subclasses
    except _YAML_ERRORS as exc:
        raise ParamsError(_error_line(exc, where, text)) from None
    return _check_alias_expansion(data, text, where)


def load_file(path: str | Path) -> Any:
    """Load one YAML file with `load_text`; unreadable files raise ParamsError."""
    try:
        text = read_text(path, MAX_READ_BYTES)  # a FIFO or symlink in its place is refused, never waited on
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ParamsError(f"cannot read {path}: {reason}") from None
    return load_text(text, where=str(path))


class _QuotingDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Safe dumper whose resolver is YAML 1.1 plus 1.2 core: strings either reads as
    non-strings are emitted quoted."""


_core_resolvers(_QuotingDumper)
_QuotingDumper.add_representer(
    tuple, lambda dumper, data: dumper.represent_list(list(data)))


def dump_text(data: Any) -> str:
    """Plain block YAML (order and unicode kept) that reads back identical with `load_text`
    and with `yaml.safe_load`."""
    if isinstance(data, dict):
        lines: list[str] = []
        if _fast_mapping(data, "", lines):
            return "".join(lines) if lines else "{}\n"
    return yaml.dump(data, Dumper=_QuotingDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1 << 30)


_PLAIN_TEXT = re.compile(r"[A-Za-z_][A-Za-z0-9_./@+-]*(?: [A-Za-z0-9_./@+-]+)*\Z")


def _fast_scalar(value: Any) -> str | None:
    """The YAML text of a simple scalar, or None when the general dumper must decide."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value) if abs(value) < 10**15 else None
    if type(value) is float:
        if value != value or value in (math.inf, -math.inf):
            return None
        text = repr(value)
        if "e" in text and "." not in text:
            text = text.replace("e", ".0e", 1)
        return text
    if type(value) is str and _PLAIN_TEXT.match(value) and not _needs_quotes(value):
        return value
    return None


def _fast_mapping(data: dict[Any, Any], indent: str, lines: list[str]) -> bool:
    """Append block YAML for a mapping of plain keys and simple scalars (nested mappings
    allowed); False when anything needs the general dumper. Config files are almost always
    this simple, and the general dumper costs ~0.4 ms each."""
    for key, value in data.items():
        kind = type(value)
        memo = kind in SCALAR_TYPES and type(key) is str and (kind is not float or value)  # (-0.0 is written apart)
        if memo:
            line = _LINES.get((indent, key, kind, value))
            if line is not None:
                lines.append(line)
                continue
        if type(key) is not str or not _PLAIN_TEXT.match(key) or " " in key or _needs_quotes(key):
            return False
        if type(value) is dict:
            if not value:
                lines.append(f"{indent}{key}: {{}}\n")
                continue
            lines.append(f"{indent}{key}:\n")
            if not _fast_mapping(value, indent + "  ", lines):
                return False
            continue
        if type(value) is list and not value:
            lines.append(f"{indent}{key}: []\n")
            continue
        text = _fast_scalar(value)
        if text is None:
            return False
        line = f"{indent}{key}: {text}\n"
        if memo:
            if len(_LINES) >= _LINES_KEPT:
                _LINES.clear()
            _LINES[indent, key, kind, value] = line
        lines.append(line)
    return True


# the line of a str key and a scalar value, by (indent, key, type, value): the configs of a grid
# repeat the same keys and most values (`gen` of 10,000 tasks wrote 40,000 lines, ~30 ms)
_LINES: dict[tuple[str, str, type, Any], str] = {}
_LINES_KEPT = 4096


_RESOLVE_CHECK = _QuotingDumper(io.StringIO())


@functools.lru_cache(maxsize=4096)
def _needs_quotes(text: str) -> bool:
    """Whether a plain `text` would be read as a non-string by YAML 1.1 or 1.2 (remembered: the
    configs of a grid repeat the same keys and most values, 15 resolver calls a task otherwise)."""
    tag = _RESOLVE_CHECK.resolve(yaml.ScalarNode, text, (True, False))
    return tag != "tag:yaml.org,2002:str"
