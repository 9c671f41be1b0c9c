"""One rule for the metrics of a rerun task: the Monitor's charts show the run in the log header,
the Manager's columns and compare the run `metrics.runs.metrics_run` picks (as `pyr-tui compare`)."""

from __future__ import annotations

import math

from pyruns_tui.metrics.compare import compare_tasks
from pyruns_tui.metrics.runs import run_window
from pyruns_tui.metrics.track import MetricsReader
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.monitor.braille import BrailleChart
from pyruns_tui.tui.widgets.monitor.charts import stage_markers
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, parse_iso
from pyruns_tui.workspace.store import TaskStore
from tests.tui.manager_helpers import settle
from tests.tui.monitor_fixtures import add_run, add_task, write_metrics
from tests.tui.test_monitor import monitor, wait_for
from tests.tui.test_monitor import settle as settle_monitor

RUN1 = parse_iso("2024-05-01T10:00:00.000+00:00") or 0.0
RUN2 = parse_iso("2024-05-01T10:05:00.000+00:00") or 0.0


def rerun_task(store: TaskStore, name: str, second: list[dict[str, float]]) -> None:
    """A task whose run 1 logged loss 9..5 and acc; run 2 logged the rows `second` (times in run 2)."""
    add_task(store, name)
    add_run(store, name, Status.COMPLETED, b"one\n", minute=0)
    add_run(store, name, Status.COMPLETED, b"two\n", minute=5)
    write_metrics(store.layout, name, [{"t": RUN1 + s, "step": s, "loss": 9.0 - s, "acc": 0.1} for s in range(5)])
    write_metrics(store.layout, name, [{"t": RUN2 + s, "step": s, **row} for s, row in enumerate(second)])


def test_a_window_reader_keeps_one_run_s_rows(layout: Layout, store: TaskStore) -> None:
    rerun_task(store, "a", [{"loss": 1.0}, {"loss": 0.5}])
    task = store.get("a")
    assert run_window(task, 1) == (-math.inf, RUN2) and run_window(task, 2) == (RUN2, math.inf)
    second = MetricsReader(layout.metrics_file("a"), window=run_window(task, 2))
    second.poll()
    assert [v for _s, v, _st in second.series("loss")] == [1.0, 0.5] and second.names == ["loss"]
    first = MetricsReader(layout.metrics_file("a"), window=run_window(task, 1))
    first.poll()
    assert [v for _s, v, _st in first.series("loss")] == [9.0, 8.0, 7.0, 6.0, 5.0]


async def test_manager_columns_and_compare_follow_the_cli_rule(layout: Layout, store: TaskStore) -> None:
    rerun_task(store, "acc_only", [{"acc": 0.9}])  # run 2 logged no loss: loss is absent
    rerun_task(store, "silent", [])  # run 2 logged nothing: run 1 stands for the task
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test() as pilot:
        screen = await settle(pilot)
        for name in ("acc_only", "silent"):
            comparison = compare_tasks(store, name, name)
            cli = {row.metric: row.a for row in comparison.metrics if row.stat == "last"}
            assert screen.browser.index.entries[name].view.metrics == cli, name
        assert screen.browser.index.entries["acc_only"].view.metrics == {"acc": 0.9}
        assert screen.browser.index.entries["silent"].view.metrics == {"loss": 5.0, "acc": 0.1}


async def test_charts_draw_the_run_shown_in_the_log_header(layout: Layout, store: TaskStore) -> None:
    rerun_task(store, "a", [{"loss": 1.0}, {"loss": 0.5}, {"loss": 0.25}])
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_monitor(app, pilot)
        screen = monitor(app)
        screen.show_task("a")
        await pilot.press("c")
        charts = screen.charts

        def loss_values() -> list[float]:
            chart = next((c for c in charts.query(BrailleChart) if c.title == "loss"), None)
            return [y for series in (chart.series if chart else []) for _x, y in series.points]

        await wait_for(pilot, lambda: loss_values() == [1.0, 0.5, 0.25])  # run 2 only, no saw-tooth
        await pilot.press("left_square_bracket")  # the log header goes to run 1: so do the charts
        await wait_for(pilot, lambda: loss_values() == [9.0, 8.0, 7.0, 6.0, 5.0])
        assert screen.log_pane.run == 1


def test_stage_markers_once_per_stage() -> None:
    points = [(s, 0.0, "train" if (s // 10) % 2 == 0 else "val") for s in range(60)]
    assert [(m.x, m.label) for m in stage_markers(points)] == [(10.0, "val")]
