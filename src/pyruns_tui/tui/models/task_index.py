"""TaskIndex: the Manager's searchable, sortable view of every task, refreshed one task at a time.

Each task is flattened once into a `TaskView` (flat params + last metric values) so a search
keystroke only evaluates `Query.matches` over ready views. The index is built in two halves:
`load()` reads files (configs, metrics) and may run in a worker thread; `apply()` swaps the
results in and must run on the UI thread. Metric readers are only touched by `load()`/`poll()`,
which the screen never runs concurrently.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyruns_tui.errors import PyrunsError
from pyruns_tui.metrics.runs import latest_metrics, run_window
from pyruns_tui.metrics.track import MetricsReader
from pyruns_tui.params.varying import VaryingParams
from pyruns_tui.runner.log_cut import LogCut, log_cut
from pyruns_tui.tui.models.columns import Column, natural_key, sort_key
from pyruns_tui.tui.models.operand_groups import Change, OperandGroups, Slot, groupable
from pyruns_tui.tui.models.operand_groups import Column as GroupColumn
from pyruns_tui.tui.models.status_names import StatusNames, names_differ
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.progress_file import RunProgress, task_progress
from pyruns_tui.workspace.query import (
    RUN_FIELDS,
    TASK_KEYS,
    Query,
    TaskView,
    Term,
    flatten,
    is_glob,
    metric_values_of,
    operand_matches,
    param_key,
    search_text,
    term_matches,
    word_test,
)
from pyruns_tui.workspace.search_names import SearchNames, names_a_value, names_something, unknown_key_lines
from pyruns_tui.workspace.select import metric_values, pinned_first
from pyruns_tui.workspace.store import TaskStore

_versions = itertools.count(1)
TERM_CACHE = 64  # recent (partial) searches whose matches are remembered
TERM_UPDATE_LIMIT = 256  # more changed tasks than this: forget remembered matches instead of updating them
# a load of more tasks than this takes finished tasks' metrics from the metrics cache (one parse of
# it, ~0.5 s at 100,000 tasks: more than reading a first page's or a change's few files, and
# what delayed the first screen of 100,000 tasks 1.5 -> 2.3 s)
METRICS_CACHE_FROM = 500


@dataclass(frozen=True, slots=True)
class TaskEntry:
    """One task as the table shows it; `version` changes whenever anything shown may differ."""

    name: str
    task: Task
    view: TaskView
    version: int
    name_key: tuple[Any, ...]
    config_loaded: bool
    log_cut: LogCut | None = None  # a running task whose log a full disk cut (runner/log_cut.py)


@dataclass(frozen=True)
class Delta:
    """What changed between the index and a snapshot of the disk."""

    changed: tuple[str, ...]
    removed: tuple[str, ...]
    stamps: Mapping[str, object] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed)


Values = tuple[Mapping[str, float], Mapping[str, tuple[float, float]]]  # last values, (min, max): a task's metrics
NO_VALUES: Values = ({}, {})


def make_entry(task: Task, params: Mapping[str, Any], metrics: Mapping[str, float], loaded: bool,
               previous: TaskEntry | None = None, progress: RunProgress | None = None,
               extremes: Mapping[str, tuple[float, float]] | None = None, cut: LogCut | None = None) -> TaskEntry:
    name_key = previous.name_key if previous is not None else natural_key(task.name)
    view = TaskView(task, params, metrics, progress, search_text(task, params), extremes or None)
    return TaskEntry(task.name, task, view, next(_versions), name_key, loaded, cut)


def order_entries(entries: Iterable[TaskEntry], column: Column, reverse: bool) -> list[TaskEntry]:
    """`entries` pinned first, then by `column`; those without a value last; ties by natural name
    order in the sort's direction (a stable reverse sort keeps it)."""
    now = time.time()
    base = sorted(entries, key=lambda e: e.name_key, reverse=reverse)
    keyed = [(sort_key(column, entry.view, now), entry) for entry in base]
    present = [pair for pair in keyed if pair[0] is not None]
    present.sort(key=lambda pair: pair[0], reverse=reverse)
    ordered = [entry for _, entry in present] + [entry for key, entry in keyed if key is None]
    return pinned_first(ordered, lambda e: e.task.pinned)


