"""Hugging Face's `HfArgumentParser` read statically: its dataclasses' fields as the options it adds.

`HfArgumentParser((ModelArguments, DataTrainingArguments, TrainingArguments))` is an argparse
parser whose options come from dataclass fields (transformers' `hf_argparser.py`,
`_parse_dataclass_field`): each field is `--name` (and `--na-me` for a name with `_`, plus its
metadata's `aliases`), with the metadata (`help`, `choices`...) as add_argument keywords and
keywords from its annotation: `bool` takes `--x`, `--x=false` (nargs '?', const True) and, for a
default of True, a `--no_x` that stores False; `Optional[X]` is X; `Literal[...]` and an Enum
give choices; `list[X]` is nargs '+' (of an Enum's values for `list[SomeEnum]`); a field without a
default is required. `field_arguments`
returns those add_argument calls for one dataclass, read from its `class` statement (and its
bases'): nothing is imported or run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from pyruns_tui.params.help_text import readable_help
from pyruns_tui.params.module_walk import LazyImport
from pyruns_tui.params.script_walker import ScriptWalker as _Walker
from pyruns_tui.params.static_values import UNKNOWN, ModuleAttr, Scope, is_plain

__all__ = ["FieldArgument", "field_arguments", "is_dataclass", "is_hf_parser", "PARSE_METHODS"]

HF_PARSERS = frozenset({"HfArgumentParser"})
# what reads the command line (parse_json_file, parse_yaml_file, parse_dict read a file or a dict)
PARSE_METHODS = frozenset({"parse_args_into_dataclasses"})
_MISSING: Any = object()  # dataclasses.MISSING: no default given
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "ExplicitEnum"})
_FIELD_FUNCTIONS = frozenset({"field", "HfArg"})


@dataclass
class FieldArgument:
    """One `add_argument` call HfArgumentParser makes for a dataclass field. `type_name`: the
    `type=` as text (`int`; `string_to_bool` for a bool; None for Literal/Enum choices)."""

    key: str
    flags: list[str]
    lineno: int
    group: str
    at: str  # `FILE:LINE` of the field (a base dataclass's may be in another file than its subclass)
    default_at: str | None = None  # `FILE:LINE` of the default's source (module_walk's `default_place`)
    help: str | None = None
    default: Any = None
    default_source: str | None = None
    type_name: str | None = None
    choices: tuple[Any, ...] | None = None
    nargs: str | None = None
    const: Any = None
    required: bool = False
    action: str = "store"
    unread: list[str] = field(default_factory=list)  # what could not be read (said in a warning)


def _last_name(node: ast.expr) -> str | None:
    """`b` of `a.b`, `b` of `b`, None for anything else."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def is_hf_parser(factory: Any) -> bool:
    """Whether calling `factory` creates an HfArgumentParser (or a class of the script based on one)."""
    name = getattr(factory, "attr", None) if isinstance(factory, (ModuleAttr, LazyImport)) else getattr(factory, "name", None)
    if name in HF_PARSERS:
        return True
    return any(is_hf_parser(base) for base in getattr(factory, "bases", ()))


def is_dataclass(cls: Any) -> bool:
    """Whether a ClassNS is decorated `@dataclass`/`@dataclasses.dataclass(...)`."""
    node = getattr(cls, "node", None)
    if node is None:
        return False
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if _last_name(target) == "dataclass":
            return True
    return False


def _is_enum(walker: _Walker, cls: Any) -> bool:
    for base in getattr(cls, "bases", ()):
        if isinstance(base, (ModuleAttr, LazyImport)) and base.attr in _ENUM_BASES:
            return True
        if getattr(base, "name", None) in _ENUM_BASES or (getattr(base, "node", None) is not None and _is_enum(walker, base)):
            return True
    return False


def _enum_values(walker: _Walker, cls: Any) -> tuple[Any, ...] | None:
    """The values of an Enum class's members (`NO = "no"`), in order; None when one is unknown."""
    values = []
    with walker._in_file(cls.home):
        for stmt in cls.node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and not stmt.targets[0].id.startswith("_"):
                value = walker.try_eval(stmt.value, cls.scope)
                if not is_plain(value) or value is UNKNOWN:
                    return None
                values.append(value)
    return tuple(values)


def _annotation(node: ast.expr) -> ast.expr:
    """A string annotation (`"Optional[str]"`, `from __future__ import annotations` aside) parsed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return node
    return node


def _is_none(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and node.value is None) or _last_name(node) == "NoneType"


def _union_members(node: ast.expr) -> list[ast.expr] | None:
    """The members of `Union[A, B]`, `Optional[A]` (A, None) or `A | B`; None for no union."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*(_union_members(node.left) or [node.left]), *(_union_members(node.right) or [node.right])]
    if isinstance(node, ast.Subscript):
        name = _last_name(node.value)
        inner = node.slice
        elts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if name == "Optional":
            return [elts[0], ast.Constant(value=None)]
        if name == "Union":
            return elts
    return None


