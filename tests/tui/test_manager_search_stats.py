"""The Manager's search box takes a metric's statistic by the name `ls -c` and `export` give its
column (`loss.min<0.45`), by the rule of `ls QUERY` (workspace/query.py)."""

from __future__ import annotations

import json

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status, Task, now_iso
from tests.cli.helpers import pyr
from tests.tui.manager_helpers import build_workspace, finished_run, refresh, settle, shown, wait_for

ALL = ["base", "deep", "tiny_lr", "wide", "mid"]
# loss: base 0.9 -> 0.4, tiny_lr 2.5, wide 0.5 -> 0.2, mid 0.6; deep logged nothing
STAT_SEARCHES = [
    ("loss.min<0.45", ["base", "wide"]),
    ("loss.max>=0.9", ["base", "tiny_lr"]),
    ("loss.last:0.2", ["wide"]),
    ("-loss.max>=0.9 status:completed", ["wide"]),
]


async def test_search_box_takes_a_metric_statistic(layout: Layout) -> None:
    build_workspace(layout)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        for query, expected in STAT_SEARCHES:
            await pilot.press("slash", *query)
            await wait_for(pilot, lambda query=query: screen.browser.query_text == query.strip())
            assert sorted(shown(screen), key=ALL.index) == expected, query
            await pilot.press("escape")
            await wait_for(pilot, lambda: not screen.browser.query_text)


async def test_a_term_naming_nothing_says_so_in_the_status_line(layout: Layout) -> None:
    store = build_workspace(layout)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(200, 30)) as pilot:
        screen = await settle(pilot)
        await pilot.press("slash", *"loss.mim<0.5")
        await wait_for(pilot, lambda: screen.browser.query_text == "loss.mim<0.5")
        assert shown(screen) == []
        # `deep` is pending: it may still log it
        assert "⚠ no task has a parameter or metric 'loss.mim' yet" in screen.browser._status_text
    store.update("deep", lambda task: setattr(task, "status", Status.COMPLETED))
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(200, 30)) as pilot:
        screen = await settle(pilot)
        await pilot.press("slash", *"loss.mim<0.5")
        await wait_for(pilot, lambda: screen.browser.query_text == "loss.mim<0.5")
        assert ("⚠ search term 'loss.mim<0.5' names no parameter or metric of the tasks searched "
                "(closest: loss.min, loss.max") in screen.browser._status_text
        await pilot.press("escape", "slash", *"loss.min<0.45")  # known: no warning
        await wait_for(pilot, lambda: screen.browser.query_text == "loss.min<0.45")
        assert "⚠" not in screen.browser._status_text


def start(task: Task) -> None:
    task.status = Status.RUNNING
    task.runs = [Run(index=1, status=Status.RUNNING, start=now_iso(), pid=999)]


def end(task: Task) -> None:
    task.status = Status.COMPLETED
    task.runs = [finished_run(Status.COMPLETED)]


async def test_the_warning_goes_when_a_running_task_logs_the_metric(layout: Layout) -> None:
    """A term naming a metric no task had logged names one once a running task logs it: the `⚠`
    line stayed until the search was typed again when the new value matched as little as before."""
    store = build_workspace(layout)
    store.update("deep", start)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(200, 30)) as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        await pilot.press("slash", *"val_acc>0.5")
        await wait_for(pilot, lambda: browser.query_text == "val_acc>0.5")
        assert "⚠ no task has a parameter or metric 'val_acc' yet" in browser._status_text
        with open(layout.metrics_file("deep"), "a") as stream:
            stream.write(json.dumps({"step": 0, "val_acc": 0.3}) + "\n")  # logged, and still no match
        await wait_for(pilot, lambda: "val_acc" in browser.index.metric_names(), what="deep's new metric read")
        assert shown(screen) == []
        assert "⚠" not in browser._status_text


async def test_the_note_becomes_an_error_when_the_last_task_that_may_log_it_ends(layout: Layout) -> None:
    store = build_workspace(layout)
    store.update("deep", start)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(200, 30)) as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        await pilot.press("slash", *"val_acc>0.5")
        await wait_for(pilot, lambda: browser.query_text == "val_acc>0.5")
        assert "⚠ no task has a parameter or metric 'val_acc' yet" in browser._status_text
        store.update("deep", end)
        screen = await refresh(pilot)
        assert "⚠ search term 'val_acc>0.5' names no parameter or metric of the tasks searched" in browser._status_text


# (query, what the tasks of TASKS searched make of it); `deep` is pending unless the query leaves it out
FACES = [
    ("loss.mim<0.5", "no task has"),
    ("status:failed acc>0.5", "names no"),  # only `wide` has acc, and it did not fail
    ("status:completed acc>0.5 lrr:1", "names no"),
    ("-status:pending param.los:1", "names no"),  # a parameter: its closest names are parameters
    ("-zzz:1 opt:adam", "no task has"),
]


async def test_ls_and_the_manager_say_the_same_line(layout: Layout) -> None:
    """`ls QUERY` and the Manager's search give the same line for a term naming nothing: the
    tasks searched are those of the query's `status:` terms in both."""
    build_workspace(layout)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(200, 30)) as pilot:
        screen = await settle(pilot)
        for query, kind in FACES:
            screen.browser.set_search(query)
            await wait_for(pilot, lambda query=query: screen.browser.query_text == query)
            listed = pyr(layout.root.parent, "ls", "--names", *query.split())
            said = listed.err.splitlines()[0].split(": ", 2)[2] if listed.err else ""
            assert kind in said, (query, listed.err)
            assert screen.browser.query_hint == said, query


async def test_the_warning_is_seen_in_an_80_column_terminal(layout: Layout) -> None:
    """The `⚠` part came last in the status line, after the sort and the search text, so at 80
    columns the line ended `⚠ search term` and why (the names a term may take) was cut off."""
    store = build_workspace(layout)
    store.update("deep", end)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        status = browser.query_one("#manager-status")
        for typed, said in (("zzz:1", "names no parameter or metric"), ("lr>=", "needs a value")):
            await pilot.press("slash", *typed)
            await wait_for(pilot, lambda said=said: said in browser._status_text, what=said)
            assert said in browser._status_text[:status.content_region.width]
            await pilot.press("escape")
            await wait_for(pilot, lambda: "⚠" not in browser._status_text)
