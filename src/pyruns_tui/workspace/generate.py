"""From a batch spec to task folders: plan (pure, for previews and --dry-run) then create."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from pyruns_tui.errors import GridError, WorkspaceError
from pyruns_tui.params.values import value_key
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.names import validate_name
from pyruns_tui.workspace.query import flatten, format_value
from pyruns_tui.workspace.store import NewTask, TaskStore

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.params.grid import GridSpec
    from pyruns_tui.workspace.staging import StagedBatch


@dataclass(frozen=True)
class Plan:
    """The tasks a spec expands to, before anything is written."""

    count: int
    tasks: tuple[NewTask, ...]
    varying_keys: tuple[str, ...]
    skipped: int = 0


def default_prefix() -> str:
    """A prefix naming when a batch was made, e.g. `1123-184311`."""
    return time.strftime("%m%d-%H%M%S")


def fill_command(template: str, params: Mapping[str, Any]) -> str:
    """Fill `{key}` placeholders (dotted keys for nested params) with values quoted for where
    they stand in the shell's grammar (see params.shell_template); GridError names a problem."""
    from pyruns_tui.params.shell_template import fill_template

    flat = flatten(params)

    def value_of(key: str) -> str | list[str]:
        if key not in flat:
            known = ", ".join(sorted(flat)) or "none"
            raise GridError(f"command placeholder {{{key}}} has no parameter (parameters: {known}); "
                            "write braces meant for the shell doubled: awk '{{print $1}}', find -exec {{}}")
        value = flat[key]
        return [format_value(item) for item in value] if isinstance(value, list) else format_value(value)

    return fill_template(template, value_of)


