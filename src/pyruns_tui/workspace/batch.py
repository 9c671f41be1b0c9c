"""Creating a batch, the one engine verb behind `gen` and the Generator: check, plan, write
all-or-nothing, optionally queue (the runner is started before the queue is written)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from pyruns_tui.errors import GridError, PyrunsError
from pyruns_tui.workspace.bootstrap import params_of, read_script_info
from pyruns_tui.workspace.generate import (
    Plan,
    check_storable,
    config_keys,
    create_from_plan,
    field_order,
    merge_defaults,
    merge_shell_defaults,
    new_configs,
    plan_tasks,
    spec_grid,
)
from pyruns_tui.workspace.staging import StagedBatch
from pyruns_tui.workspace.store import TaskStore

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.params.exclusive_check import ExclusiveCheck
    from pyruns_tui.params.grid import GridSpec
    from pyruns_tui.runner.control import Outcome
    from pyruns_tui.workspace.file_defaults import FileDefaults
    from pyruns_tui.workspace.layout import Layout


@dataclass(frozen=True)
class BatchResult:
    """What a create did: the names written, how many identical configs were skipped, the
    problem that kept them from being queued (None when queued or not asked to), and what the
    queue did (None when not asked to queue, or it failed): the runs each task had, which a
    Slurm submission's report needs (`gen --run`)."""

    names: tuple[str, ...]
    skipped: int = 0
    queued: bool = False
    queue_problem: str | None = None
    outcome: Outcome | None = None


def queue_names(store: TaskStore, names: Sequence[str]) -> tuple[Outcome | None, str | None]:
    """Queue tasks through the runner engine (starting a runner if needed); returns what it did
    and the problem, None when all were queued."""
    from pyruns_tui.runner.control import (
        queue,  # lazy: the runner is not needed to open the UI
    )

    try:
        outcome = queue(store, list(names))
    except PyrunsError as exc:
        return None, f"created but not queued: {exc}"
    if outcome.skipped:
        shown = ", ".join(f"{name} ({why})" for name, why in list(outcome.skipped.items())[:3])
        return outcome, f"{len(outcome.skipped)} not queued: {shown}"
    return outcome, None


def checked_spec(store: TaskStore, spec: Mapping[str, Any]) -> dict[str, Any]:
    """`spec` laid over config_default.yaml, refused (GridError) when a value does not fit its
    parameter: the Generator's field checks (type=float, choices, ...), for both faces."""
    from pyruns_tui.params import yamlio
    from pyruns_tui.params.form_checks import spec_problems
    from pyruns_tui.params.form_model import build_form, keep_string_texts
    from pyruns_tui.workspace.fsio import read_text

    if not isinstance(spec, Mapping):
        raise GridError("the spec must be a mapping of parameter: value")
    check_storable(spec)  # before the form checks turn a 200,000-digit integer into text
    layout = store.layout
    if not layout.config_default.exists():
        return dict(spec)
    defaults = yamlio.load_text(read_text(layout.config_default), where=str(layout.config_default)) or {}
    if not isinstance(defaults, dict):
        defaults = {}
    if layout.is_shell:  # the spec is laid over the shell workspace's default spec (docs/cli.md)
        return merge_shell_defaults(spec, defaults)
    info = read_script_info(layout)
    merged = merge_defaults(spec, defaults, strict=info.kind == "argparse")
    script = params_of(layout, info) if info.kind == "argparse" else None  # what each launch will check
    form = build_form(merged, info.params, defaults, script)
    merged = keep_string_texts(merged, form)
    problems = spec_problems(merged, form)
    if problems:
        key, problem = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise GridError(f"{key}: {problem}{more}")
    return merged


@dataclass(frozen=True)
class TaskKeys:
    """What a spec sets on every created task rather than as parameters (see split_task_keys)."""

    after: tuple[str, ...] = ()  # the tasks they wait for (runner/dependencies.py)
    gpu_mem_mb: int | None = None  # GPU memory each needs, MB (runner/reservations.py)

    def merged(self, other: TaskKeys) -> TaskKeys:
        """Both lists of dependencies; `other`'s memory when it names one."""
        return TaskKeys(tuple(dict.fromkeys([*self.after, *other.after])), other.gpu_mem_mb or self.gpu_mem_mb)


