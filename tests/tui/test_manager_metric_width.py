"""Pilot: the Manager's metric columns are as wide as their values (a loss of 0.03333 was drawn
`0.033…` at 80 columns with room to spare), and a number is never cut into what reads as another
number; the metric chooser's unticked boxes are empty, not a grey tick."""

from __future__ import annotations

import json

from textual.widgets import SelectionList

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models.prefs import PREFS_FILE, ManagerPrefs
from pyruns_tui.tui.widgets.manager.metric_chooser import MetricChooser
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.tui.manager_helpers import build_workspace, row_text, settle
from tests.waiting import wait_for


async def test_a_metric_is_shown_whole_when_the_screen_has_room(layout: Layout) -> None:
    build_workspace(layout)
    ManagerPrefs(varying=False).save(layout.workspace_dir / PREFS_FILE)  # no column for `opt`: 80 cells as before
    layout.metrics_file("base").write_text(json.dumps({"step": 0, "loss": 1 / 30, "acc": 29 / 30}) + "\n")
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        text = row_text(screen, "base")
        assert " 0.9667 " in text and " 0.03333 " in text, text
        assert "…" not in text
        assert sum(w + 1 for w in screen.table.widths) <= 80  # the whole table still fits


def test_a_number_too_wide_for_its_cell_loses_digits_not_its_tail() -> None:
    from pyruns_tui.tui.models.columns import fit_metric, format_metric

    assert format_metric(1 / 30) == "0.03333"
    assert fit_metric("0.03333", 6) == "0.0333"
    assert fit_metric("0.03333", 5) == "0.033"
    assert fit_metric("-1.235e-05", 8) == "-1.2e-05"
    assert fit_metric("0.03333", 7) == "0.03333"
    assert fit_metric("nan", 2) == "nan"  # no number: left to the table's cut


async def test_the_metric_chooser_draws_an_unticked_box_empty(layout: Layout) -> None:
    store: TaskStore = build_workspace(layout)
    assert store.names()
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MetricChooser))
        chooser = pilot.app.screen.query_one(SelectionList)
        await pilot.pause()
        lines = {"".join(s.text for s in chooser.render_line(y)).split()[-1]: "".join(s.text for s in chooser.render_line(y))
                 for y in range(chooser.option_count)}
        assert lines["acc"].startswith("▐X▌") and lines["loss"].startswith("▐X▌"), lines
        await pilot.press("space")  # untick acc (the first)
        await pilot.pause()
        assert "".join(s.text for s in chooser.render_line(0)).startswith("▐ ▌")
