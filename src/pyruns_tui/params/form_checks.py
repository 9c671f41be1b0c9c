"""Why a spec value does not fit its Generator field, in the user's terms: bad grid syntax, a
wrong type, a value the launch could not pass (`FieldModel.launch_check`, the launch's own rules),
said for a list parameter as what it expects (`expects a list of 2 numbers, e.g. [0.9, 0.999]`).
`gen` applies the same checks (`spec_problems`) before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyruns_tui.errors import GridError, ParamsError
from pyruns_tui.params.field_text import _flow_item, text_to_value
from pyruns_tui.params.form_model import FieldModel, FormModel, get_path
from pyruns_tui.params.grid import is_grid_value, parse_grid
from pyruns_tui.params.number_text import too_large_for_float
from pyruns_tui.params.param_spec import ParamSpec
from pyruns_tui.params.values import not_a_choice

__all__ = ["check_text", "check_value", "grid_size", "spec_problems"]

MAX_CHECKED_VALUES = 10_000  # a field expanding to more values is not type-checked item by item


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
    """Why one (grid item) value does not fit the field, or None. A text fits a number field whose
    script's parser reads it as a number (`1_000`: `type=int`, configurator.py's literal_eval; not
    `0x10` for int()): the launch's own rule, asked of `launch_check`; the task records the number.
    A text of a number no float holds (`'1e400'`) is the launch's refusal, as that number unquoted is."""
    if item is None:
        return None
    if isinstance(item, str) and field.kind in ("int", "float") and field.param is not None \
            and field.param.type_name == field.kind and field.launch_check is not None:
        problem = field.launch_check(item)
        if problem is None or problem == too_large_for_float(item):
            return problem
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
    if isinstance(item, str) and item.strip().startswith("[") and item.strip().endswith("]"):
        # (what was typed is a list: the quotes around it made it a text, and only they are wrong)
        return f"{shown} is in quotes: a text, not a list (drop the quotes: {item.strip()})"
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