def _unwrapped(node: ast.expr) -> tuple[ast.expr, bool]:
    """(the type HfArgumentParser uses, whether it is `bool | None`): `Optional[X]` is X, `Union[X,
    str]` is X (argparse takes one type), `Optional[bool]` stays a bool that may be None."""
    node = _annotation(node)
    members = _union_members(node)
    if members is None or len(members) < 2:
        return node, False
    nones = [m for m in members if _is_none(m)]
    others = [m for m in members if not _is_none(m)]
    if not nones:
        return (members[0] if _last_name(members[1]) == "str" else members[1]), False
    if len(others) == 1 and _last_name(others[0]) == "bool":
        return others[0], True
    return (others[0] if len(others) == 1 else node), False


def _field_call(walker: _Walker, value: ast.expr | None, scope: Scope) -> dict[str, ast.expr] | None:
    """The keywords of `field(...)`/`dataclasses.field(...)`/`HfArg(...)`, None for a plain default."""
    if isinstance(value, ast.Call) and _last_name(value.func) in _FIELD_FUNCTIONS:
        return {kw.arg: kw.value for kw in value.keywords if kw.arg is not None}
    return None


def _factory_value(walker: _Walker, node: ast.expr, scope: Scope) -> Any:
    """What `default_factory=` makes: `list` [], `dict` {}, `lambda: [...]` its body's value."""
    if isinstance(node, ast.Lambda) and not node.args.args:
        return walker.try_eval(node.body, scope)
    name = _last_name(node)
    if name in ("list", "dict", "set", "tuple"):
        return {"list": [], "dict": {}, "set": set(), "tuple": ()}[name]
    return UNKNOWN


def _metadata(walker: _Walker, node: ast.expr | None, scope: Scope) -> tuple[dict[str, Any], list[str]]:
    """A field's metadata as add_argument keywords (`help` read in parts, help_text.py); the keys
    of the ones that cannot be read."""
    if node is None:
        return {}, []
    if not isinstance(node, ast.Dict):
        value = walker.try_eval(node, scope)
        return (dict(value), []) if isinstance(value, dict) else ({}, ["metadata"])
    out: dict[str, Any] = {}
    unread = []
    for key_node, value_node in zip(node.keys, node.values):
        key = walker.try_eval(key_node, scope) if key_node is not None else None
        if not isinstance(key, str):
            unread.append("metadata")
            continue
        value = readable_help(walker, value_node, scope) if key == "help" else walker.try_eval(value_node, scope)
        if value is UNKNOWN:
            unread.append(key)
        out[key] = value
    return out, unread


def _own_fields(walker: _Walker, cls: Any, group: str) -> dict[str, FieldArgument]:
    """The fields a dataclass's own body declares, as HfArgumentParser adds them (init=False and
    ClassVar fields are not options)."""
    out: dict[str, FieldArgument] = {}
    scope = cls.scope
    for stmt in cls.node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        annotation = _annotation(stmt.annotation)
        outer = _last_name(annotation.value if isinstance(annotation, ast.Subscript) else annotation)
        if outer in ("ClassVar", "InitVar"):
            continue
        name = stmt.target.id
        keywords = _field_call(walker, stmt.value, scope)
        default: Any = _MISSING
        default_node: ast.expr | None = None
        factory: Any = _MISSING
        metadata: dict[str, Any] = {}
        unread: list[str] = []
        if keywords is None:
            if stmt.value is not None:
                default_node = stmt.value
                default = walker.try_eval(stmt.value, scope)
        else:
            if "init" in keywords and walker.try_eval(keywords["init"], scope) is False:
                continue
            if "default" in keywords:
                default_node = keywords["default"]
                default = walker.try_eval(default_node, scope)
            elif "default_factory" in keywords:
                default_node = keywords["default_factory"]
                factory = _factory_value(walker, default_node, scope)
            metadata, unread = _metadata(walker, keywords.get("metadata"), scope)
            if "help" in keywords:  # HfArg(help=..., aliases=...)
                metadata["help"] = readable_help(walker, keywords["help"], scope)
            if "aliases" in keywords:
                metadata["aliases"] = walker.try_eval(keywords["aliases"], scope)
        out[name] = _argument(walker, cls, group, name, stmt, default, default_node, factory, metadata, unread)
    return out


