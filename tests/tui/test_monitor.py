"""The Monitor screen through Pilot (real workspaces in tmp dirs), and its widgets' pure parts."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from pyruns_tui.logs.output_metrics import DEFAULT_RULES, MetricRules
from pyruns_tui.runner.daemon.output_watch import OutputWatch
from pyruns_tui.runner.gpus import FakeGpus, GpuDevice, GpuProcess
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.messages import OpenTask
from pyruns_tui.tui.models import system_feed
from pyruns_tui.tui.models.system_feed import SystemFeed, SystemSample, machine_sampler
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.monitor.braille import (
    BrailleChart,
    Marker,
    Series,
    nice_number,
    render_chart,
)
from pyruns_tui.tui.widgets.monitor.charts import (
    MetricCharts,
    differing_params,
    stage_markers,
)
from pyruns_tui.tui.widgets.monitor.export_dialog import ExportDialog
from pyruns_tui.tui.widgets.monitor.log_pane import run_selector
from pyruns_tui.tui.widgets.monitor.sparkline import fixed_sparkline
from pyruns_tui.tui.widgets.monitor.system_panel import SystemPanel, render_system
from pyruns_tui.tui.widgets.monitor.task_list import TaskList, order_tasks
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.tui.monitor_fixtures import (
    add_run,
    add_task,
    fixed_feed,
    fixed_sample,
    write_metrics,
)
from tests.waiting import wait_for


@pytest.fixture(autouse=True)
def _fixed_system_feed() -> Iterator[SystemFeed]:
    feed = fixed_feed(2)
    system_feed.use_feed(feed)
    yield feed
    system_feed.use_feed(None)


async def settle(app: PyrunsApp, pilot: Pilot) -> None:
    """Let the workspace refresh land and the screen react to it."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def refresh(app: PyrunsApp, pilot: Pilot) -> None:
    app.refresh_tasks()
    await settle(app, pilot)


def monitor(app: PyrunsApp) -> MonitorScreen:
    assert isinstance(app.screen, MonitorScreen)
    return app.screen


def log_text(screen: MonitorScreen) -> list[str]:
    buffer = screen.log_pane.view.buffer
    return [] if buffer is None else [buffer.plain_line(i) for i in range(buffer.line_count)]


@pytest.fixture
def three_tasks(store: TaskStore) -> TaskStore:
    """done (completed, 2 runs), live (running), broken (failed): each log names its task and run."""
    for name, status, minute in (("done", Status.COMPLETED, 1), ("live", Status.RUNNING, 2), ("broken", Status.FAILED, 3)):
        add_task(store, name, {"lr": minute / 10, "depth": 18})
        if name == "done":
            add_run(store, name, Status.COMPLETED, b"done run 1\n", minute=0)
        add_run(store, name, status, f"{name} run {2 if name == 'done' else 1}\n".encode(), minute=minute, pid=4242)
    return store


async def test_open_task_message_shows_that_run(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.post_message(OpenTask("done", 1))
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen) and log_text(app.screen) == ["done run 1"])
        screen = monitor(app)
        assert screen.log_pane.run == 1
        assert screen.task_list.current == "done"
        assert app.focused is screen.log_pane.view