TASK_KEYS = ("after", "gpu_mem_mb")


def split_task_keys(store: TaskStore, spec: Mapping[str, Any]) -> tuple[dict[str, Any], TaskKeys]:
    """The spec without its top-level task keys, and them: `after:` (a task name or a list: the
    tasks every created task waits for, as `run --after`) and `gpu_mem_mb:` (as `run --gpu-mem`).
    A key that is also a top-level parameter of the script stays a parameter."""
    spec = dict(spec)
    wanted = [key for key in TASK_KEYS if key in spec]
    if not wanted:
        return spec, TaskKeys()
    params = _top_level_params(store)
    after: list[str] = []
    gpu_mem_mb = None
    if "after" in wanted and "after" not in params:
        value = spec.pop("after")
        names = [] if value is None else [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise GridError(f"after: expected a task name or a list of task names, got {value!r}")
        after = list(dict.fromkeys(names))
    if "gpu_mem_mb" in wanted and "gpu_mem_mb" not in params:
        value = spec.pop("gpu_mem_mb")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise GridError(f"gpu_mem_mb: expected a whole number of MB (0 or more), got {value!r}")
        gpu_mem_mb = value or None
    return spec, TaskKeys(tuple(after), gpu_mem_mb)


def _top_level_params(store: TaskStore) -> set[str]:
    from pyruns_tui.params import yamlio
    from pyruns_tui.workspace.fsio import read_text

    layout = store.layout
    if layout.is_shell or not layout.config_default.exists():
        return set()
    try:
        defaults = yamlio.load_text(read_text(layout.config_default), where=str(layout.config_default))
    except PyrunsError:
        return set()
    return set(defaults) if isinstance(defaults, dict) else set()


def plan_batch(store: TaskStore, spec: Mapping[str, Any], *, prefix: str | None = None,
               skip_existing: bool = False, max_tasks: int | None = None,
               keys: TaskKeys | None = None) -> Plan:
    """What `create_batch` would write (also `gen --dry-run`); raises GridError, writes nothing.
    `keys` and the spec's own task keys (split_task_keys) are set on every task; unknown
    dependencies are refused with the one line of `run --after`."""
    spec, spec_keys = split_task_keys(store, spec)
    keys = (keys or TaskKeys()).merged(spec_keys)
    if keys.after:
        from pyruns_tui.runner.dependencies import check_after

        keys = replace(keys, after=tuple(check_after((), keys.after, {t.name: t.after for t in store.scan()},
                                                     what="after")))
    plan = _plan(store, spec, prefix, skip_existing, max_tasks)
    if keys != TaskKeys():
        plan = replace(plan, tasks=tuple(replace(t, after=keys.after, gpu_mem_mb=keys.gpu_mem_mb) for t in plan.tasks))
    return plan


def _plan(store: TaskStore, spec: Mapping[str, Any], prefix: str | None, skip_existing: bool,
          max_tasks: int | None) -> Plan:
    from pyruns_tui.workspace.file_defaults import recorded_config

    if max_tasks is None:
        from pyruns_tui.workspace.settings import load_settings

        max_tasks = load_settings(store.layout.settings_file).max_tasks
    shell = store.layout.is_shell
    order = field_order(spec, shell=shell)  # grid order follows the spec as written, not the defaults
    merged = checked_spec(store, spec)
    recorded = None if shell else recorded_config(store.layout)  # what each task records
    files = None if recorded is None else recorded.files  # the script's YAML file of defaults (timm's --config)
    existing = None
    if skip_existing:  # (each side as its task records it: `layers: 64` is `[64]` whenever it was written)
        existing = existing_config_keys(store, None if recorded is None else recorded.lists)
    plan = plan_tasks(merged, prefix=prefix or None, max_tasks=max_tasks, shell=shell,
                      existing_keys=existing, order=order, layer=recorded)
    _check_exclusive(store, plan, files)
    return plan


def existing_config_keys(store: TaskStore, recorded: Callable[[dict[str, Any]], dict[str, Any]] | None = None
                         ) -> frozenset[Hashable]:
    """What `skip_existing` compares a batch's configs with: every live task's config
    (`generate.config_keys`), each through `recorded` when given (`RecordedConfig.lists`)."""
    configs = (config for _, config in store.iter_tasks_with_config())
    return config_keys(configs if recorded is None else map(recorded, configs))


def plan_new(spec: Mapping[str, Any], defaults: Mapping[str, Any], existing: Collection[Hashable], *,
             shell: bool, max_tasks: int, recorded: Callable[[dict[str, Any]], dict[str, Any]] | None = None
             ) -> tuple[int, list[dict[str, Any]]]:
    """How many configs of a spec already checked (the Generator's preview checks it itself)
    Create with `skip_existing` would skip, and the ones it would write, in order: the spec laid
    over `defaults` (config_default.yaml) as `checked_spec` lays it, in its grid order, each as
    its task records it (`recorded`: `recorded_config`, as `_plan` passes it), each config whose
    key is in `existing` (`existing_config_keys`, through the same `recorded.lists`) left out
    (`generate.new_configs`, as `plan_tasks` does). Raises GridError."""
    merged = merge_shell_defaults(spec, defaults) if shell else merge_defaults(spec, defaults, strict=False)
    _, grid = spec_grid(merged, max_tasks=max_tasks, shell=shell, order=field_order(spec, shell=shell))
    configs = grid.expand()
    kept = new_configs(configs if recorded is None else [recorded(config) for config in configs], existing)
    return grid.count - len(kept), kept


def _check_exclusive(store: TaskStore, plan: Plan, files: FileDefaults | None = None) -> None:
    """GridError naming, for each of the script's mutually exclusive groups (and the order of its
    command line: values no order passes together), the first planned task whose values its
    argparse refuses together (see exclusive_conflicts), in one line; every run of such a task
    would fail at its first line. `files`: each task's values are asked against the defaults its
    YAML file of defaults gives (a value it sets is not passed)."""
    if not plan.tasks:
        return
    check = exclusive_check(store.layout)
    if check is None:
        return
    if files is not None:
        check = files.exclusive(check)
    problems = exclusive_conflicts(check, [task.config for task in plan.tasks], [task.name for task in plan.tasks])
    if problems:
        from pyruns_tui.params.exclusive_check import one_line

        raise GridError(one_line(problems))


def exclusive_check(layout: Layout) -> ExclusiveCheck | None:
    """The check of the script's mutually exclusive groups and of the order of its command line
    (params.exclusive_check.ExclusiveCheck), or None when there is nothing to check: the shell workspace, a
    script that is not argparse, or one with no group and no order a config can break. Raises
    what reading script_info.json raises."""
    if layout.is_shell:
        return None
    info = read_script_info(layout)
    if info.kind != "argparse":
        return None
    from pyruns_tui.params.exclusive_check import ExclusiveCheck

    check = ExclusiveCheck(params_of(layout, info), os.path.basename(info.script or "") or "the script")
    return check if check.groups else None


def exclusive_conflicts(check: ExclusiveCheck, configs: Iterable[Mapping[str, Any]],
                        names: Sequence[str] | None = None) -> tuple[str, ...]:
    """One line per mutually exclusive group of the script that refuses some task of a batch
    (`configs`, in task order: two flags of the group, or none of a required one), in the
    script's group order: the first such task, its problem, and how many of the batch the group
    refuses: `task 2 of 4 (exp_2-of-4): fp16: true and bf16: true cannot both be set (...);
    change one (conflicting: 2 of 4 tasks)`, the name only with `names`; a batch of one task has
    the problems alone. Empty when no task conflicts. Create refuses with them (`_check_exclusive`,
    in one line); the Generator's preview lists them as the values change (`grid_conflicts`)."""
    first: dict[int, tuple[int, str]] = {}  # group -> (task index, problem) of its first conflict
    found: dict[int, int] = {}  # group -> tasks it refuses
    count = 0
    last: object = None
    problems: tuple[tuple[int, str], ...] = ()
    for count, config in enumerate(configs, 1):
        if config is not last:  # the same config again (grid_conflicts): the same answer
            problems, last = check.problems(config), config
        for ident, problem in problems:
            found[ident] = found.get(ident, 0) + 1
            first.setdefault(ident, (count - 1, problem))
    if count == 1:
        return tuple(problem for _, problem in problems)
    lines = []
    for ident in sorted(first, key=list(check.groups).index):
        index, problem = first[ident]
        name = f" ({names[index]})" if names else ""
        lines.append(f"task {index + 1} of {count}{name}: {problem} (conflicting: {found[ident]} of {count} tasks)")
    return tuple(lines)


def exclusive_conflict(check: ExclusiveCheck, configs: Iterable[Mapping[str, Any]],
                       names: Sequence[str] | None = None) -> str | None:
    """`exclusive_conflicts` in one line (`params.exclusive_check.one_line`), None when no task conflicts."""
    from pyruns_tui.params.exclusive_check import one_line

    problems = exclusive_conflicts(check, configs, names)
    return one_line(problems) if problems else None


def grid_conflicts(check: ExclusiveCheck, grid: GridSpec,
                   left_out: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """`exclusive_conflicts` of every task of `grid` (no names), each laid over `left_out` (the
    defaults its spec leaves out, as Create lays them): what the Generator's preview lists. When
    no member of a group varies in the grid, every task has the same members' values: the first
    task's config is asked once and counted for all (a 10,000-task sweep of lr and seed)."""
    configs: Iterator[Mapping[str, Any]] = grid.expand()
    if left_out:
        configs = ({**left_out, **config} for config in configs)
    members = {key for key, _ in check.members} if check.groups else set()
    if not any(field.length > 1 and field.path[0] in members for field in grid.fields):
        first = next(configs, None)
        configs = itertools.repeat(first, grid.count) if first is not None else iter(())
    return exclusive_conflicts(check, configs)


def create_batch(
    store: TaskStore,
    spec: Mapping[str, Any],
    *,
    prefix: str | None = None,
    skip_existing: bool = False,
    run: bool = False,
    max_tasks: int | None = None,
    keys: TaskKeys | None = None,
) -> BatchResult:
    """Check and expand `spec`, create its tasks (nothing is written when it is invalid:
    GridError), each with `keys` and the spec's task keys (split_task_keys), then queue them when `run`.
    Give it a store of its own in a worker thread."""
    store.finish_interrupted()  # a batch an interrupted writer left half-written first (its names are taken)
    plan = plan_batch(store, spec, prefix=prefix, skip_existing=skip_existing, max_tasks=max_tasks, keys=keys)
    layout = store.layout
    info = read_script_info(layout)
    kind = "shell" if layout.is_shell else info.task_kind()
    # from the first rename until queued: the critical section (signals wait; a kill is finished later)
    staged = StagedBatch(queue=run)
    try:
        created = create_from_plan(store, plan, task_kind=kind, script=info.script_at(layout), batch=staged)
        store.save_cache()
        names = tuple(task.name for task in created)
        if not run or not names:
            return BatchResult(names, plan.skipped)
        outcome, problem = queue_names(store, names)
        return BatchResult(names, plan.skipped, queued=problem is None, queue_problem=problem, outcome=outcome)
    finally:
        staged.done()


def describe(result: BatchResult) -> str:
    """`created and queued 4 tasks exp_1-of-4 ... exp_4-of-4 (2 identical skipped)`."""
    count = len(result.names)
    skipped = f" ({result.skipped} identical skipped)" if result.skipped else ""
    if not count:
        return f"nothing created: every config already exists{skipped}"
    verb = "created and queued" if result.queued else "created"
    noun = "task" if count == 1 else "tasks"
    if count == 1:
        shown = result.names[0]
    elif count == 2:
        shown = f"{result.names[0]} {result.names[1]}"
    else:
        shown = f"{result.names[0]} ... {result.names[-1]}"
    return f"{verb} {count} {noun} {shown}{skipped}"
