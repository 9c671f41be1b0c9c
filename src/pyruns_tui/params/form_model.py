"""The Generator form as data: which fields a config has, their kinds, and text <-> value rules.

A *spec* is the config the Generator edits: a nested mapping whose string values may hold grid
syntax (SPEC 2.3). A field's *text* is what its Input shows. `text_to_value` turns text into a
spec value (grid text stays a string, the grid types its items later); `value_to_text` is its
inverse. `check_value` says why a spec value does not fit its field (wrong type, bad grid).
Pure functions, no widgets: the param form and the YAML editor both use them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Union

from pyruns_tui.errors import GridError, ParamsError
from pyruns_tui.params.grid import is_grid_value, parse_grid
from pyruns_tui.params.param_spec import ParamSpec
from pyruns_tui.params.values import not_a_choice, same_value
from pyruns_tui.params.yaml_scalars import source_float
from pyruns_tui.params.yamlio import parse_scalar

if TYPE_CHECKING:
    from pyruns_tui.params.param_spec import ScriptParams

Path = tuple[str, ...]
KINDS = ("text", "int", "float", "choice", "switch", "list")
SWITCH_ACTIONS = frozenset({"store_true", "store_false", "boolean_optional"})
LIST_ACTIONS = frozenset({"append", "extend"})
MAX_CHECKED_VALUES = 10_000  # a field expanding to more values is not type-checked item by item
HELP_WIDTH = 80


@dataclass(frozen=True)
class FieldModel:
    """One editable leaf of the spec: where it sits, how it is edited, what argparse said."""

    path: Path
    kind: str  # one of KINDS
    choices: tuple[Any, ...] | None = None
    help: str | None = None
    group: str | None = None
    unresolved: str | None = None  # the default's source text when it could not be resolved
    str_typed: bool = False  # a declared string: plain text is never re-typed as a number
    # why the launch could not pass a value (argv.LaunchCheck), when the form knows the script
    launch_check: Callable[[Any], str | None] | None = dataclasses.field(default=None, compare=False, repr=False)
    # the argparse parameter (its first spec): a value it leaves off the command line as the script's own
    # default (`ParamSpec.leaves_off`, the launch's rule) always fits, whatever it is
    param: ParamSpec | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        """The dotted path (`model.depth`): the name in messages, pins and columns."""
        return ".".join(self.path)

    @property
    def name(self) -> str:
        """The last key of the path (the label shown in its section)."""
        return self.path[-1]


@dataclass(frozen=True)
class SectionModel:
    """A titled block of the form: an argparse group or a nested mapping (`mapping=True`)."""

    title: str | None
    items: tuple[Union[FieldModel, SectionModel], ...]
    mapping: bool = False

    def fields(self) -> Iterator[FieldModel]:
        """Every field of this section and its sub-sections, in display order."""
        for item in self.items:
            if isinstance(item, SectionModel):
                yield from item.fields()
            else:
                yield item


@dataclass(frozen=True)
class FormModel:
    """The whole form: the root section plus the spec's leaf paths in document order."""

    root: SectionModel
    order: tuple[Path, ...]

    def fields(self) -> list[FieldModel]:
        return list(self.root.fields())

    def field(self, key: str) -> FieldModel | None:
        for item in self.root.fields():
            if item.key == key:
                return item
        return None


