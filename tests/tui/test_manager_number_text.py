"""Pilot: a metric reads the same in the Manager (its table and its compare dialog) as in
`pyr-tui ls -c` and `export -f md`: a whole float keeps its `.0` (the Manager showed `64`), an
int is exact (the Manager showed 123456 as `1.235e+05`). (`pyr-tui compare`: tests/metrics.)"""

from __future__ import annotations

import json

from textual.widgets import Static

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models.prefs import PREFS_FILE, ManagerPrefs
from pyruns_tui.tui.widgets.manager.compare import CompareDialog
from pyruns_tui.workspace.layout import Layout
from tests.cli.helpers import pyr
from tests.cli.test_ls_columns import table
from tests.tui.manager_helpers import build_workspace, row_text, settle
from tests.waiting import wait_for

METRICS = {"acc": 64.0, "steps": 123456, "drift": -2.0, "loss": 0.5}


async def test_a_metric_reads_in_the_manager_as_ls_and_export_write_it(layout: Layout) -> None:
    build_workspace(layout, pinned=())
    ManagerPrefs(varying=False, metrics=list(METRICS)).save(layout.workspace_dir / PREFS_FILE)
    for name in ("base", "wide"):
        layout.metrics_file(name).write_text(json.dumps({"step": 0, **METRICS}) + "\n")
    project = layout.root.parent
    listed = pyr(project, "ls", "-c", ",".join(METRICS), "name:base")
    assert listed.code == 0, listed.err
    shown = {key: table(listed.out)[0][key] for key in METRICS}
    assert shown == {"acc": "64.0", "steps": "123456", "drift": "-2.0", "loss": "0.5"}
    report = pyr(project, "export", "-f", "md", "name:base")
    assert report.code == 0, report.err
    assert all(f"| {text} |" in report.out for text in shown.values()), report.out

    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(120, 60)) as pilot:
        screen = await settle(pilot)
        cells = row_text(screen, "base").split()
        assert all(text in cells for text in shown.values()), (shown, cells)
        screen.table.set_selected(["base", "wide"])
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareDialog))
        body = pilot.app.screen.query_one("VerticalScroll > Static", Static)
        await wait_for(pilot, lambda: body.region.height > 0)
        lines = [" ".join("".join(s.text for s in line).split()) for line in body.render_lines(body.region.reset_offset)]
    assert all(f"{key} {text} {text}" in lines for key, text in shown.items()), lines
