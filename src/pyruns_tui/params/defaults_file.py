"""A YAML file of defaults named by a parameter: timm's `--config`, read by the script itself.

Many training scripts (timm's train.py and the scripts that copy it) parse `--config` first,
load the YAML file it names and give its mapping to the main parser before the real parse:

    args_config, remaining = config_parser.parse_known_args()
    if args_config.config:
        with open(args_config.config) as f:
            cfg = yaml.safe_load(f)
            parser.set_defaults(**cfg)
    args = parser.parse_args(remaining)

The file's values are then the script's defaults. `defaults_file_path` finds that pattern in the
function (or module) around a `set_defaults(**cfg)` call, from its syntax alone; the static reader
marks the parameter (`ParamSpec.defaults_file`). A task that sets it records the file's values
where it keeps the script's defaults (`lay_file_values`), and its launch passes a flag only for a
value that differs from the file's (`ScriptParams.with_defaults`): what a task records is what its
run gets. The file is read by the workspace layer (no I/O here) with `load_yaml_text`, as the
script reads it (PyYAML's safe loader, YAML 1.1: `1e-3` is a string there, `yes` is true).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.param_spec import ScriptParams, plain_copy
from pyruns_tui.params.static_values import is_plain
from pyruns_tui.params.values import same_value

__all__ = ["defaults_file_path", "defaults_file_key", "load_yaml_text", "file_values", "lay_file_values",
           "unconverted_values"]

_YAML_LOADS = frozenset({"safe_load", "load", "full_load", "unsafe_load"})
_PARSES = frozenset({"parse_args", "parse_known_args", "parse_intermixed_args", "parse_known_intermixed_args"})
_CONVERT: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "bool": bool}


def _load_argument(node: ast.expr, yaml_name: Callable[[str], str | None]) -> ast.expr | None:
    """ARG of `yaml.safe_load(ARG)` (`load`, `full_load`, `unsafe_load`; the module or the function
    under any name: `yaml_name` says what a name is bound to, "yaml" or "yaml.safe_load"), or of
    `yaml.safe_load(ARG) or {}`; None for anything else."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        node = node.values[0]
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in _YAML_LOADS and isinstance(func.value, ast.Name) \
            and yaml_name(func.value.id) == "yaml":
        return node.args[0]
    if isinstance(func, ast.Name) and yaml_name(func.id) in {f"yaml.{name}" for name in _YAML_LOADS}:
        return node.args[0]
    return None


def _opened_path(node: ast.expr, nodes: list[ast.AST]) -> ast.expr | None:
    """X of `open(X)`, `open(X).read()`, or of a name bound by `with open(X) as f` / `f = open(X)`
    (`f.read()` too) in `nodes`; None for anything else."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "read" \
            and not node.args:
        node = node.func.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open" and node.args:
        return node.args[0]
    if not isinstance(node, ast.Name):
        return None
    for item in nodes:
        if isinstance(item, ast.withitem) and isinstance(item.optional_vars, ast.Name) \
                and item.optional_vars.id == node.id:
            return _opened_path(item.context_expr, [])
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in item.targets):
            found = _opened_path(item.value, [])
            if found is not None:
                return found
    return None


def _parsed_by(namespace: str, nodes: list[ast.AST]) -> ast.expr | None:
    """P of an assignment `namespace = P.parse_args(...)`, `namespace, rest = P.parse_known_args(...)`
    or `namespace = P.parse_known_args(...)[0]` in `nodes`."""
    for item in nodes:
        if not isinstance(item, ast.Assign) or len(item.targets) != 1:
            continue
        target, value = item.targets[0], item.value
        if isinstance(target, ast.Tuple) and target.elts:
            target = target.elts[0]
        elif isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant) and value.slice.value == 0:
            value = value.value
        if isinstance(target, ast.Name) and target.id == namespace and isinstance(value, ast.Call) \
                and isinstance(value.func, ast.Attribute) and value.func.attr in _PARSES:
            return value.func.value
    return None


def _guarded(star: ast.expr, loaded: ast.expr, nodes: list[ast.AST]) -> bool:
    """Whether the script gives `set_defaults(**star)` something other than None when the file is
    empty (`yaml.safe_load` gives None, and `**None` fails): the load `loaded` falls back (`... or
    {}`), or the call sits under `if star:` / `if star is not None:`."""
    if isinstance(loaded, ast.BoolOp) and isinstance(loaded.op, ast.Or):
        return True
    if not isinstance(star, ast.Name):
        return False
    for item in nodes:
        if not isinstance(item, ast.If):
            continue
        test = item.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot) \
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
            test = test.left
        if isinstance(test, ast.Name) and test.id == star.id and any(
                node is star for statement in item.body for node in ast.walk(statement)):
            return True
    return False


def defaults_file_path(body: ast.AST, star: ast.expr,
                       yaml_name: Callable[[str], str | None]) -> tuple[ast.expr, str, bool] | None:
    """For `set_defaults(**star)` inside `body` (the function or module around it): when `star` is
    a YAML file loaded from a parsed argument's value (the pattern in the module docstring), the
    parser expression whose parse gave that namespace, the argument's dest, and whether an empty
    file fails the script (`set_defaults(**None)`: no `or {}`, no `if cfg:`); else None.
    Syntax only: the caller evaluates the parser expression."""
    nodes = list(ast.walk(body))
    loaded: ast.expr = star
    argument = _load_argument(star, yaml_name)
    if argument is None and isinstance(star, ast.Name):
        for item in nodes:
            if isinstance(item, (ast.Assign, ast.AnnAssign)) and item.value is not None and any(
                    isinstance(t, ast.Name) and t.id == star.id
                    for t in (item.targets if isinstance(item, ast.Assign) else [item.target])):
                found = _load_argument(item.value, yaml_name)
                if found is not None:
                    argument, loaded = found, item.value
    if argument is None:
        return None
    path = _opened_path(argument, nodes)
    if not (isinstance(path, ast.Attribute) and isinstance(path.value, ast.Name)):
        return None
    parser = _parsed_by(path.value.id, nodes)
    return None if parser is None else (parser, path.attr, not _guarded(star, loaded, nodes))


def defaults_file_key(sp: ScriptParams) -> str | None:
    """The parameter whose value names the script's YAML file of defaults, None when it has none."""
    return next((spec.key for spec in sp.params if spec.defaults_file), None)


