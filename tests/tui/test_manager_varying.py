"""The Manager shows the parameters that vary between tasks (a sweep's axes) as columns without
pinning them."""

from __future__ import annotations

import json

import pytest
from rich.style import Style

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models.prefs import PREFS_FILE
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.workspace import edits
from pyruns_tui.workspace.batch import create_batch
from pyruns_tui.workspace.bootstrap import read_script_info, write_script_info
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.tui.manager_helpers import finished_run, refresh, row_text, settle, shown, wait_for

SWEEP = {"lr": "0.001 | 0.01", "bs": "32 | 64", "epochs": 10, "model": {"name": "resnet18"}}


def open_app(layout: Layout) -> PyrunsApp:
    return PyrunsApp(layout, start_mode="manager", watch_disk=False)


def param_columns(screen: ManagerScreen) -> list[tuple[str, bool]]:
    """(parameter, shown because it varies) of each parameter column, in order."""
    return [(column.key[2:], column.varying) for column in screen.table.columns if column.is_param]


def header(screen: ManagerScreen) -> str:
    """The header line as the screen shows it (scrolled sideways as the table is)."""
    return screen.table.render_line(0).text


def pin(layout: Layout, *keys: str) -> None:
    info = read_script_info(layout)
    info.pinned_params = list(keys)
    write_script_info(layout, info)


@pytest.mark.parametrize("size", [(80, 24), (160, 40)])
async def test_a_grid_sweeps_axes_are_columns_without_pinning(layout: Layout, store: TaskStore,
                                                              size: tuple[int, int]) -> None:
    create_batch(store, SWEEP, prefix="sweep")
    async with open_app(layout).run_test(size=size) as pilot:
        screen = await settle(pilot)
        assert param_columns(screen) == [("lr", True), ("bs", True)]  # not epochs, not model.name
        assert "lr" in header(screen) and "bs" in header(screen)
        row = row_text(screen, "sweep_4-of-4")  # on screen, next to the name
        assert "sweep_4-of-4" in row and "0.01" in row and "64" in row


async def test_pins_come_first_and_varying_ones_fill_the_room_of_three(layout: Layout, store: TaskStore) -> None:
    create_batch(store, {**SWEEP, "wd": "0 | 0.1", "dropout": "0.1 | 0.2"}, prefix="sweep")
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert param_columns(screen) == [("lr", True), ("bs", True), ("wd", True)]  # 4 vary: 3 shown
        pin(layout, "epochs", "bs")
        pilot.app.switch_mode("monitor")
        await pilot.pause()
        pilot.app.switch_mode("manager")
        await wait_for(pilot, lambda: param_columns(screen) == [("epochs", False), ("bs", False), ("lr", True)])
        # a pinned parameter's header reads as the others; a varying one's is set apart
        table = screen.table
        styles = {segment.text.strip(): segment.style for segment in table._header(200, Style())}
        assert styles["lr"] is not None and styles["lr"].italic
        assert not (styles["bs"] and styles["bs"].italic) and not (styles["epochs"] and styles["epochs"].italic)


async def test_a_new_batch_adds_its_axes_and_a_trashed_one_takes_them(layout: Layout, store: TaskStore) -> None:
    create_batch(store, {"lr": 0.1, "seed": 1}, prefix="single")
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert param_columns(screen) == []  # one task: nothing varies
        sweep = create_batch(store, {"lr": 0.1, "seed": "1 | 2 | 3"}, prefix="seeds").names
        screen = await refresh(pilot)
        assert param_columns(screen) == [("seed", True)]
        assert "3" in row_text(screen, "seeds_3-of-3")
        edits.trash(store, sweep[1:])  # seed 1 is left, as the single task's
        screen = await refresh(pilot)
        assert param_columns(screen) == []


async def test_V_turns_the_varying_columns_off_and_is_remembered(layout: Layout, store: TaskStore) -> None:
    create_batch(store, SWEEP, prefix="sweep")
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        await pilot.press("V")
        await wait_for(pilot, lambda: param_columns(screen) == [])
        assert json.loads((layout.workspace_dir / PREFS_FILE).read_text())["varying"] is False
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert param_columns(screen) == []
        await pilot.press("V")
        await wait_for(pilot, lambda: param_columns(screen) == [("lr", True), ("bs", True)])


async def test_the_palette_hides_shows_and_pins_one_varying_parameter(layout: Layout, store: TaskStore) -> None:
    create_batch(store, {**SWEEP, "wd": "0 | 0.1", "dropout": "0.1 | 0.2"}, prefix="sweep")
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)

        def command(title: str) -> None:
            commands = {command.title: command for command in screen.palette_commands()}
            commands[title].callback()

        command("Manager: hide varying parameter lr")
        await wait_for(pilot, lambda: param_columns(screen) == [("bs", True), ("wd", True), ("dropout", True)])
        assert json.loads((layout.workspace_dir / PREFS_FILE).read_text())["hidden_params"] == ["lr"]
        command("Manager: pin parameter dropout")
        await wait_for(pilot, lambda: param_columns(screen) == [("dropout", False), ("bs", True), ("wd", True)])
        assert read_script_info(layout).pinned_params == ["dropout"]
        command("Manager: show varying parameter lr")
        await wait_for(pilot, lambda: param_columns(screen) == [("dropout", False), ("lr", True), ("bs", True)])