def _argument(walker: _Walker, cls: Any, group: str, name: str, stmt: ast.AnnAssign, default: Any,
              default_node: ast.expr | None, factory: Any, metadata: dict[str, Any],
              unread: list[str]) -> FieldArgument:
    """HfArgumentParser._parse_dataclass_field for one field, statically."""
    flags = [f"--{name}"]
    if "_" in name:
        flags.append(f"--{name.replace('_', '-')}")
    aliases = metadata.pop("aliases", [])
    if isinstance(aliases, str):
        aliases = [aliases]
    if isinstance(aliases, (list, tuple)) and all(isinstance(a, str) for a in aliases):
        flags.extend(aliases)
    else:
        unread.append("aliases")
    # `default=default_optim`, set under `if is_torch_available():`: its values, not its name
    source = walker.default_text(default_node, default, cls.scope) if default_node is not None else None
    at = walker.place(stmt)
    arg = FieldArgument(key=name, flags=flags, lineno=stmt.lineno, group=group, at=at, unread=unread,
                        default_source=source, default_at=at if default_node is None
                        else walker.default_place(default_node, default, cls.scope))
    arg.help = metadata.get("help") if isinstance(metadata.get("help"), str) else None
    if "choices" in metadata:
        choices = metadata["choices"]
        if isinstance(choices, (list, tuple)) and is_plain(list(choices)):
            arg.choices = tuple(choices)
        else:
            unread.append("choices")
    if isinstance(metadata.get("nargs"), (str, int)):
        arg.nargs = metadata["nargs"]
    kind, maybe_none = _unwrapped(stmt.annotation)
    head = _last_name(kind.value) if isinstance(kind, ast.Subscript) else _last_name(kind)
    choices = _choices(walker, cls, kind, head)
    if choices is not None:
        arg.choices = choices
        _plain_default(arg, default, factory, use_factory=False)
    elif head == "bool":
        arg.type_name = "string_to_bool"
        if not maybe_none or (default is not None and default is not _MISSING):
            arg.default = False if default is _MISSING else default
            arg.nargs, arg.const = "?", True
        elif default is not _MISSING:
            arg.default = default
    elif head in ("list", "List") and isinstance(kind, ast.Subscript):
        item = _annotation(kind.slice)
        members = _choices(walker, cls, item, _last_name(item))
        if members is not None and _last_name(item) != "Literal":
            # `list[DebugOption]` (TrainingArguments' `debug`): type=DebugOption takes each item that is a
            # member's value and stops the script on any other; a member is its value, as for one Enum
            arg.choices = members
        else:
            arg.type_name = _type_label(walker, kind.slice)
        arg.nargs = "+"
        if factory is not _MISSING:
            arg.default = factory
        elif default is _MISSING:
            arg.required = True
        else:
            arg.default_source = None  # a default= of a list field is not given to argparse: None
    else:
        arg.type_name = _type_label(walker, kind)
        _plain_default(arg, default, factory, use_factory=True)
    return arg


def _plain_default(arg: FieldArgument, default: Any, factory: Any, *, use_factory: bool) -> None:
    if default is not _MISSING:
        arg.default = default
    elif use_factory and factory is not _MISSING:
        arg.default = factory
    else:
        arg.required = True


def _type_label(walker: _Walker, node: ast.expr) -> str:
    """`type=` as text: a builtin's name (`int`), else the annotation's source."""
    node = _annotation(node)
    name = _last_name(node)
    return name if name is not None else walker.segment(node)


def _choices(walker: _Walker, cls: Any, kind: ast.expr, head: str | None) -> tuple[Any, ...] | None:
    """`Literal["a", "b"]`'s values, or an Enum class's member values; None for any other type."""
    if head == "Literal" and isinstance(kind, ast.Subscript):
        elts = kind.slice.elts if isinstance(kind.slice, ast.Tuple) else [kind.slice]
        values = tuple(walker.try_eval(e, cls.scope) for e in elts)
        return values if is_plain(list(values)) and UNKNOWN not in values else None
    if not isinstance(kind, (ast.Name, ast.Attribute)):
        return None
    with walker._in_file(cls.home):
        target = walker.try_eval(kind, cls.scope)
    if getattr(target, "node", None) is not None and _is_enum(walker, target):
        return _enum_values(walker, target)
    return None


def field_arguments(walker: _Walker, cls: Any, group: str) -> list[FieldArgument]:
    """The add_argument calls HfArgumentParser makes for the dataclass `cls` (a ClassNS), its
    bases' fields first, a field declared again keeping its place (as `dataclasses.fields`)."""
    fields: dict[str, FieldArgument] = {}
    for base in reversed(cls.bases):
        if getattr(base, "node", None) is not None and is_dataclass(base):
            fields.update({a.key: a for a in field_arguments(walker, base, group)})
    with walker._in_file(cls.home):
        fields.update(_own_fields(walker, cls, group))
    return list(fields.values())
