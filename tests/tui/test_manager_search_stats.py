"""The Manager's search box takes a metric's statistic by the name `ls -c` and `export` give its
column (`loss.min<0.45`), by the rule of `ls QUERY` (workspace/query.py)."""

from __future__ import annotations

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from tests.tui.manager_helpers import build_workspace, settle, shown, wait_for

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