async def test_a_big_workspaces_varying_params_are_counted_in_the_loading_thread(layout: Layout, store: TaskStore) -> None:
    # over QUICK_PASS new tasks: listed before their configs are read, counted where they are
    store.create_tasks([NewTask(f"t{i}", {"lr": (0.1, 0.01, 0.001)[i % 3], "seed": 0}) for i in range(700)],
                       task_kind="plain", script=None)
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert param_columns(screen) == [("lr", True)]
        top = screen.table.rows[0]
        assert f"   {top.view.params['lr']}   " in row_text(screen, top.name)


def complete(task: Task) -> None:
    task.status = Status.COMPLETED
    task.runs = [finished_run(Status.COMPLETED)]


def labels(screen: ManagerScreen) -> list[str]:
    return [column.label for column in screen.table.columns]


async def test_a_metric_named_as_a_shown_parameter_is_headed_as_export_names_it(layout: Layout,
                                                                                store: TaskStore) -> None:
    """The demo script logs the lr it was given: its sweep showed two `lr` headers (and `sort: lr`
    for either); the metric, whose last value the column shows, is `lr.last` there, as in `ls -c`."""
    for name in create_batch(store, SWEEP, prefix="sweep").names:
        store.update(name, complete)
        layout.metrics_file(name).write_text(json.dumps({"step": 1, "loss": 0.5, "lr": 0.001}) + "\n")
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        await wait_for(pilot, lambda: "lr.last" in labels(screen))
        assert labels(screen)[2:6] == ["lr", "bs", "loss", "lr.last"]
        assert "lr.last" in header(screen) and header(screen).count(" lr ") == 1
        titles = [command.title for command in screen.palette_commands()]
        assert "Manager: sort by lr" in titles and "Manager: sort by lr.last" in titles


async def test_parameters_that_would_share_a_header_are_headed_by_their_whole_key(layout: Layout,
                                                                                  store: TaskStore) -> None:
    """model.depth and head.depth were both `depth`; a parameter `name` read as the task's name."""
    create_batch(store, {"name": "a | b", "model": {"depth": "18 | 34"}, "head": {"depth": "1 | 2"}}, prefix="s")
    async with open_app(layout).run_test(size=(120, 24)) as pilot:
        screen = await settle(pilot)
        assert labels(screen)[:5] == ["status", "name", "param.name", "model.depth", "head.depth"]
        assert "b" in row_text(screen, "s_8-of-8").split()


async def test_a_parameter_headed_param_name_is_searched_as_it_is_headed(layout: Layout, store: TaskStore) -> None:
    """`param.name:b` matched nothing (and `name:b` is the task's name): the search found no way to
    the column the Manager heads `param.name`."""
    names = create_batch(store, {"name": "a | b", "lr": "0.1 | 0.01"}, prefix="s").names
    wanted = sorted(name for name in names if store.load_config(name)["name"] == "b")
    async with open_app(layout).run_test(size=(120, 24)) as pilot:
        screen = await settle(pilot)
        for query, expected in (("param.name:b", wanted), ("-param.name:a", wanted), ("param.name!=a", wanted),
                                ("name:s_1", ["s_1-of-4"])):
            await pilot.press("slash", *query)
            await wait_for(pilot, lambda query=query: screen.browser.query_text == query)
            assert sorted(shown(screen)) == expected, query
            await pilot.press("escape")
            await wait_for(pilot, lambda: not screen.browser.query_text)


async def test_a_parameter_some_tasks_lack_varies_in_the_columns_and_the_chart_labels(layout: Layout,
                                                                                      store: TaskStore) -> None:
    """A task without `warmup` (made before the script had it) ran without the value the others
    set: the Manager's columns counted it as not varying where the chart labels and `compare` said
    it differs. One rule now (params/varying.py), counted as tasks come and over all at once."""
    from pyruns_tui.tui.widgets.monitor.charts import differing_params

    configs = {"old": {"lr": 0.1}, "new": {"lr": 0.1, "warmup": 100}}
    store.create_tasks([NewTask("old", configs["old"])], task_kind="plain", script=None)
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert param_columns(screen) == []  # one task: nothing varies
        store.create_tasks([NewTask("new", configs["new"])], task_kind="plain", script=None)
        screen = await refresh(pilot)
        assert param_columns(screen) == [("warmup", True)]  # added to the count
        edits.trash(store, ["old"])
        screen = await refresh(pilot)
        assert param_columns(screen) == []
        store.create_tasks([NewTask("old_2", configs["old"])], task_kind="plain", script=None)
        screen = await refresh(pilot)
        assert param_columns(screen) == [("warmup", True)]  # lacks a key counted before it
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert param_columns(screen) == [("warmup", True)]  # counted over all at once
    assert differing_params(configs) == {"old": "warmup=—", "new": "warmup=100"}