def load_yaml_text(text: str, where: str) -> Any:
    """The data of a YAML file as the script's `yaml.safe_load` gives it; ParamsError naming the
    file and line for YAML it cannot read."""
    import yaml  # (the static reader imports this module; it never loads a file)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParamsError(f"{where}{line}: not valid YAML: {problem} (fix the file)") from None


def _converted(value: Any, type_name: str | None) -> Any:
    """argparse converts a string default with the argument's `type` (a builtin one here), as the
    script will; a string it cannot convert stays as it is (the script's parse fails on it)."""
    if isinstance(value, str) and type_name in _CONVERT:
        try:
            return _CONVERT[type_name](value)
        except ValueError:
            return value
    return value


def file_values(sp: ScriptParams, data: Any, where: str) -> dict[str, Any]:
    """The defaults a YAML file of defaults (`data`, as loaded) gives the script's own parameters
    (the main parser's; not the file's parameter itself), converted as argparse converts string
    defaults. Keys that are no parameter reach the script's namespace but are not recorded; values
    that are not plain data (a timestamp) are left out. ParamsError when `data` is not a mapping
    (`set_defaults(**cfg)` would fail), or is None (an empty file) for a script that does not
    fall back to no defaults then (`ParamSpec.defaults_file_empty_fails`: timm's train.py)."""
    if data is None:  # `yaml.safe_load` of an empty file (or one of comments, `null`)
        named = next((spec for spec in sp.params if spec.defaults_file), None)
        if named is not None and named.defaults_file_empty_fails:
            raise ParamsError(f"{where} is empty: the script gives what it loads to set_defaults(**...), which "
                              "fails on an empty file, so every run would stop there; write parameter: value "
                              f"lines in it ({{}} for none), or leave {named.key} empty")
        data = {}  # the script falls back to no defaults (`yaml.safe_load(f) or {}`, `if cfg:`)
    if not isinstance(data, Mapping):
        raise ParamsError(f"{where}: expected a mapping of parameter: value (the script passes it to "
                          f"set_defaults(**...)), got {type(data).__name__} (fix the file)")
    out: dict[str, Any] = {}
    for spec in sp.params:
        key = spec.key
        if spec.defaults_file or spec.subcommand is not None or key in out or key not in data:
            continue
        value = _converted(data[key], spec.type_name)
        if is_plain(value):
            out[key] = plain_copy(value)
    return out


def unconverted_values(sp: ScriptParams, values: Mapping[str, Any]) -> dict[str, str]:
    """Of a file's `values` (`file_values`), the strings the argument's type cannot take (`epochs:
    abc` for `type=int`), each with that type: argparse converts a string default when its flag is
    not passed, and the run stops there (`invalid int value: 'abc'`)."""
    types = {spec.key: spec.type_name for spec in sp.params}
    return {key: str(types[key]) for key, value in values.items()
            if isinstance(value, str) and types.get(key) in _CONVERT and _converted(value, types[key]) is value
            and types[key] != "str"}


def lay_file_values(config: Mapping[str, Any], defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with the file's `values` where it holds the script's own default (`defaults`,
    `ScriptParams.defaults()`): the launch passes no flag for such a value, so the script gets the
    file's. A value that differs from the script's default is passed as a flag and stays."""
    out = dict(config)
    for key, value in values.items():
        if key in out and same_value(out[key], defaults.get(key)):
            out[key] = value
    return out
