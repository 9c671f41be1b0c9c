"""The batch (grid) grammar: one config with batch syntax -> many task configs (SPEC 2.3).

Only string values hold batch syntax; everything else (numbers, lists, ...) is a plain value.
Nested mappings are walked depth-first; lists are plain values and never walked.

Field grammar (on the stripped string):
- `a | b | c` — product items; an unquoted, unescaped top-level `|` splits. Pipes inside
  `[...]`, `{...}`, `(...)` or quotes do not split, so `[1, 2] | [3]` is two lists.
- `(a | b | c)` — the whole value in parentheses: a zip field. Every zip field in the config
  advances together (the zip group), so all must have the same length. `(0:3)` zips a range.
  Parentheses that only wrap part of a product (`(a | b) | c`) are an error.
- `start:stop[:step]` — a numeric range (ints, floats, exponents, negatives), stop excluded as in
  Python's `range`, computed exactly in decimal (`0.1:0.5:0.1` -> 0.1, 0.2, 0.3, 0.4). A range is
  also allowed as one product/zip item: `1:3 | 10` -> 1, 2, 10. Only *numeric* start:stop[:step]
  is a range: `http://x` and `a:b` stay strings; `12:30` IS a range (quote it: `'12:30'`).
  Numbers must lie within 1e300 in magnitude; step 0 and empty ranges are errors.
- Items are typed with `yamlio.parse_scalar`: `1 | null | yes` -> [1, None, "yes"]. The grid does
  not know parameters: `layers: 64 | 128` expands to 64 and 128, and the launch passes a lone value
  of a list argument as its one item (`--layers 64`: argv_items.as_items), which the form's checks ask.
- A quoted item keeps `|` and `:` literally (`'a|b' | c` -> ["a|b", "c"]); `\\|` is an escaped
  pipe (the only escape). A whole value that is one quoted item or uses `\\|` is a single literal
  value: `'12:30'` -> "12:30", `a\\|b` -> "a|b". `escape_literal` produces such text.
- A value of only pipes and spaces (`|`, a separator) is plain; an empty item otherwise is an
  error. Every other string (no top-level pipe, not a range, not a zip, not quoted) is plain:
  kept exactly as given, not re-typed.

Order: product fields in document order, last field fastest; the zip group innermost.
The count (product of product-field sizes x zip length) is computed arithmetically before any
expansion and refused above `max_tasks`.

This module walks configs and expands them; one field's text is parsed in `grid_field`.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from pyruns_tui.errors import GridError
from pyruns_tui.params.grid_field import (
    FieldSpec,
    escape_literal,
    format_count,
    is_grid_value,
    parse_field,
    parse_field_spec,
)

__all__ = [
    "FieldSpec",
    "GridSpec",
    "parse_grid",
    "expand_grid",
    "count_grid",
    "is_grid_value",
    "parse_field",
    "escape_literal",
    "task_names",
]

_SCALARS = (str, int, float, bool, type(None), bytes)


@dataclass(frozen=True)
class GridSpec:
    """A parsed batch config: the base mapping plus its batch fields in document order."""

    base: dict = field(repr=False)
    fields: tuple[FieldSpec, ...]

    @property
    def product_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if not f.zipped)

    @property
    def zip_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.zipped)

    @property
    def zip_length(self) -> int:
        """The common length of the zip group (1 when there is no zip field)."""
        zipped = self.zip_fields
        return zipped[0].length if zipped else 1

    @property
    def count(self) -> int:
        """How many tasks `expand` yields, computed without expanding."""
        return math.prod(f.length for f in self.product_fields) * self.zip_length

    @property
    def varying_keys(self) -> list[str]:
        """Dotted paths of the fields taking more than one value, in document order."""
        return [f.key for f in self.fields if f.length > 1]

    def expand(self) -> Iterator[dict]:
        """Yield every task's full config (fresh copies), last product field fastest, the zip
        group innermost."""
        product = self.product_fields
        zipped = self.zip_fields
        product_values = [f.values() for f in product]
        zip_values = [f.values() for f in zipped]
        zip_range = range(self.zip_length)
        fresh_base = _copier(self.base)
        for combo in itertools.product(*product_values):
            for z in zip_range:
                config = fresh_base()
                for spec, value in zip(product, combo):
                    _assign(config, spec.path, _copy(value))
                for spec, values in zip(zipped, zip_values):
                    _assign(config, spec.path, _copy(values[z]))
                yield config


def _copy(value: Any) -> Any:
    """A deep copy of YAML-shaped data, much faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: v if isinstance(v, _SCALARS) else _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if isinstance(v, _SCALARS) else _copy(v) for v in value]
    if isinstance(value, _SCALARS):
        return value
    return copy.deepcopy(value)


def _copier(template: Any) -> Callable[[], Any]:
    """A function returning fresh deep copies of `template`: scalars are shared, so each
    mapping is one C-level dict.copy plus its container values."""
    if isinstance(template, dict):
        nested = [(k, _copier(v)) for k, v in template.items() if not isinstance(v, _SCALARS)]
        if not nested:
            return template.copy

        def copy_dict() -> dict:
            out = template.copy()
            for key, make in nested:
                out[key] = make()
            return out
        return copy_dict
    if isinstance(template, list) and all(isinstance(v, _SCALARS) for v in template):
        return template.copy
    return lambda: _copy(template)


def _assign(config: dict, path: tuple[Any, ...], value: Any) -> None:
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _walk(mapping: dict, prefix: tuple[Any, ...], out: list[FieldSpec]) -> None:
    for key, value in mapping.items():
        path = prefix + (key,)
        if isinstance(value, dict):
            _walk(value, path, out)
        elif isinstance(value, str):
            spec = parse_field_spec(value, path, ".".join(str(k) for k in path))
            if spec is not None:
                out.append(spec)


def parse_grid(config: dict, max_tasks: int = 10000) -> GridSpec:
    """Parse the batch syntax of a loaded config; raises GridError for invalid syntax, unequal
    zip lengths, or more than `max_tasks` tasks (checked before anything is expanded)."""
    if not isinstance(config, dict):
        raise GridError(f"a batch config must be a mapping of parameters, not "
                        f"{type(config).__name__}")
    fields: list[FieldSpec] = []
    _walk(config, (), fields)
    spec = GridSpec(_copy(config), tuple(fields))
    zipped = spec.zip_fields
    if len({f.length for f in zipped}) > 1:
        sizes = ", ".join(f"{f.key} has {f.length} values" for f in zipped)
        raise GridError(f"zip fields must have equal length: {sizes}")
    count = spec.count
    if count > max_tasks:
        raise GridError(f"the batch makes {format_count(count)} tasks, more than max_tasks="
                        f"{max_tasks}; narrow the grid or raise max_tasks in settings")
    return spec


def expand_grid(config: dict, max_tasks: int = 10000) -> list[dict]:
    """Every task config of a batch config, in grid order."""
    return list(parse_grid(config, max_tasks).expand())


def count_grid(config: dict, max_tasks: int | None = None) -> int:
    """How many tasks a batch config makes (no limit unless `max_tasks` is given)."""
    spec = parse_grid(config, max_tasks if max_tasks is not None else 10**10000)
    return spec.count


def task_names(prefix: str, count: int) -> list[str]:
    """`PREFIX_1-of-N` ... `PREFIX_N-of-N`; a single task is just `PREFIX`."""
    if count == 1:
        return [prefix]
    return [f"{prefix}_{i}-of-{count}" for i in range(1, count + 1)]