async def test_task_list_puts_running_first_and_j_k_switch_the_log(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        assert screen.task_list.names == ["live", "broken", "done"]
        await wait_for(pilot, lambda: log_text(screen) == ["live run 1"])
        screen.task_list.focus()
        await pilot.press("j")
        await wait_for(pilot, lambda: log_text(screen) == ["broken run 1"])
        await pilot.press("j")
        await wait_for(pilot, lambda: log_text(screen) == ["done run 2"])
        await pilot.press("k", "k")
        await wait_for(pilot, lambda: log_text(screen) == ["live run 1"])


async def test_a_long_task_name_takes_one_line_of_a_narrow_task_list(layout: Layout, store: TaskStore) -> None:
    """At 60 columns `1207-014617_2-of-2 r2` wrapped onto three lines of the task list: the glyph,
    the name and the run count each on a line of their own. The name is cut in its middle, so that
    the tasks of the batch stay told apart (tests/tui/test_long_names.py)."""
    for name in ("1207-014617_1-of-2", "1207-014617_2-of-2"):
        add_task(store, name)
        add_run(store, name, Status.COMPLETED, b"one\n")
        add_run(store, name, Status.COMPLETED, b"two\n", minute=1)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        task_list = monitor(app).task_list
        await wait_for(pilot, lambda: len(task_list.names) == 2)
        assert task_list.virtual_size.height == 2
        line = task_list.render_line(0).text.rstrip()
        assert "…" in line and line.endswith("-of-2 r2"), line  # cut in its middle: the end and the run count kept


async def test_tab_moves_focus_between_list_and_log(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        screen.task_list.focus()
        await pilot.press("tab")
        assert app.focused is screen.log_pane.view
        await pilot.press("shift+tab")
        assert app.focused is screen.task_list


async def test_brackets_cycle_the_runs_of_the_task(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        screen.show_task("done")
        assert screen.log_pane.run == 2 and log_text(screen) == ["done run 2"]
        await pilot.press("right_square_bracket")
        assert screen.log_pane.run == 1 and log_text(screen) == ["done run 1"]
        await pilot.press("right_square_bracket")
        assert screen.log_pane.run == 2
        await pilot.press("left_square_bracket")
        assert screen.log_pane.run == 1
        header = str(screen.log_pane.query_one(".logpane--header").render())
        assert "run1" in header and "run2" in header


async def test_a_new_run_is_followed_when_showing_the_last_run(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        screen.show_task("done")
        add_run(three_tasks, "done", Status.RUNNING, b"done run 3\n", minute=9, pid=4343)
        await refresh(app, pilot)
        assert screen.log_pane.run == 3 and log_text(screen) == ["done run 3"]
        assert screen.task_list.names[0] == "done"  # running now: listed first


async def test_task_without_runs_says_so(layout: Layout, store: TaskStore) -> None:
    add_task(store, "fresh")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        view = monitor(app).log_pane.view
        assert view.buffer is None and "has not run yet" in view.empty_text


async def test_log_pane_search_box_highlights_and_jumps(layout: Layout, store: TaskStore) -> None:
    add_task(store, "t")
    add_run(store, "t", Status.COMPLETED, b"".join(b"row %d%s\n" % (i, b" ERROR" if i == 40 else b"") for i in range(80)))
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        screen.show_task("t")
        await pilot.press("slash")
        await pilot.press(*"error", "enter")
        view = screen.log_pane.view
        assert view.search == "error" and view.match_line == 40
        assert app.focused is view
        assert "/error" in str(screen.log_pane.query_one(".logpane--header").render())


async def test_split_view_tails_running_tasks_then_marked_ones(layout: Layout, store: TaskStore) -> None:
    for i in range(5):
        add_task(store, f"run{i}")
        add_run(store, f"run{i}", Status.RUNNING, b"task %d says hi\n" % i, minute=i, pid=1000 + i)
    add_task(store, "old")
    add_run(store, "old", Status.COMPLETED, b"old output\n")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        await pilot.press("v")
        assert screen.view_name == "grid"
        grid = screen.grid
        assert grid.shown == 4 and grid.names == ["run4", "run3", "run2", "run1"]
        await wait_for(pilot, lambda: all(p.view.lines == 1 for p in grid.panes))
        with open(layout.run_log("run3", 1), "ab") as stream:
            stream.write(b"more from 3\n")
        await wait_for(pilot, lambda: grid.panes[1].view.lines == 2)
        screen.task_list.focus()
        screen.task_list.select_name("old")
        await pilot.press("space")
        assert grid.names == ["old"]
        await pilot.press("v")
        assert screen.view_name == "log"


async def test_charts_overlay_marked_tasks_with_differing_params_and_stages(layout: Layout, store: TaskStore) -> None:
    for name, lr in (("a", 0.1), ("b", 0.01)):
        add_task(store, name, {"lr": lr, "depth": 18})
        add_run(store, name, Status.COMPLETED, b"x\n")
        write_metrics(layout, name, [{"step": s, "stage": "train" if s < 30 else "val", "loss": math.exp(-s * lr)}
                                     for s in range(50)])
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        screen.task_list.focus()
        await pilot.press("space", "space", "k", "c")  # space marks and moves down
        charts = screen.charts
        await wait_for(pilot, lambda: len(charts.query(BrailleChart)) == 1 and charts.query_one(BrailleChart).series)
        chart = charts.query_one(BrailleChart)
        assert chart.title == "loss"
        assert sorted(s.label for s in chart.series) == ["a lr=0.1", "b lr=0.01"]
        assert [m.label for m in chart.markers] == ["val"] and chart.markers[0].x == 30
        write_metrics(layout, "a", [{"step": 50, "acc": 0.5}])
        await wait_for(pilot, lambda: len(charts.query(BrailleChart)) == 2)
        await pilot.press("c")
        assert screen.view_name == "log"


async def test_charts_of_printed_metrics_are_drawn_against_the_printed_step(layout: Layout, store: TaskStore) -> None:
    # a task printing `step=10 loss=...`: its chart ran over rows 0-3, the axis not saying so
    add_task(store, "printed")
    log = add_run(store, "printed", Status.COMPLETED,
                  b"".join(f"step={10 * i} loss={1 / i:.3f}\r\n".encode() for i in range(1, 5)))
    OutputWatch(layout.task_dir("printed"), 1, log, MetricRules(DEFAULT_RULES.items())).poll(final=True)  # the runner's reading
    add_task(store, "logged")  # pr.log({"loss": ...}, step=...): the same chart
    add_run(store, "logged", Status.COMPLETED)
    write_metrics(layout, "logged", [{"t": 1.0, "step": 10 * i, "loss": 1 / i} for i in range(1, 5)])
    add_task(store, "plain")  # pr.log({"loss": ...}) or a line naming no step: drawn against the row, and said so
    add_run(store, "plain", Status.COMPLETED)
    write_metrics(layout, "plain", [{"t": 1.0, "loss": 1 / i} for i in range(1, 5)])
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        charts = screen.charts

        def shown() -> tuple[str, list[float], list[str]] | None:
            chart = next(iter(charts.query(BrailleChart)), None)
            if chart is None or not chart.series:
                return None
            axis = str(chart.render()).splitlines()[-1].split()
            return chart.series[0].label, [x for x, _ in chart.series[0].points], axis

        for name, xs, axis in (("printed", [10, 20, 30, 40], ["10", "step", "40"]),
                               ("logged", [10, 20, 30, 40], ["10", "step", "40"]),
                               ("plain", [0, 1, 2, 3], ["0", "row", "3"])):
            screen.show_task(name)
            if screen.view_name != "charts":
                await pilot.press("c")
            await wait_for(pilot, lambda name=name: (shown() or ("",))[0] == name)  # type: ignore[misc]
            assert shown() == (name, xs, axis)


async def test_charts_say_when_nothing_was_logged(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        text = str(monitor(app).charts.query_one(".charts--empty").render())
        assert "no metrics logged yet" in text


async def test_system_panel_shows_gpus_and_maps_processes_to_tasks(layout: Layout, three_tasks: TaskStore,
                                                                   _fixed_system_feed: SystemFeed) -> None:
    system_feed.use_feed(fixed_feed(2, owners={4242: "live"}))
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        panel = monitor(app).query_one(SystemPanel)
        text = str(panel.render())
        assert "CPU   37%" in text and "RAM   38%" in text
        assert "GPU0  30%" in text and "GPU1  70%" in text
        assert "▸ live 4242" in text and "4243 python" in text
        assert "50°C" in text and "180W" in text
        await pilot.press("i")
        assert not panel.display or not panel.active
        await pilot.press("i")
        assert panel.active


async def test_system_panel_with_the_fake_gpu_backend_and_without_gpus(layout: Layout, store: TaskStore) -> None:
    system_feed.use_feed(SystemFeed(machine_sampler(FakeGpus(3)), hz=20.0))
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        panel = monitor(app).query_one(SystemPanel)
        feed = panel.feed
        assert feed is not None and feed.running  # sampling in its thread while shown
        await wait_for(pilot, lambda: "GPU2" in str(panel.render()))
        app.switch_mode("manager")
        await pilot.pause()
        assert not feed.running  # nobody looks: no sampling
    no_gpu = render_system([SystemSample(cpu_pct=5.0, ram_used_mb=1024, ram_total_mb=4096)], 30)
    assert "no NVIDIA GPU" in no_gpu.plain and "CPU    5%" in no_gpu.plain


def test_feed_maps_children_of_task_processes_to_the_task() -> None:
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])"])
    try:
        import psutil

        deadline = time.monotonic() + 15
        while not psutil.Process(parent.pid).children():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        child = psutil.Process(parent.pid).children()[0].pid
        gpu = GpuDevice(index=0, name="g", mem_total_mb=100, processes=(GpuProcess(pid=child, used_mb=10),))
        feed = SystemFeed(lambda: SystemSample(1.0, 1.0, 2.0, gpus=(gpu,)), threaded=False)
        feed.set_task_pids({parent.pid: "t7"})
        assert feed.sample_now().owners[child] == "t7"
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True):
            proc.kill()
        parent.kill()
        parent.wait()


async def test_export_writes_the_chosen_tasks(layout: Layout, three_tasks: TaskStore, tmp_path: Path) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        screen.task_list.focus()
        await pilot.press("space", "space", "k")  # live and broken
        await pilot.press("x")
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#format-json").value = True
        await pilot.pause()
        target = tmp_path / "out" / "report.json"
        target.parent.mkdir()
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists())
        rows = json.loads(target.read_text())
        rows = rows["rows"] if isinstance(rows, dict) else rows
        assert sorted(row["name"] for row in rows) == ["broken", "live"]


async def test_export_dialog_cancels_with_escape(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog) and dialog.names == ["live"]
        assert dialog.query_one("#export-path").value.endswith("pyruns_export.csv")
        await pilot.press("escape")
        assert isinstance(app.screen, MonitorScreen)
        assert not list(layout.project_dir.glob("pyruns_export.*"))


async def test_a_task_whose_record_is_unreadable_is_listed_and_shown(layout: Layout, three_tasks: TaskStore) -> None:
    # a task_info.json that does not parse has no time at all: ordering the list raised (max() of
    # nothing) and the Monitor crashed the app
    add_task(three_tasks, "damaged")
    layout.task_info("damaged").write_text("{not json")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        assert screen.task_list.names == ["live", "broken", "done", "damaged"]
        screen.task_list.focus()
        await pilot.press("j", "j", "j")
        await wait_for(pilot, lambda: screen.task_list.current == "damaged")
        await wait_for(pilot, lambda: getattr(screen.log_pane.shown_task, "name", None) == "damaged")
        assert screen.log_pane.run is None and "unreadable" in (screen.log_pane.shown_task.reason or "")


def test_order_tasks_running_then_queued_then_recent(store: TaskStore) -> None:
    for name, status, minute in (("p", None, 0), ("c1", Status.COMPLETED, 5), ("c2", Status.FAILED, 7),
                                 ("r", Status.RUNNING, 1), ("q", None, 0)):
        add_task(store, name)
        if status is not None:
            add_run(store, name, status, minute=minute)
    store.update("q", lambda t: setattr(t, "status", Status.QUEUED))
    ordered = [t.name for t in order_tasks(store.scan())]
    assert ordered[:2] == ["r", "q"] and ordered[2:4] == ["c2", "c1"]
    assert [t.name for t in order_tasks(store.scan(), limit=1)] == ["r", "q"]  # active ones are never cut


def test_fixed_sparkline_uses_a_fixed_scale() -> None:
    assert fixed_sparkline([0, 50, 100], 3) == " ▄█"
    assert fixed_sparkline([1, 2], 2) == "▁▁"  # near idle stays low, unlike a min/max scale
    assert fixed_sparkline([99, 100], 2) == "██"
    assert fixed_sparkline([50], 4) == "   ▄"  # padded on the left
    assert fixed_sparkline([None, 150.0, -5], 3) == " █ "
    assert fixed_sparkline(list(range(100)), 5) == fixed_sparkline(list(range(95, 100)), 5)  # the newest
    assert fixed_sparkline([10, 20], 0) == ""


def test_render_chart_draws_lines_axes_legend_and_markers() -> None:
    series = [Series("a", [(0, 0.0), (10, 1.0)], "cyan"), Series("b", [(0, 1.0), (10, 0.0)], "magenta")]
    lines = render_chart(series, 30, 8, title="loss", markers=[Marker(5, "val")])
    assert len(lines) == 8 and all(line.cell_len <= 30 for line in lines)
    assert lines[0].plain.startswith("loss") and "━ a" in lines[0].plain and "━ b" in lines[0].plain
    plot = [line.plain for line in lines[1:-1]]
    assert plot[0].lstrip().startswith("1┤") and plot[-1].lstrip().startswith("0┤")
    assert "val" in plot[0]
    assert all(any("\u2800" < ch <= "\u28ff" for ch in row) for row in plot)  # both diagonals cross every row
    assert lines[-1].plain.split() == ["0", "10"]
    assert render_chart(series, 30, 8, x_label="step")[-1].plain.split() == ["0", "step", "10"]
    assert render_chart(series, 14, 8, x_label="step (10 without a step not drawn)")[-1].plain.split() == ["0", "10"]  # no room
    empty = render_chart([Series("a", [(0, math.nan)])], 30, 6, title="acc")
    assert "no data yet" in empty[1].plain


def test_nice_number_is_short() -> None:
    assert [nice_number(v) for v in (0, 3.0, 0.1234567, 12345, 2.5e-5, 3e7)] == ["0", "3", "0.1235", "12.3k", "2.5e-05", "3e+07"]


def test_differing_params_and_stage_markers() -> None:
    configs = {"a": {"lr": 0.1, "model": {"depth": 18}, "seed": 1}, "b": {"lr": 0.1, "model": {"depth": 34}, "seed": 2}}
    assert differing_params(configs) == {"a": "depth=18 seed=1", "b": "depth=34 seed=2"}
    points = [(0, 1.0, "train"), (1, 1.0, "train"), (2, 1.0, "val"), (3, 1.0, "train")]
    assert stage_markers(points) == [Marker(2.0, "val")]  # train coming back is not marked again


def test_chart_labels_write_parameter_values_as_the_manager_does() -> None:
    configs = {"a": {"amp": True, "lr": 64.0}, "b": {"amp": False, "lr": 0.1, "tag": None}}
    assert differing_params(configs) == {"a": "amp=true lr=64.0 tag=—", "b": "amp=false lr=0.1 tag=null"}


def test_run_selector_shows_tabs_or_a_counter() -> None:
    assert run_selector([1, 2, 3], 2).plain == " run1  run2  run3 "
    assert run_selector(list(range(1, 10)), 7).plain == "run 7/9"
    assert run_selector([], None).plain == ""


async def test_charts_widget_polls_only_while_active(tmp_path: Path, layout: Layout, store: TaskStore) -> None:
    add_task(store, "m")
    write_metrics(layout, "m", [{"step": 0, "loss": 1.0}])
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        charts = monitor(app).query_one(MetricCharts)
        assert charts._timer is None
        await pilot.press("c")
        assert charts._timer is not None
        await pilot.press("escape")
        assert charts._timer is None


async def test_task_list_marks_survive_a_refresh(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        task_list = monitor(app).query_one(TaskList)
        task_list.focus()
        await pilot.press("space")
        assert task_list.marked == {"live"}
        await refresh(app, pilot)
        assert task_list.marked == {"live"} and monitor(app).chosen() == ["live"]
        await pilot.press("u")
        assert monitor(app).chosen() == [task_list.current]


def test_fixed_sample_is_deterministic() -> None:
    assert fixed_sample(2) == fixed_sample(2)


async def test_log_keys_work_from_the_task_list_and_are_listed_in_help(layout: Layout, store: TaskStore) -> None:
    add_task(store, "t")
    add_run(store, "t", Status.COMPLETED, b"".join(b"row %d\n" % i for i in range(100)))
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        view = screen.log_pane.view
        screen.task_list.focus()
        await pilot.press("g")
        assert view.scroll_y == 0 and not view.follow
        await pilot.press("G")
        assert view.follow
        await pilot.press("w")
        assert view.wrap
        await pilot.press("slash")
        assert app.focused is not None and app.focused.id == "log-search"
        await pilot.press("escape")
        descriptions = {b.description for b in MonitorScreen.BINDINGS}
        assert {"Search log", "Log top", "Wrap long lines", "Next run", "Split", "Export (CSV, JSON, Markdown)"} <= descriptions


def test_bucket_means_group_from_the_newest_sample() -> None:
    from pyruns_tui.tui.widgets.monitor.system_panel import bucket_means

    assert bucket_means([1, 2, 3, 4, 5], 2) == [1.0, 2.5, 4.5]
    assert bucket_means([None, None, 4.0], 2) == [None, 4.0]
    assert bucket_means([1.0, 2.0], 1) == [1.0, 2.0]


async def test_a_deleted_task_gives_way_to_the_highlighted_one(layout: Layout, three_tasks: TaskStore) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = monitor(app)
        screen.show_task("done")
        three_tasks.trash(["done"])
        await refresh(app, pilot)
        assert "done" not in screen.task_list.names
        assert screen.log_pane.shown_task is not None and screen.log_pane.shown_task.name == screen.task_list.current


async def test_default_feed_uses_the_fake_gpus_from_the_environment(layout: Layout, store: TaskStore,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "2")
    system_feed.use_feed(None)  # the app's own shared feed, as in real use
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        panel = monitor(app).query_one(SystemPanel)
        assert panel.feed is system_feed.shared_feed()
        await wait_for(pilot, lambda: "GPU1" in str(panel.render()))
        assert "no NVIDIA GPU" not in str(panel.render())