class TaskIndex:
    """Every task of the workspace as `TaskEntry`, with cached sort orders and metric readers."""

    def __init__(self) -> None:
        self.entries: dict[str, TaskEntry] = {}
        self._running: dict[str, None] = {}  # names of the running tasks (asked at every repaint)
        self._stamps: dict[str, object] = {}
        self._readers: dict[str, MetricsReader] = {}
        self._order_cache: dict[tuple[str, bool], list[TaskEntry]] = {}
        # the last order, its names and (once asked) each name's place in it, for filter
        self._order_names: tuple[list[TaskEntry], list[str], dict[str, int] | None] = ([], [], None)
        self._metric_names: list[str] | None = None
        self._param_names: dict[str, None] | None = None  # kept while no task's params change (running tasks' do not)
        self._varying = VaryingParams()
        self._varying_new: list[Mapping[str, Any]] = []  # params of tasks added since it was counted
        self._varying_stale = False  # a task with params went or changed them: count again over all
        self._dependents: dict[str, list[str]] | None = None  # name -> tasks that wait for it (`after`)
        self._errors = 0  # entries of failed tasks with an error, kept as entries come and go
        self._unloaded = 0  # entries whose config is still to be read, kept likewise
        self._status_names: StatusNames | None = None  # built at the first search naming a value
        # names matching the first k terms of recent searches, keyed by those terms; newest last
        self._match_sets: dict[tuple[Term, ...], set[str]] = {}
        self._groups = OperandGroups()  # tasks by the value a keyed or comparison term looks at
        self.generation = 0  # counts the changes `apply` made
        self._text_lists: tuple[int, list[str], list[str]] = (-1, [], [])  # generation, names, search texts

    def __len__(self) -> int:
        return len(self.entries)

    def diff(self, tasks: Mapping[str, Task], stamps: Mapping[str, object]) -> Delta:
        """Names whose task_info.json differs from what the index holds, and names gone from disk."""
        known = self._stamps
        changed = tuple(name for name in tasks if name not in known or known[name] != stamps.get(name))
        removed = tuple(name for name in known if name not in tasks)
        return Delta(changed, removed, {name: stamps.get(name) for name in changed})

    def apply(self, entries: Iterable[TaskEntry], removed: Iterable[str] = (), stamps: Mapping[str, object] | None = None) -> list[str]:
        """Swap in freshly loaded entries and drop removed tasks; returns the names that changed."""
        names = []
        views: list[Change] = []  # for the term groupings
        renamed: list[Change] = []  # entries whose status or names changed
        for entry in entries:
            old = self.entries.get(entry.name)
            if len(views) <= TERM_UPDATE_LIMIT:
                views.append((entry.name, old.view if old is not None else None, entry.view))
            if old is None or names_differ(old.view, entry.view):
                renamed.append((entry.name, old.view if old is not None else None, entry.view))
            self._errors += bool(entry.task.error) - bool(old is not None and old.task.error)
            self._unloaded += (not entry.config_loaded) - (old is not None and not old.config_loaded)
            if old is None or old.view.params is not entry.view.params:
                self._param_names = None
                self._note_params(old.view.params if old is not None else None, entry.view.params)
            self.entries[entry.name] = entry
            if entry.task.status is Status.RUNNING:
                self._running[entry.name] = None
            else:
                self._running.pop(entry.name, None)
            if stamps is not None and entry.name in stamps:
                self._stamps[entry.name] = stamps[entry.name]
            names.append(entry.name)
        for name in removed:
            gone = self.entries.pop(name, None)
            self._errors -= bool(gone is not None and gone.task.error)
            self._unloaded -= bool(gone is not None and not gone.config_loaded)
            if gone is not None:
                renamed.append((name, gone.view, None))
            self._param_names = None
            self._varying_stale = self._varying_stale or bool(gone is not None and gone.view.params)
            if gone is not None and len(views) <= TERM_UPDATE_LIMIT:
                views.append((name, gone.view, None))
            self._running.pop(name, None)
            self._stamps.pop(name, None)
            names.append(name)
        if names:
            self._order_cache.clear()
            self._dependents = None
            self.generation += 1
            self._update_match_sets(names, views)
        if renamed:  # (a running task's new values alone change no name)
            self._metric_names = None
            self._update_status_names(renamed)
        return names

    def _update_status_names(self, renamed: list[Change]) -> None:
        counts = self._status_names
        if counts is None or len(renamed) > TERM_UPDATE_LIMIT:  # many: counted again when next asked
            self._status_names = None
            return
        for _name, old, new in renamed:
            if old is not None:
                counts.remove(old)
            if new is not None:
                counts.add(new)

    def _update_match_sets(self, names: list[str], views: list[Change]) -> None:
        if len(names) > TERM_UPDATE_LIMIT:
            self._match_sets.clear()
            self._groups.clear()
            return
        self._groups.update(views)
        for terms, matching in self._match_sets.items():
            query = Query(terms)
            for name in names:
                entry = self.entries.get(name)
                if entry is not None and query.matches(entry.view):
                    matching.add(name)
                else:
                    matching.discard(name)

    def running(self) -> list[str]:
        return list(self._running)

    def ran_on_slurm(self) -> bool:
        """Whether any task's last run was a Slurm job (the Manager then shows job id and node)."""
        return any(e.task.last_run is not None and e.task.last_run.backend == "slurm" for e in self.entries.values())

    def metric_names(self) -> list[str]:
        """Every metric name any task logged, sorted."""
        if self._metric_names is None:
            names: set[str] = set()
            for entry in self.entries.values():
                names.update(entry.view.metrics)
            self._metric_names = sorted(names)
        return self._metric_names

    def param_names(self) -> list[str]:
        """Every flat parameter name of any task, in first-seen order."""
        if self._param_names is None:
            names: dict[str, None] = {}
            for entry in self.entries.values():
                names.update(dict.fromkeys(entry.view.params))
            self._param_names = names
        return list(self._param_names)

    def _note_params(self, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> None:
        # a task's config is read again whenever its task_info.json changes: equal params change nothing
        if not old:  # a new task, or one listed before its config was read
            self._varying_new.append(new)
        elif old != new:
            self._varying_stale = True

    def varying_params(self) -> list[str]:
        """The parameters whose value differs between tasks (VaryingParams), in first-seen order:
        the tasks added since the last call are counted in, all of them again only after a task
        went or changed its config."""
        if self._varying_stale:
            self.seed_varying(VaryingParams.of(entry.view.params for entry in self.entries.values()))
        elif self._varying_new:
            self._varying.add_all(self._varying_new)
            self._varying_new = []
        return self._varying.keys()

    def seed_varying(self, varying: VaryingParams) -> None:
        """Take `varying` as the count over every entry now (`VaryingParams.of`, run in a thread
        over the entries this index then held)."""
        self._varying, self._varying_new, self._varying_stale = varying, [], False

    def search_slot(self, kind: str, key: str) -> Slot:
        """The grouping that answers a `kind` term on `key`: a keyed and a comparison term look at
        the same value unless the key names both a parameter and a metric (they prefer one each)
        or a run's GPU accounting, so one grouping serves both (always for a `param.` key)."""
        if kind == "compare" and param_key(key) is not None:
            return "keyed", key
        if kind == "compare" and key not in RUN_FIELDS and key not in TASK_KEYS:
            params, metrics = self._lowered_names()
            if key not in metrics or key not in params:
                return "keyed", key
        return kind, key

    def _unknown_key(self, slot: Slot) -> bool:
        """Whether no task has a parameter or metric `slot` names (then its operand is (False, None))."""
        kind, key = slot
        if key in TASK_KEYS and kind == "keyed" or key in RUN_FIELDS:
            return False
        params, metrics = self._lowered_names()
        return not names_something(key, params, metrics)

    def unknown_key_line(self, query: Query) -> str:
        """The line saying that a term of `query` names nothing the tasks it searches have (their
        status as its `status:` terms ask): the first of `unknown_key_lines`, as `ls QUERY` says
        it; "" while configs are still being read."""
        if self._unloaded or not any(names_a_value(term) for term in query.terms):
            return ""
        lines = unknown_key_lines(query, self.search_names(query.status_filter()))
        return lines[0] if lines else ""

    def search_names(self, accepts: Callable[[str], bool] | None = None) -> SearchNames:
        """The names of the tasks whose status `accepts` takes (every task without it)."""
        if self._status_names is None:
            self._status_names = StatusNames(entry.view for entry in self.entries.values())
        return self._status_names.names(accepts)

    def _lowered_names(self) -> tuple[set[str], set[str]]:
        """The parameter and metric names, lowercased (as a term's key is)."""
        return {name.lower() for name in self.param_names()}, {name.lower() for name in self.metric_names()}

    def dependents(self, name: str) -> list[str]:
        """The tasks whose `after` names `name` (one pass over all tasks per change, not per question)."""
        if self._dependents is None:
            waiting: dict[str, list[str]] = {}
            for entry in self.entries.values():
                for before in dict.fromkeys(entry.task.after):  # a name listed twice waits once
                    waiting.setdefault(before, []).append(entry.name)
            self._dependents = waiting
        return list(self._dependents.get(name, ()))

    def gpu_fields(self) -> list[str]:
        """The GPU accounting fields (RUN_FIELDS) some task's last run recorded."""
        runs = [e.task.last_run for e in self.entries.values() if e.task.last_run is not None]
        return [key for key in RUN_FIELDS if any(getattr(run, key) is not None for run in runs)]

    def has_errors(self) -> bool:
        """Whether some failed task has an `error` (the Manager then shows its error column)."""
        return self._errors > 0

    def ordered(self, column: Column, reverse: bool) -> list[TaskEntry]:
        """All entries: pinned first, then by `column`; tasks without a value last; ties by name
        in the same direction."""
        cached = self._order_cache.get((column.key, reverse))
        return cached if cached is not None else self.seed_order(column, reverse, order_entries(self.entries.values(), column, reverse))

    def seed_order(self, column: Column, reverse: bool, ordered: list[TaskEntry]) -> list[TaskEntry]:
        """Take `ordered` as the order of every entry now (`order_entries`, run in a thread over
        the entries this index then held)."""
        self._order_cache = {(column.key, reverse): ordered}
        self._order_names = (ordered, [entry.name for entry in ordered], None)
        return ordered

    def filter(self, entries: Sequence[TaskEntry], query: Query) -> list[TaskEntry]:
        """The entries matching `query`, in the given order."""
        if not query.terms:
            return list(entries)
        names = self.matching(query.terms)
        if len(names) == len(entries) == len(self.entries):  # every task matches
            return list(entries)
        if not names:
            return []
        listed = self._order_names
        if listed[0] is not entries:
            return [entry for entry in entries if entry.name in names]
        if len(names) * 8 < len(entries):  # a few matches: placed by their position, not a pass over all
            position = listed[2]
            if position is None:
                position = {name: i for i, name in enumerate(listed[1])}
                self._order_names = (listed[0], listed[1], position)
            return [entries[i] for i in sorted(position[name] for name in names if name in position)]
        return list(itertools.compress(entries, map(names.__contains__, listed[1])))  # no Python-level loop

    def matching(self, terms: tuple[Term, ...]) -> set[str]:
        """Names of the tasks matching all `terms`.

        Typing a search changes only its last term, so the matches of the terms before it are
        remembered and the last term is checked only against them; a word that extends the
        previous last word is checked only against that word's matches.
        """
        cached = self._match_sets.pop(terms, None)
        if cached is not None:
            self._match_sets[terms] = cached  # most recently used last
            return cached
        head, last = terms[:-1], terms[-1]
        candidates = self.matching(head) if head else self.entries.keys()
        if last.kind == "text" and not last.negate and not is_glob(last.value):
            # every task matching "sweep_12" matches "sweep_1": check only those (not for a glob:
            # `*b` matches what `*bc` does not)
            for known, names in list(self._match_sets.items()):
                previous = known[-1]
                if known[:-1] == head and previous.kind == "text" and not previous.negate \
                        and not is_glob(previous.value) and previous.value in last.value:
                    candidates = names if len(names) < len(candidates) else candidates
        entries = self.entries
        if last.kind == "text" and not last.negate and "\0" not in last.value:  # most keystrokes: one `in` each
            test = word_test(last.value)
            if len(candidates) * 4 < len(entries):
                result = {name for name in candidates if name in entries and test(entries[name].view.text or "")}
            else:  # over most tasks: every text at C speed (a plain word), then only the candidates kept
                listed, texts = self._texts()
                matched = map(test, texts) if is_glob(last.value) else \
                    map(str.__contains__, texts, itertools.repeat(last.value))
                result = set(itertools.compress(listed, matched))
                if len(candidates) < len(entries):
                    result &= candidates if isinstance(candidates, set) else set(candidates)
        elif not groupable(last):
            result = {name for name in candidates if name in entries and term_matches(last, entries[name].view)}
        else:  # a keyed or comparison term: decided once per distinct value it looks at
            slot = self.search_slot(last.kind, last.key)
            if self._unknown_key(slot):  # no task has it: every task looks at "not found"
                result = set(entries) if operand_matches(last, (False, None)) else set()
            else:
                result = self._groups.matching(last, slot, ((name, entry.view) for name, entry in entries.items()))
            if head:
                result = result & candidates if len(result) <= len(candidates) else candidates & result
        self._match_sets[terms] = result
        while len(self._match_sets) > TERM_CACHE:
            self._match_sets.pop(next(iter(self._match_sets)))
        return result

    def _texts(self) -> tuple[list[str], list[str]]:
        """Every task's name and search text, in two lists (rebuilt after a change)."""
        if self._text_lists[0] != self.generation:
            entries = self.entries.values()
            self._text_lists = (self.generation, [e.name for e in entries], [e.view.text or "" for e in entries])
        return self._text_lists[1], self._text_lists[2]

    def missing_groups(self, slots: Iterable[Slot]) -> list[Slot]:
        """Those of `slots` (term kind, key) not grouped yet: for `install_groups`."""
        return [slot for slot in dict.fromkeys(slots) if slot not in self._groups]

    def install_groups(self, columns: dict[Slot, GroupColumn], seen: Sequence[TaskEntry], generation: int) -> bool:
        """Take groupings built (operand_groups.build, in a thread) over `seen`, the entries at
        `generation`; the tasks changed since are regrouped first. False (nothing taken) when
        too many changed."""
        changed: list[Change] = []
        if generation != self.generation:
            then = {entry.name: entry for entry in seen}
            entries = self.entries
            changed = [(name, then[name].view if name in then else None, entry.view)
                       for name, entry in entries.items() if then.get(name) is not entry]
            changed += [(name, entry.view, None) for name, entry in then.items() if name not in entries]
            if len(changed) > TERM_UPDATE_LIMIT:
                return False
        self._groups.install(columns, changed)
        return True

    def load(self, store: TaskStore, tasks: Mapping[str, Task], names: Iterable[str], *, with_config: bool = True) -> list[TaskEntry]:
        """Entries for `names` read from disk: config flattened once, metrics polled incrementally.

        Without `with_config` the params of an already indexed task are kept (a fast first pass).
        """
        entries = []
        names = list(names)
        cached = len(names) > METRICS_CACHE_FROM
        for name in names:
            task = tasks.get(name)
            if task is None:
                continue
            previous = self.entries.get(name)
            if with_config:
                try:
                    params: Mapping[str, Any] = flatten(store.load_config(name))
                except (PyrunsError, OSError):
                    params = {}  # a hand-broken config.yaml must not hide the task
                loaded = True
            elif previous is not None:
                params, loaded = previous.view.params, previous.config_loaded
            else:
                params, loaded = {}, False
            if not with_config:
                values = (previous.view.metrics, previous.view.extremes or {}) if previous else NO_VALUES
            elif not task.runs:
                values = NO_VALUES  # metrics are logged while a task runs: a task that never ran has none
            elif task.status.is_active:
                values = self._poll_metrics(store, task)  # read on incrementally while it runs
            else:
                # whole: in a big load, as `ls` reads them, from the metrics cache while its files
                # are unchanged (10,000 tasks of 100 rows: 5 s of reading at each open). No reader is
                # kept: those of 100,000 finished tasks held ~0.2 GB of the Manager's memory
                values = metric_values(store, task) if cached else self._poll_metrics(store, task)
                self._readers.pop(name, None)
            progress = task_progress(store.layout, task)
            entries.append(make_entry(task, params, values[0], loaded, previous, progress, values[1],
                                      log_cut(store.layout, task)))
        return entries

    def poll(self, store: TaskStore, names: Iterable[str]) -> list[TaskEntry]:
        """New entries for the running tasks among `names` whose metrics grew, whose progress
        changed or whose log was cut since the last poll."""
        entries = []
        for name in names:
            entry = self.entries.get(name)
            if entry is None:
                continue
            reader = self._reader(store, entry.task)
            grew = reader.poll()
            progress = task_progress(store.layout, entry.task)
            cut = log_cut(store.layout, entry.task)
            if grew or progress != entry.view.progress or cut != entry.log_cut:
                metrics, extremes = (self._last_values(store, entry.task, reader) if grew
                                     else (entry.view.metrics, entry.view.extremes or {}))
                entries.append(make_entry(entry.task, entry.view.params, metrics, entry.config_loaded, entry, progress,
                                          extremes, cut))
        return entries

    def _reader(self, store: TaskStore, task: Task) -> MetricsReader:
        """The task's reader, over the rows of its latest run once it has run more than once."""
        window = run_window(task, task.runs[-1].index) if len(task.runs) > 1 else None
        reader = self._readers.get(task.name)
        if reader is None or reader.window != window:
            path = store.layout.metrics_file(task.name)
            reader = self._readers[task.name] = MetricsReader(path, keep_series=False, window=window)
        return reader

    def _poll_metrics(self, store: TaskStore, task: Task) -> Values:
        reader = self._reader(store, task)
        reader.poll()
        return self._last_values(store, task, reader)

    @staticmethod
    def _last_values(store: TaskStore, task: Task, reader: MetricsReader) -> Values:
        """Last values, and (min, max), of the run `latest_metrics` picks (the rule of compare, ls
        and export): the latest run's, read incrementally by `reader`, while it has logged any."""
        if reader.names or reader.window is None:
            stats = reader.stats()
        else:  # the latest run logged nothing (yet): an older one counts
            stats = latest_metrics(store, task)[1]
        return metric_values_of(stats) if stats else NO_VALUES

    def forget_readers(self, names: Iterable[str]) -> None:
        for name in names:
            self._readers.pop(name, None)