def split_shell_spec(spec: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A shell workspace spec `{command: TEMPLATE, params: {...}}` -> (template, params)."""
    command = spec.get("command")
    if not isinstance(command, str) or not command.strip():
        raise GridError("a shell spec needs `command: <template>`, e.g. command: python train.py --lr {lr}")
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        raise GridError("`params` of a shell spec must be a mapping of key: values")
    unknown = set(spec) - {"command", "params"}
    if unknown:
        raise GridError(f"a shell spec has only `command` and `params`; move {', '.join(sorted(unknown))} under params")
    return command, params


def _literal(value: Any) -> Any:
    """A default as batch text that reads back as exactly that value (a default is never a grid)."""
    from pyruns_tui.params.grid import escape_literal

    if isinstance(value, str):
        return escape_literal(value)
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    return value


def merge_defaults(spec: Mapping[str, Any], defaults: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
    """The spec laid over the workspace defaults (nested mappings merged key by key).

    With `strict` (argparse scripts), a key the script does not declare is an error naming
    the closest known key.
    """
    merged: dict[str, Any] = {k: _literal(v) for k, v in defaults.items()}
    for key, value in spec.items():
        if key not in defaults and strict:
            import difflib

            close = difflib.get_close_matches(str(key), [str(k) for k in defaults], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(map(str, defaults))})"
            raise GridError(f"unknown parameter {key!r}: the script does not declare it{hint}")
        base = defaults.get(key)
        if isinstance(value, Mapping) and isinstance(base, Mapping):
            merged[key] = merge_defaults(value, base, strict=False)
        else:
            merged[key] = value
    return merged


MAX_INT_DIGITS = 4300  # Python's int <-> str limit: a longer integer cannot be written to config.yaml
_LONG_DIGITS = re.compile(r"\d{%d}" % (MAX_INT_DIGITS + 1))
_TOO_BIG = 10**MAX_INT_DIGITS


def check_storable(spec: Mapping[str, Any]) -> None:
    """GridError naming the key of an integer (literal or grid item) too long to be stored."""
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in spec.items()]
    while stack:
        key, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{key}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((key, v) for v in value)
        elif (type(value) is int and abs(value) >= _TOO_BIG) or (
                isinstance(value, str) and _LONG_DIGITS.search(value)):
            raise GridError(f"{key}: a number with more than {MAX_INT_DIGITS} digits cannot be stored; shorten it")


def _overlay(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        below = base.get(key)
        merged[key] = _overlay(below, value) if isinstance(value, Mapping) and isinstance(below, Mapping) else value
    return merged


def merge_shell_defaults(spec: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A shell spec laid over the shell workspace's default spec (its config_default.yaml).

    No `command`: the default one. `params` are merged key by key over the default params the
    command uses (a default param the command does not name is left out). The defaults are spec
    text, as the Generator shows them: grid syntax in them expands.
    """
    command = spec.get("command") or defaults.get("command")
    default_params = defaults.get("params")
    default_params = default_params if isinstance(default_params, Mapping) else {}
    params = spec.get("params") or {}
    if isinstance(command, str) and isinstance(params, Mapping):
        from pyruns_tui.params.shell_template import Placeholder, parse_template

        used = {piece.key.split(".")[0] for piece in parse_template(command) if isinstance(piece, Placeholder)}
        kept = {key: value for key, value in default_params.items() if key in used or key in params}
        params = _overlay(kept, params)
    return {**spec, "command": command, "params": params}


def field_order(spec: Mapping[str, Any], *, shell: bool = False) -> list[str]:
    """The dotted keys of `spec` as written: the document order of its grid fields."""
    params = spec.get("params") if shell else spec
    return list(flatten(params)) if isinstance(params, Mapping) else []


def spec_grid(spec: Mapping[str, Any], *, max_tasks: int, shell: bool = False,
              order: Sequence[str] = ()) -> tuple[str | None, GridSpec]:
    """The command template (shell) and the grid of a spec, its fields in `order` (see plan_tasks)."""
    from pyruns_tui.params.grid import parse_grid

    if not isinstance(spec, Mapping):
        raise GridError("the spec must be a mapping of parameter: value")
    template, params = split_shell_spec(spec) if shell else (None, dict(spec))
    check_storable(params)
    grid = parse_grid(params, max_tasks=max_tasks)
    if order:
        rank = {key: i for i, key in enumerate(order)}
        grid = replace(grid, fields=tuple(sorted(grid.fields, key=lambda f: rank.get(f.key, len(rank)))))
    return template, grid


def plan_tasks(
    spec: Mapping[str, Any],
    *,
    prefix: str | None = None,
    max_tasks: int = 10_000,
    shell: bool = False,
    existing_keys: Collection[Hashable] | None = None,
    order: Sequence[str] = (),
    layer: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Plan:
    """Expand `spec` (grid syntax allowed) into named tasks; raises GridError, writes nothing.

    With `existing_keys` (the existing configs' `config_keys`), configs identical to one of them
    are skipped (`--skip-existing`).
    `order` (dotted keys, see `field_order`) is the document order of the grid fields when
    `spec` has the defaults' key order instead (a spec laid over defaults); the configs keep it.
    `layer` turns each expanded config into the one the task records (the values of the YAML file
    of defaults it names: workspace/file_defaults.py), before identical ones are looked for.
    """
    from pyruns_tui.params.grid import task_names

    template, grid = spec_grid(spec, max_tasks=max_tasks, shell=shell, order=order)
    configs = list(grid.expand())
    if layer is not None:
        configs = [layer(config) for config in configs]
    skipped = 0
    if existing_keys is not None:
        kept = new_configs(configs, existing_keys)
        skipped, configs = len(configs) - len(kept), kept
    if prefix:
        validate_name(prefix, "task name prefix")  # said of what was typed (`my run`), not of `my run_1-of-4`
    names = task_names(prefix or default_prefix(), len(configs)) if configs else []
    for name in names:
        validate_name(name)  # a dry run refuses what the real run would
    tasks = tuple(
        NewTask(name=name, config=config, command=fill_command(template, config) if template else None)
        for name, config in zip(names, configs)
    )
    return Plan(count=len(tasks), tasks=tasks, varying_keys=tuple(grid.varying_keys), skipped=skipped)


def config_keys(configs: Iterable[Mapping[str, Any]]) -> frozenset[Hashable]:
    """The keys `new_configs` looks configs up by: equal as `compare` says (lr 1 is lr 1.0)."""
    return frozenset(value_key(c) for c in configs)


def new_configs(configs: Iterable[dict[str, Any]], existing: Collection[Hashable]) -> list[dict[str, Any]]:
    """The configs not identical to an existing one (`existing`: their `config_keys`), in order:
    what `--skip-existing` (the Generator's *skip configs that already exist*) keeps."""
    if not existing:
        return list(configs)
    return [c for c in configs if value_key(c) not in existing]


def create_from_plan(store: TaskStore, plan: Plan, *, task_kind: str, script: str | None,
                     batch: StagedBatch | None = None) -> list[Task]:
    """Write the planned tasks (all or nothing; `batch`: see TaskStore.create_tasks)."""
    if not plan.tasks:
        return []
    if store.layout.is_shell and task_kind != "shell":
        raise WorkspaceError("the shell workspace only holds shell tasks")
    return store.create_tasks(plan.tasks, task_kind=task_kind, script=script, batch=batch)
