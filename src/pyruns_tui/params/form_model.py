"""The Generator form as data: which fields a config has, their kinds, sections and paths.

A *spec* is the config the Generator edits: a nested mapping whose string values may hold grid
syntax (SPEC 2.3). A field's kind comes from the script's argparse spec, else from its default's
value; a field of an argparse script carries the launch's check of a value (`launch_check`). A
field's text <-> value rules are field_text.py, why a value does not fit its field form_checks.py.
Pure functions, no widgets: the param form and the YAML editor both use them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Union

from pyruns_tui.params.grid_field import keep_item_texts
from pyruns_tui.params.param_spec import ParamSpec
from pyruns_tui.params.values import same_value

if TYPE_CHECKING:
    from pyruns_tui.params.param_spec import ScriptParams

Path = tuple[str, ...]
KINDS = ("text", "int", "float", "choice", "switch", "list")
SWITCH_ACTIONS = frozenset({"store_true", "store_false", "boolean_optional"})
LIST_ACTIONS = frozenset({"append", "extend"})
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


def keep_string_texts(spec: Mapping[str, Any], form: FormModel) -> dict[str, Any]:
    """`spec` with the grid of each declared string (`FieldModel.str_typed`) read as the texts typed
    (`name: 007 | 7` is '007' and '7', not 7 twice), as its lone value is (`text_to_value`): what
    `gen`, the Generator's preview and Create expand."""
    out = _copy_mappings(spec)
    for item in form.fields():
        value = get_path(out, item.path)
        if item.str_typed and isinstance(value, str):
            kept = keep_item_texts(value)
            if kept != value:
                set_path(out, item.path, kept)
    return out


def _copy_mappings(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _copy_mappings(value) if isinstance(value, Mapping) else value for key, value in spec.items()}