def _first_specs(params: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """key -> the first ParamSpec dict declaring it (several specs may share a key)."""
    out: dict[str, Mapping[str, Any]] = {}
    for spec in params:
        key = spec.get("key")
        if isinstance(key, str) and key not in out:
            out[key] = spec
    return out


def _const_choices(params: Sequence[Mapping[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """key -> the values a key set only by `store_const` flags can take: its default (what no flag
    gives) then each flag's const (groups_mutex's `schedule`: linear, cosine, constant)."""
    by_key: dict[str, list[Mapping[str, Any]]] = {}
    for spec in params:
        if isinstance(spec.get("key"), str):
            by_key.setdefault(spec["key"], []).append(spec)
    out: dict[str, tuple[Any, ...]] = {}
    for key, specs in by_key.items():
        if not all(spec.get("action") == "store_const" and spec.get("flags") for spec in specs):
            continue
        values: list[Any] = []
        default = specs[0].get("default")
        for value in ([default] if specs[0].get("default_resolved", True) else []) + [s.get("const") for s in specs]:
            if value is not None and not any(same_value(value, seen) for seen in values):
                values.append(value)
        out[key] = tuple(values)
    return out


def _kind_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "switch"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    return "text"


def _is_list_param(spec: Mapping[str, Any]) -> bool:
    nargs = spec.get("nargs")
    return spec.get("action") in LIST_ACTIONS or nargs in ("*", "+") or isinstance(nargs, int)


def _hf_switch(spec: Mapping[str, Any]) -> bool:
    """An HfArgumentParser bool field (`--x` alone is true, `--x=false`; hf_dataclasses.py): a switch."""
    return spec.get("type_name") == "string_to_bool" and spec.get("nargs") == "?" and spec.get("const") is True \
        and isinstance(spec.get("default"), bool)


def field_for(path: Path, default: Any, spec: Mapping[str, Any] | None,
              consts: tuple[Any, ...] | None = None) -> FieldModel:
    """The field of one leaf: kind from the argparse spec when there is one, else from `default`.
    `consts`: the values its `store_const` flags give it (`_const_choices`), a choice field's."""
    if spec is None:
        return FieldModel(path=path, kind=_kind_of_value(default))
    action = spec.get("action") or "store"
    type_name = spec.get("type_name")
    choices = spec.get("choices") or consts
    if action in SWITCH_ACTIONS or _hf_switch(spec):
        kind = "switch"
    elif _is_list_param(spec):
        kind = "list"
    elif choices:
        kind = "choice"
    elif type_name == "int" or action == "count":
        kind = "int"
    elif type_name == "float":
        kind = "float"
    elif type_name is None and action == "store":
        # `nargs='?'` takes the flag alone (its const), a value, or nothing: yolov5's `--resume`,
        # default False, const True, is also given a checkpoint's path; a Switch could not hold it
        text = default is None or isinstance(default, str) or spec.get("nargs") == "?"
        kind = "text" if text else _kind_of_value(default)
    else:
        kind = "text"
    str_typed = kind in ("text", "choice") and (
        type_name == "str" or (type_name is None and isinstance(spec.get("default"), str)))
    unresolved = None if spec.get("default_resolved", True) else str(spec.get("default_source") or "?")
    return FieldModel(
        path=path,
        kind=kind,
        choices=tuple(choices) if choices else None,
        help=_help_text(spec),
        group=spec.get("group") or None,
        unresolved=unresolved,
        str_typed=str_typed,
        param=ParamSpec.from_dict({"key": ".".join(path), **spec}),  # the dict script_info.json holds, as argv reads it
    )


def _help_text(spec: Mapping[str, Any]) -> str | None:
    """The argument's help, plus where an environment-read default comes from."""
    parts = [str(spec["help"])] if spec.get("help") else []
    if spec.get("env_vars"):
        parts.append("from environment: " + ", ".join(spec["env_vars"]))
    return " · ".join(parts) or None


def leaf_paths(spec: Mapping[str, Any], prefix: Path = ()) -> list[Path]:
    """Paths of the spec's leaves in document order (a non-empty mapping is walked, not a leaf)."""
    out: list[Path] = []
    for key, value in spec.items():
        path = prefix + (str(key),)
        if isinstance(value, Mapping) and value:
            out.extend(leaf_paths(value, path))
        else:
            out.append(path)
    return out


def get_path(spec: Mapping[str, Any], path: Path, default: Any = None) -> Any:
    """The value at `path`, or `default` when some key on the way is missing."""
    node: Any = spec
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def set_path(spec: dict[str, Any], path: Path, value: Any) -> None:
    """Set `path` in `spec`, creating the mappings on the way."""
    node = spec
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def build_form(
    spec: Mapping[str, Any],
    params: Sequence[Mapping[str, Any]] = (),
    defaults: Mapping[str, Any] | None = None,
    script: ScriptParams | None = None,
) -> FormModel:
    """The form of `spec`: one field per leaf, argparse groups and nested mappings as sections.

    Kinds come from the argparse specs (`params`, ParamSpec dicts), else from the value the key
    has in `defaults` (config_default), else from the current value. With `script` (an argparse
    script's ScriptParams), each of its parameters' fields also checks what the launch would
    refuse (`check_value`), with the launch's own rules.
    """
    by_key = _first_specs(params)
    consts = _const_choices(params)
    defaults = defaults if defaults is not None else spec
    launch = None
    if script is not None and script.kind == "argparse":
        from pyruns_tui.params.argv import LaunchCheck

        launch = LaunchCheck(script)

    def build(mapping: Mapping[str, Any], prefix: Path) -> list[FieldModel | SectionModel]:
        items: list[FieldModel | SectionModel] = []
        for key, value in mapping.items():
            path = prefix + (str(key),)
            # a mapping is a section, but not under a parameter of the script: that one takes a flat value
            # (`lr: {a: 1}`), and its field says the launch could not pass it
            if isinstance(value, Mapping) and value and not (launch is not None and not prefix and launch.declares(key)):
                items.append(SectionModel(title=str(key), items=tuple(build(value, path)), mapping=True))
                continue
            default = get_path(defaults, path, value)
            leaf = field_for(path, default, by_key.get(".".join(path)), consts.get(".".join(path)))
            if launch is not None and len(path) == 1:
                leaf = replace(leaf, launch_check=functools.partial(launch.problem, path[0]))
            items.append(leaf)
        return items

    # argparse groups become sections placed where their first field was
    groups: dict[str, list[FieldModel]] = {}
    slots: list[FieldModel | SectionModel | str] = []
    for item in build(spec, ()):
        if isinstance(item, FieldModel) and item.group:
            if item.group not in groups:
                groups[item.group] = []
                slots.append(item.group)
            groups[item.group].append(item)
        else:
            slots.append(item)
    final = tuple(
        SectionModel(title=slot, items=tuple(groups[slot])) if isinstance(slot, str) else slot
        for slot in slots
    )
    return FormModel(root=SectionModel(title=None, items=final), order=tuple(leaf_paths(spec)))


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


def grid_size(value: Any, key: str) -> tuple[int, bool] | None:
    """(number of values, zipped) of a grid value, None for a plain one; raises GridError."""
    if not isinstance(value, str) or not is_grid_value(value):
        return None
    spec = parse_grid({key: value}, max_tasks=10**12)
    if not spec.fields:
        return None
    item = spec.fields[0]
    return item.length, item.zipped


def _values(value: Any, key: str) -> list[Any]:
    """The values a spec value stands for (its grid items, or itself)."""
    size = grid_size(value, key)
    if size is None:
        return [value]
    spec = parse_grid({key: value}, max_tasks=10**12)
    return spec.fields[0].values() if size[0] <= MAX_CHECKED_VALUES else []


def _type_problem(item: Any, field: FieldModel) -> str | None:
    """Why one (grid item) value does not fit the field, or None."""
    if item is None:
        return None
    shown = _flow_item(item) if not isinstance(item, str) else repr(item)
    if field.kind == "int":
        if isinstance(item, bool) or not isinstance(item, int):
            if isinstance(item, float) and item.is_integer():
                return None
            return f"{shown} is not an integer (or grid syntax like 1 | 2, 1:10)"
    elif field.kind == "float":
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            return f"{shown} is not a number (or grid syntax like 0.1 | 0.01)"
    elif field.kind == "switch":
        if not isinstance(item, bool):
            return f"{shown} is not true or false"
    elif field.kind == "choice" and field.choices:
        if item not in field.choices and str(item) not in {str(c) for c in field.choices}:
            return not_a_choice(shown, field.choices)
    elif field.kind == "list":
        if not isinstance(item, list) and field.launch_check is None:
            return _not_a_list(item)  # a script reading its config gets the value as it is
    return None


def _not_a_list(item: Any) -> str:
    """A value that is no list for a list field, where a lone item cannot be the list's one item
    either (`a, b` is a list in a field's text only, in a YAML spec or a grid it is text)."""
    shown = _flow_item(item) if not isinstance(item, str) else repr(item)
    return f"{shown} is not a list (write [a, b]; a grid of lists: [a] | [b, c])"


_TYPE_WORDS = {"int": ("an integer", "integers"), "float": ("a number", "numbers")}


def _expected_list(param: ParamSpec) -> str | None:
    """What a list parameter takes, in the user's terms, with an example (its default when that is
    one): `expects a list of 2 numbers, e.g. [0.9, 0.999]`; None for a list of lists (append with
    nargs)."""
    if param.action == "append" and param.nargs is not None:
        return None
    one, plural = _TYPE_WORDS.get(str(param.type_name), ("a value", "values"))
    n = param.nargs if isinstance(param.nargs, int) and param.nargs > 1 else 1
    if n > 1 and param.action != "extend":
        what, sizes = f"a list of {n} {plural}", range(n, n + 1)
    elif n > 1:  # `--pairs 1 2 --pairs 3 4`
        what, sizes = f"a list of {plural}, {n} at a time", range(n, 1 << 30, n)
    else:
        what, sizes = f"{one} or a list of them", range(1, 1 << 30)
    return f"expects {what}, e.g. {_flow_item(_example(param, sizes))}"


_MADE_ITEMS: dict[str, list[Any]] = {"int": [1, 2, 3, 4], "float": [0.1, 0.2, 0.3, 0.4]}


def _example(param: ParamSpec, sizes: range) -> list[Any]:
    """A list the parameter takes: its default when that is one of a length in `sizes` (the
    script's own words), else made-up items of its type: the fewest `sizes` allows, two at least."""
    from pyruns_tui.params.argv_items import fits_type

    default = param.default
    if isinstance(default, list) and len(default) in sizes and all(
            v is not None and not isinstance(v, (list, dict)) and fits_type(v, param.type_name) for v in default):
        return default
    made = _MADE_ITEMS.get(str(param.type_name), ["a", "b", "c", "d"])
    return [made[i % len(made)] for i in range(max(2, sizes[0]))]


def _item_problem(item: Any, field: FieldModel, lone: bool) -> str | None:
    """A list item (or a lone value: `lone`) that the launch refused, in the user's terms: what it
    is not (`'abc' is not an integer`) and what the parameter expects; a lone value that is right
    but alone where the script takes N (`0.5 is one value`). None when there is no such saying."""
    param = field.param
    if param is None or item is None or isinstance(item, (list, tuple, dict)):
        return None
    expected = _expected_list(param)
    if expected is None:
        return None
    from pyruns_tui.params.argv_items import fits_type

    shown = _flow_item(item) if not isinstance(item, str) else repr(item)
    kind = str(param.type_name)
    if kind in _TYPE_WORDS and not fits_type(item, kind):
        return f"{shown} is not {_TYPE_WORDS[kind][0]} ({expected})"
    if lone and isinstance(param.nargs, int) and param.nargs > 1:
        return f"{shown} is one value ({expected})"
    return None


def _list_problem(item: Any, field: FieldModel, problem: str) -> str:
    """The launch's `problem` with a value of a list field, said in the user's terms where it can
    be: a lone value that cannot be the list's one item (as `as_items` passes it), or an item of a
    list that the parameter's type cannot take."""
    if isinstance(item, list):
        for element in item:
            said = _item_problem(element, field, lone=False)
            if said:
                return said
        return problem
    from pyruns_tui.params.argv_items import as_items

    if as_items(item) is None:  # `'0, 1'`: a list written as text
        return _not_a_list(item)
    said = _item_problem(item, field, lone=True)
    if said:
        return said
    check = field.launch_check
    one = check([item]) if check is not None else None
    return one or _not_a_list(item)  # `'--' cannot be passed as a value`: the launch's words


def check_value(value: Any, field: FieldModel) -> str | None:
    """Why a spec value does not fit its field (bad grid syntax, wrong type, a value the launch
    could not pass: `launch_check`), or None."""
    try:
        items = _values(value, field.key)
    except GridError as exc:
        message = str(exc)
        prefix = f"{field.key}: "
        return message[len(prefix):] if message.startswith(prefix) else message
    check = field.launch_check
    for item in items:
        if field.param is not None and field.param.leaves_off(item):
            continue  # the launch passes nothing: the script gets its own default
        problem = _type_problem(item, field)
        if problem is None and check is not None:
            problem = check(item)
            if problem and field.kind == "list":
                problem = _list_problem(item, field, problem)
        if problem:
            return problem
    return None


def check_text(text: str, field: FieldModel) -> tuple[Any, str | None]:
    """(spec value, problem) of a field's text; the value is the raw text when it is malformed."""
    try:
        value = text_to_value(text, field)
    except ParamsError as exc:
        return text, str(exc)
    return value, check_value(value, field)


def spec_problems(spec: Mapping[str, Any], form: FormModel) -> list[tuple[str, str]]:
    """(key, problem) for every field of `form` whose value in `spec` does not fit it."""
    out = []
    for item in form.fields():
        problem = check_value(get_path(spec, item.path), item)
        if problem:
            out.append((item.key, problem))
    return out


def literal_spec(config: Any) -> Any:
    """A task's real config as a spec: strings escaped so that the grid reads them back as is."""
    from pyruns_tui.params.grid import escape_literal

    if isinstance(config, dict):
        return {key: literal_spec(value) for key, value in config.items()}
    if isinstance(config, str):
        return escape_literal(config)
    return config


def one_line(text: str | None, width: int = HELP_WIDTH) -> str:
    """Help text as one line, cut with an ellipsis at `width` characters."""
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"
