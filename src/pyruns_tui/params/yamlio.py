"""The one place pyruns-tui reads and writes YAML.

Everything is typed by the YAML 1.2 core schema (`1e-3` is a float, `yes`/`on` are strings,
`010` is 10, no timestamps) so a value means the same in a form field, a config file and a grid.

- `parse_scalar`: one form-field value -> a Python value (regex fast paths, no parser for the
  common case).
- `load_text` / `load_file`: fast bulk loader (libyaml `CSafeLoader` when available) with the
  implicit resolvers replaced by core-schema ones; duplicate keys are an error.
- `dump_text`: plain block YAML for `config.yaml`; any string that YAML 1.1 *or* 1.2 would read as
  something else is quoted, so `load_text` and plain `yaml.safe_load` both read back the same.
- `load_roundtrip` / `dump_roundtrip`: ruamel.yaml round-trip (comments and order kept) for files
  people edit.
- `dump_commented`: ruamel text of a mapping with help strings as comments (config_default.yaml).

Every malformed input raises `ParamsError` with a one-line message that names file and line.
"""

from __future__ import annotations

import functools
import io
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import yaml

from pyruns_tui.errors import ParamsError
from pyruns_tui.safefile import MAX_READ_BYTES, read_text

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

__all__ = [
    "parse_scalar",
    "load_text",
    "load_file",
    "dump_text",
    "load_roundtrip",
    "dump_roundtrip",
    "dump_commented",
    "source_float",
    "yaml_float",
    "SpelledFloat",
]

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
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Characters ruamel's emitter may fold or mangle outside double quotes (breaks, controls, BOM).
_NEEDS_ESCAPES = re.compile(
    "[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_YAML_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)


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
MAX_COMMENT_COLUMN = 48  # a longer `key: value` line gets its comment two spaces after it, not the others
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
        lines.append(f"{indent}{key}: {text}\n")
    return True


_RESOLVE_CHECK = _QuotingDumper(io.StringIO())


@functools.lru_cache(maxsize=4096)
def _needs_quotes(text: str) -> bool:
    """Whether a plain `text` would be read as a non-string by YAML 1.1 or 1.2 (remembered: the
    configs of a grid repeat the same keys and most values, 15 resolver calls a task otherwise)."""
    tag = _RESOLVE_CHECK.resolve(yaml.ScalarNode, text, (True, False))
    return tag != "tag:yaml.org,2002:str"


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
