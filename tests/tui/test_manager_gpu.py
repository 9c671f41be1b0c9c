"""Pilot: the GPU accounting of the last run (gpu_mem_peak_mb, gpu_util_mean, gpu_util_p95) as
Manager columns: offered by the column chooser, sortable, searchable."""

from __future__ import annotations

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.manager.metric_chooser import MetricChooser
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Task
from tests.tui.manager_helpers import build_workspace, row_text, settle, shown


def recorded(peak: float, mean: float, p95: float):  # type: ignore[no-untyped-def]
    def change(task: Task) -> None:
        run = task.runs[-1]
        run.gpu_mem_peak_mb, run.gpu_util_mean, run.gpu_util_p95 = peak, mean, p95
    return change


async def test_gpu_accounting_columns_are_chosen_sorted_and_searched(layout: Layout) -> None:
    store = build_workspace(layout, pinned=())
    store.update("base", recorded(22000.0, 55.0, 90.0))
    store.update("wide", recorded(3000.0, 12.5, 31.25))
    async with PyrunsApp(layout, start_mode="manager").run_test(size=(200, 40)) as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        await pilot.press("m")
        chooser = pilot.app.screen
        assert isinstance(chooser, MetricChooser)
        assert chooser.names == ["acc", "loss", "gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_p95"]
        await pilot.press("down", "down", "space", "down", "space", "enter")
        assert browser.metric_columns() == ["acc", "loss", "gpu_mem_peak_mb", "gpu_util_mean"]
        keys = [c.key for c in screen.table.columns]
        assert "m:gpu_mem_peak_mb" in keys and "m:gpu_util_mean" in keys
        assert "gpu MB" in [c.label for c in screen.table.columns]
        assert "22000" in row_text(screen, "base") and "12.5" in row_text(screen, "wide")
        while browser.sort_column().key != "m:gpu_mem_peak_mb":
            await pilot.press("o")
        order = shown(screen)
        assert order[:2] == (["base", "wide"] if browser.prefs.reverse else ["wide", "base"])
        await pilot.press("O")
        assert shown(screen)[:2] == list(reversed(order[:2]))
        browser.set_search("gpu_mem_peak_mb>20000")
        await pilot.pause()
        assert shown(screen) == ["base"]
