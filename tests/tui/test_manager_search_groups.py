"""The Manager's search on big workspaces: keyed and comparison terms decided once per distinct value
(tui/models/operand_groups.py) give exactly what query.py's rule gives task by task, and `ls`."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import pytest

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models import operand_groups
from pyruns_tui.tui.models.columns import build_columns
from pyruns_tui.tui.models.task_index import TaskIndex, make_entry
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.tui.widgets.manager import browser
from pyruns_tui.workspace.bootstrap import read_script_info, write_script_info
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.query import Query, TaskView, flatten
from pyruns_tui.workspace.select import last_metrics, select_tasks
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.tui.manager_helpers import finished_run, settle, shown
from tests.waiting import wait_for

# values the rule tells apart though Python calls them equal (1, 1.0, True; 0.0, -0.0), NaN, a list
VALUES: list[Any] = [1, 1.0, True, 0.0, -0.0, math.nan, "adam", "1", None, [1, 2], 0.01, 0.001, 3]
QUERIES = [
    "x:1", "x:1.0", "x:true", "x:0", "x:-0.0", "x:nan", "x:adam", "x:null", "x>=1", "x<0.5", "x!=1", "x=adam",
    "-x:1", "-x>=0.01", "x>0", "x<=0", "x:[1, 2]", "x:", "nope:1", "nope<1", "status:f", "status:pending",
    "-status:failed", "pinned:yes", "-pinned:yes", "error:oom", "name:t1", "notes:b", "x>=0.001 status:p",
    "t1 x<1", "X:ADAM", "-nope:1", "loss<0.5", "loss:0.25", "i>=3 -i>5", "i:2", "i>50", "status>1", "-loss>=0.5",
    "param.i>=3", "param.i:2", "param.x:1", "param.x>=0.01", "-param.x:adam", "param.nope:1", "param.name:t1",
]


@pytest.fixture
def sweep(layout: Layout) -> TaskStore:
    store = TaskStore(layout)
    store.create_tasks([NewTask(f"t{i}", {"x": value, "i": i}) for i, value in enumerate(VALUES * 2)],
                       task_kind="plain", script=None)
    for i, name in enumerate(["t2", "t5", "t9"]):
        def fail(task: Task, i: int = i) -> None:
            task.status = Status.FAILED
            task.runs = [finished_run(Status.FAILED)]
            task.pinned = i == 0
            task.notes = "bad" if i else ""

        store.update(name, fail)
        # t2 logs a metric named as a parameter: `i>=3` then looks at the metric, `i:2` at the parameter
        extra = ', "i": 100' if name == "t2" else ""
        layout.metrics_file(name).write_text(f'{{"step": 0, "loss": {0.25 * (i + 1)}{extra}}}\n')
    return store


def rule(store: TaskStore) -> dict[str, TaskView]:
    return {t.name: TaskView(t, flatten(store.load_config(t.name)), last_metrics(store, t.name)) for t in store.scan()}


def check(index: TaskIndex, fresh: Mapping[str, TaskView], prefix: str = "") -> None:
    """`prefix`: a term matching every task, so that no remembered search answers (the groupings do)."""
    ordered = index.ordered(build_columns([], [])[1], False)
    for text in QUERIES:
        query = Query.parse(prefix + text)
        assert [e.name for e in index.filter(ordered, query)] == [e.name for e in ordered if query.matches(fresh[e.name])], text


def test_grouped_terms_match_the_rule_of_query_py(sweep: TaskStore) -> None:
    tasks = {task.name: task for task in sweep.scan()}
    index = TaskIndex()
    index.apply(index.load(sweep, tasks, tasks))
    fresh = rule(sweep)
    check(index, fresh)
    check(index, fresh)  # again, from the groupings built by the first pass
    for name, change in (("t3", lambda t: setattr(t, "notes", "b")), ("t14", lambda t: setattr(t, "pinned", True))):
        changed = sweep.update(name, change)
        fresh[name] = TaskView(changed, fresh[name].params, fresh[name].metrics)
        index.apply([make_entry(changed, fresh[name].params, fresh[name].metrics, True, index.entries[name])])
    index.apply([], ["t4"])
    fresh.pop("t4")
    check(index, fresh, "-nothing:z ")  # the groupings follow changed and removed tasks


def test_a_glob_word_typed_in_the_manager_matches_as_in_ls(sweep: TaskStore) -> None:
    """`t2*` then `*2` then `*2?`, as typed: a glob matches a name (or a `key=value`) whole, and
    one is never decided among the matches of the word before it (`*2?` holds `*2` but t20
    matches only the first)."""
    tasks = {task.name: task for task in sweep.scan()}
    index = TaskIndex()
    index.apply(index.load(sweep, tasks, tasks))
    fresh = rule(sweep)
    ordered = index.ordered(build_columns([], [])[1], False)
    found = {}
    for typed in ("t2", "t2*", "*2", "*2?"):
        query = Query.parse(typed)
        found[typed] = [e.name for e in index.filter(ordered, query)]
        assert found[typed] == [e.name for e in ordered if query.matches(fresh[e.name])], typed
    assert set(found["t2*"]) == {"t2", *(f"t2{i}" for i in range(6))}
    assert {"t2", "t12", "t22"} <= set(found["*2"]) and "t20" not in found["*2"]
    assert {"t9", "t22"} | {f"t2{i}" for i in range(6)} == set(found["*2?"])  # (t9, t22: x=[1, 2])


def test_groupings_built_ahead_take_the_changes_made_meanwhile(sweep: TaskStore) -> None:
    tasks = {task.name: task for task in sweep.scan()}
    index = TaskIndex()
    index.apply(index.load(sweep, tasks, tasks))
    seen, generation = list(index.entries.values()), index.generation
    slots = [(kind, key) for key in ("x", "i", "loss") for kind in ("keyed", "compare")] + [("keyed", "status")]
    columns = operand_groups.build(slots, [(e.name, e.view) for e in seen])  # as the Manager's thread does
    fresh = rule(sweep)
    changed = sweep.update("t1", lambda t: setattr(t, "status", Status.FAILED))
    fresh["t1"] = TaskView(changed, {"x": 42, "i": 1}, {})
    index.apply([make_entry(changed, fresh["t1"].params, {}, True, index.entries["t1"])], ["t6"])
    fresh.pop("t6")
    assert index.install_groups(columns, seen, generation)
    assert not index.missing_groups(slots)
    check(index, fresh, "-nothing:z ")


async def test_the_manager_search_equals_ls(layout: Layout, sweep: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "GROUP_AHEAD_FROM", 1)  # group status and the pinned param ahead, in a thread
    info = read_script_info(layout)
    info.pinned_params = ["x"]
    write_script_info(layout, info)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        index = screen.browser.index
        assert not index.missing_groups([("keyed", "status"), *(index.search_slot(kind, key) for key in ("x", "i", "loss")
                                                                 for kind in ("keyed", "compare"))])
        for text in QUERIES:
            screen.browser.set_search(text)
            await pilot.pause()
            assert sorted(shown(screen)) == sorted(view.task.name for view in select_tasks(sweep, text)), text


async def test_a_search_typed_while_the_configs_load_ends_with_the_tasks_of_ls(
        layout: Layout, sweep: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "QUICK_PASS", 1)  # rows first, configs after (as from 500 tasks on)
    monkeypatch.setattr(browser, "GROUP_AHEAD_FROM", 1)
    release = threading.Event()
    load = TaskIndex.load

    def held_load(self: TaskIndex, store: TaskStore, tasks: Mapping[str, Task], names: Any, *, with_config: bool = True) -> Any:
        if with_config:  # the configs are read once the test has typed
            release.wait(30)
        return load(self, store, tasks, names, with_config=with_config)

    monkeypatch.setattr(TaskIndex, "load", held_load)
    query = "x>=0.01 -status:failed"
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(120, 40)) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerScreen) and len(shown(app.screen)) == len(VALUES) * 2)
        screen = app.screen
        assert isinstance(screen, ManagerScreen)
        assert not screen.table.rows[0].config_loaded  # still loading
        await pilot.press("slash", *query)
        await wait_for(pilot, lambda: screen.browser.query_text == query)
        release.set()
        screen = await settle(pilot)
        assert screen.table.rows[0].config_loaded
        assert sorted(shown(screen)) == sorted(view.task.name for view in select_tasks(sweep, query))


def test_ls_searches_the_metrics_the_manager_shows_after_a_rerun(layout: Layout) -> None:
    # the Manager shows a rerun's values (never an older run's mixed in); ls and export's query read
    # the whole file's last values, so `acc>0.5` found a task by the acc of its first run, which the
    # Manager's column and search did not show
    from pyruns_tui.metrics.compare import compare_tasks
    from pyruns_tui.workspace.model import Run

    store = TaskStore(layout)
    store.create_tasks([NewTask("a", {}), NewTask("b", {})], task_kind="plain", script=None)
    starts = ("2026-03-14T10:00:00.000+00:00", "2026-03-14T11:00:00.000+00:00")

    def two_runs(task: Task) -> None:
        task.status = Status.COMPLETED
        task.runs = [Run(index=i + 1, status=Status.COMPLETED, start=start, exit_code=0) for i, start in enumerate(starts)]

    store.update("a", two_runs)
    run1, run2 = 1_773_482_400.0, 1_773_486_000.0  # the two starts
    layout.metrics_file("a").write_text(
        f'{{"t": {run1 + 1}, "step": 0, "loss": 0.9}}\n{{"t": {run1 + 2}, "step": 1, "loss": 0.2, "acc": 0.8}}\n'
        f'{{"t": {run2 + 1}, "step": 0, "loss": 0.7}}\n')  # the rerun: steps from 0 again, no acc yet
    layout.metrics_file("b").write_text('{"step": 0, "loss": 0.7}\n')
    tasks = {task.name: task for task in store.scan()}
    index = TaskIndex()
    index.apply(index.load(store, tasks, tasks))
    assert index.entries["a"].view.metrics == last_metrics(store, "a") == {"loss": 0.7}
    assert [v.task.name for v in select_tasks(store, "acc>0.5")] == []
    assert [v.task.name for v in select_tasks(store, "loss:0.7")] == ["a", "b"]
    comparison = compare_tasks(store, "a", "b")
    assert comparison.a.metrics_run == 2 and [(d.metric, d.stat, d.a) for d in comparison.metrics][0] == ("loss", "last", 0.7)
