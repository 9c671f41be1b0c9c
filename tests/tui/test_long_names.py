"""Long task names are cut in their middle wherever one line holds them (the Manager's table, the
Monitor's task list and log header): the tasks of a batch share their start and differ at their
end (`..._1-of-2`, `..._2-of-2`), and a cut end showed every task of the batch under one name."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Static

from pyruns_tui.printable import cell_width, cut_cells_middle
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.monitor.log_pane import LogPane
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.tui.manager_helpers import row_text, settle
from tests.tui.monitor_fixtures import add_run, add_task
from tests.waiting import wait_for

PREFIX = "resnet50_imagenet_cosine_warmup_label_smoothing_mixup_ablation"
NAMES = [f"{PREFIX}_{i}-of-2" for i in (1, 2)]


def test_a_cut_keeps_the_start_and_the_end() -> None:
    assert cut_cells_middle(NAMES[0], 40) == "resnet50_imagenet_co…xup_ablation_1-of-2"
    assert cut_cells_middle(NAMES[0], 26) == "resnet50_imag…ation_1-of-2"
    assert cut_cells_middle(NAMES[0], 100) == NAMES[0]  # fits: unchanged
    assert cut_cells_middle(NAMES[0], len(NAMES[0])) == NAMES[0]
    assert cut_cells_middle("abcdef", 1) == "…"
    assert cut_cells_middle("abcdef", 0) == ""
    wide = "实验名称很长的任务名字_1-of-2"  # 2 cells a CJK character: never over the width
    for width in range(1, 30):
        assert cell_width(cut_cells_middle(wide, width)) <= width
    assert cut_cells_middle(wide, 16) == "实验名称…_1-of-2"


def _two_long_names(store: TaskStore) -> None:
    for name in NAMES:
        add_task(store, name)
        add_run(store, name, Status.COMPLETED, f"done {name[-6:]}\n".encode())


async def test_the_manager_shows_where_two_long_names_differ(layout: Layout, store: TaskStore) -> None:
    _two_long_names(store)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        rows = [row_text(screen, name) for name in NAMES]
        for name, row in zip(NAMES, rows):
            assert "…" in row and name[-6:] in row and "resnet50_imagenet" in row, row
        assert rows[0] != rows[1]


async def test_the_monitor_list_and_header_show_where_two_long_names_differ(layout: Layout, store: TaskStore) -> None:
    _two_long_names(store)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        listed = screen.query_one("TaskList")
        lines = lambda: ["".join(s.text for s in listed.render_line(y)).rstrip() for y in range(2)]  # noqa: E731
        await wait_for(pilot, lambda: all("…" in line for line in lines()), what=f"cut names {lines()}")
        assert sorted(line[-6:] for line in lines()) == ["1-of-2", "2-of-2"], lines()
        assert all(cell_len(line) <= listed.size.width for line in lines())
        screen.show_task(NAMES[1])
        pane = screen.log_pane
        assert isinstance(pane, LogPane)
        header = pane.query_one(".logpane--header", Static)
        await wait_for(pilot, lambda: "2-of-2" in str(header.render()), what=f"the name's end {header.render()}")
        text = str(header.render())
        assert "…" in text and text.startswith(" ✔ resnet50") and cell_len(text) <= header.size.width, text
