"""Pilot tests of the Manager screen on real workspaces in tmp dirs."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator

import pytest
from rich.style import Style
from textual.widgets import TextArea

from pyruns_tui.errors import RunnerError
from pyruns_tui.runner import client, control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models.history import HISTORY_FILE
from pyruns_tui.tui.models.prefs import PREFS_FILE
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.manager.compare import CompareDialog, compare_params
from pyruns_tui.tui.widgets.manager.dialogs import ConfirmDialog, NotesDialog
from pyruns_tui.tui.widgets.manager.task_table import GUTTER
from pyruns_tui.tui.widgets.manager.trash import TrashView
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status, now_iso
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import Shown
from tests.tui.manager_helpers import (
    build_workspace,
    refresh,
    row_text,
    settle,
    shown,
    wait_for,
)

ALL = ["base", "deep", "tiny_lr", "wide", "mid"]
SEARCHES = [
    ("", ALL),
    ("status:failed", ["tiny_lr"]),
    ("status:completed", ["base", "wide"]),
    ("lr:0.01", ["deep", "wide"]),
    ("lr>=0.01", ["base", "deep", "wide", "mid"]),
    ("lr<0.01", ["tiny_lr"]),
    ("model.depth:18", ["base", "tiny_lr"]),
    ("adam", ["base", "wide", "mid"]),
    ("adam lr<0.05", ["wide", "mid"]),
    ("loss<0.5", ["base", "wide"]),
    ("acc>0.9", ["wide"]),
    ("baseline", ["base"]),
    ("notes:diverged", ["tiny_lr"]),
    ("-opt:adam", ["deep", "tiny_lr"]),
    ("name:i", ["tiny_lr", "wide", "mid"]),
    ("nothing_matches_this", []),
]


def in_order(names: list[str]) -> list[str]:
    return sorted(names, key=ALL.index)


@pytest.fixture
def workspace(layout: Layout) -> TaskStore:
    return build_workspace(layout)


def open_app(layout: Layout, watch_disk: bool = False) -> PyrunsApp:
    return PyrunsApp(layout, start_mode="manager", watch_disk=watch_disk)


async def test_table_lists_every_task_newest_first_with_pinned_params(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test(size=(200, 40)) as pilot:
        screen = await settle(pilot)
        assert shown(screen) == ALL[::-1]
        labels = [column.label for column in screen.table.columns]
        assert labels[:4] == ["status", "name", "lr", "depth"]
        assert {"created", "duration", "runs", "gpus", "acc", "loss"} <= set(labels)
        text = row_text(screen, "tiny_lr")
        for part in ("✖ failed", "tiny_lr", "0.001", "18", "03-14 09:02", "2m05s", "2.5"):
            assert part in text


@pytest.mark.slow  # types every search key by key
async def test_search_filters_as_you_type(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        for query, expected in SEARCHES:
            await pilot.press("slash", *query)
            await wait_for(pilot, lambda query=query: screen.browser.query_text == query.strip())
            assert in_order(shown(screen)) == expected, query
            await pilot.press("escape")
            await wait_for(pilot, lambda: not screen.browser.query_text)
            assert len(shown(screen)) == len(ALL)


def test_remembered_term_matches_equal_a_fresh_search(layout: Layout, workspace: TaskStore) -> None:
    from pyruns_tui.tui.models.columns import build_columns
    from pyruns_tui.tui.models.task_index import TaskIndex, make_entry
    from pyruns_tui.workspace.query import Query, TaskView, flatten
    from pyruns_tui.workspace.select import last_metrics

    tasks = {task.name: task for task in workspace.scan()}
    index = TaskIndex()
    index.apply(index.load(workspace, tasks, tasks))
    ordered = index.ordered(build_columns([], [])[1], False)
    fresh = {name: TaskView(task, flatten(workspace.load_config(name)), last_metrics(workspace, name)) for name, task in tasks.items()}
    typed = [text[:end] for text, _ in SEARCHES for end in range(len(text) + 1)]

    def check(texts: list[str]) -> None:
        for text in texts:
            query = Query.parse(text)
            assert [e.name for e in index.filter(ordered, query)] == [e.name for e in ordered if query.matches(fresh[e.name])], text

    check(typed + typed[::-1])  # typing forwards and deleting backwards reuse remembered matches
    changed = workspace.update("deep", lambda t: setattr(t, "notes", "baseline adam"))
    fresh["deep"] = TaskView(changed, fresh["deep"].params, fresh["deep"].metrics)
    index.apply([make_entry(changed, fresh["deep"].params, fresh["deep"].metrics, True)])
    ordered = index.ordered(build_columns([], [])[1], False)
    check(typed)  # remembered matches follow a task that changed


async def test_search_history_is_persisted_and_recalled(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        await settle(pilot)
        await pilot.press("slash", *"lr:0.01", "enter")
        await pilot.press("slash", *"adam", "enter")
    history = json.loads((layout.workspace_dir / HISTORY_FILE).read_text())
    assert history["search"] == ["lr:0.01", "adam"]
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        await pilot.press("slash")
        bar = screen.browser.search_bar
        await pilot.press("up")
        assert bar.value == "adam"
        await pilot.press("up")
        assert bar.value == "lr:0.01"
        await pilot.press("down", "down")
        assert bar.value == ""
        await pilot.press("up", "enter")
        await wait_for(pilot, lambda: screen.browser.query_text == "adam")
        assert in_order(shown(screen)) == ["base", "wide", "mid"]


async def test_invalid_search_keeps_the_last_filter_and_says_why(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.browser.set_search("adam")
        screen.browser.set_search("adam lr>=")
        assert in_order(shown(screen)) == ["base", "wide", "mid"]
        assert "needs a value" in screen.browser.query_error


async def test_selection_keys(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        table = screen.table
        await pilot.press("space", "space")
        assert table.selected == set(ALL[::-1][:2])
        await pilot.press("space")
        await pilot.press("up", "space")
        assert table.selected == set(ALL[::-1][:2])
        await pilot.press("u")
        assert not table.selected
        await pilot.press("home", "shift+down", "shift+down")
        assert table.selected == set(ALL[::-1][:3])
        await pilot.press("escape")
        assert not table.selected
        screen.browser.set_search("adam")
        await pilot.press("a")
        assert table.selected == {"base", "wide", "mid"}
        assert screen.browser.targets() == ["mid", "wide", "base"]


async def test_highlighted_task_is_the_target_when_nothing_is_selected(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        await pilot.press("down")
        assert screen.browser.targets() == [ALL[::-1][1]]


async def test_j_and_k_move_the_cursor_as_in_the_monitors_task_list(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        await pilot.press("j", "j")
        assert screen.browser.targets() == [ALL[::-1][2]]
        await pilot.press("k")
        assert screen.browser.targets() == [ALL[::-1][1]]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MonitorScreen))
        await wait_for(pilot, lambda: pilot.app.screen.task_list.current == ALL[::-1][1])


async def test_delete_to_trash_and_restore_round_trip(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen.browser.set_search("adam")
        await pilot.press("space", "space")  # mid, wide
        await pilot.press("d")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: shown(screen) == ["base"])
        assert sorted(p.name for p in layout.trash_dir.iterdir()) == ["mid", "wide"]
        assert not layout.task_dir("mid").exists()
        screen = await refresh(pilot)
        assert "mid" not in screen.browser.index.entries
        await pilot.press("t")
        trash = pilot.app.screen
        assert isinstance(trash, TrashView)
        assert [task.name for task in trash.tasks] == ["mid", "wide"]
        await pilot.press("space", "down", "space", "r")
        await wait_for(pilot, lambda: in_order(shown(screen)) == ["base", "wide", "mid"])
        assert layout.task_info("mid").is_file() and layout.task_info("wide").is_file()
        assert not any(layout.trash_dir.iterdir())
        info = json.loads(layout.task_info("wide").read_text())
        assert info["status"] == "completed" and "trashed_at" not in info


async def test_the_trash_selects_all_with_a_as_the_manager_does(layout: Layout, workspace: TaskStore) -> None:
    # `a d y` deleted every shown task; restoring them took one space per task (`a` did nothing there)
    async with open_app(layout).run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen.browser.set_search("adam")
        await pilot.press("a", "d", "y")
        await wait_for(pilot, lambda: not layout.task_dir("mid").exists())
        await refresh(pilot)
        await pilot.press("t")
        assert isinstance(pilot.app.screen, TrashView)
        await pilot.press("a", "u", "a", "r")
        await wait_for(pilot, lambda: not layout.trash_dir.exists() or not any(layout.trash_dir.iterdir()))
        assert all(layout.task_info(name).is_file() for name in ALL)


async def test_the_delete_dialog_speaks_of_one_task_in_the_singular(layout: Layout, workspace: TaskStore) -> None:
    # "Delete 1 task? ... They go to the trash; press t to restore them."
    async with open_app(layout).run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        for keys, count, words in ((("d",), "1 task", "It goes to the trash; press t to restore it."),
                                   (("space", "down", "space", "d"), "2 tasks",
                                    "They go to the trash; press t to restore them.")):
            await pilot.press(*keys)
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
            dialog = pilot.app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert dialog.title_text == f"Delete {count}?" and dialog.body.endswith("\n\n" + words)
            await pilot.press("n")
            await wait_for(pilot, lambda: pilot.app.screen is screen)


async def test_delete_can_be_cancelled(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        await pilot.press("d", "n")
        assert not isinstance(pilot.app.screen, ConfirmDialog)
        assert len(shown(screen)) == len(ALL)
        assert not layout.trash_dir.exists() or not any(layout.trash_dir.iterdir())


async def test_notes_are_saved_to_task_info(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.table.move_to("deep")
        await pilot.press("n")
        assert isinstance(pilot.app.screen, NotesDialog)
        await pilot.press(*"lr too high", "enter", *"try 0.003", "ctrl+s")
        await wait_for(pilot, lambda: screen.browser.index.entries["deep"].task.notes == "lr too high\ntry 0.003")
        assert json.loads(layout.task_info("deep").read_text())["notes"] == "lr too high\ntry 0.003"
        await pilot.press("slash", *"notes:0.003")
        await wait_for(pilot, lambda: shown(screen) == ["deep"])


async def test_notes_over_the_limit_are_refused_and_oversized_ones_not_opened(layout: Layout, workspace: TaskStore,
                                                                             notifications) -> None:  # type: ignore[no-untyped-def]
    # a 20 MB note took the editor seconds and ~0.5 GB to open, and was rewritten with every record change
    from pyruns_tui.workspace.notes import MAX_NOTES

    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.table.move_to("deep")
        await pilot.press("n")
        assert isinstance(pilot.app.screen, NotesDialog)
        pilot.app.screen.query_one(TextArea).text = "z" * (MAX_NOTES + 1)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("over the 100,000 allowed" in n.message for n in notifications))
        assert json.loads(layout.task_info("deep").read_text()).get("notes", "") == ""
        # the editor stays open with what was typed (it closed, and the text was gone)
        assert isinstance(pilot.app.screen, NotesDialog)
        area = pilot.app.screen.query_one(TextArea)
        assert area.text == "z" * (MAX_NOTES + 1)
        area.text = "kept short"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, NotesDialog))
        assert json.loads(layout.task_info("deep").read_text())["notes"] == "kept short"
        workspace.update("deep", lambda t: setattr(t, "notes", "w" * (MAX_NOTES + 5)))  # by hand, or an older version
        notifications.clear()
        await pilot.press("n")
        await wait_for(pilot, lambda: bool(notifications))
        assert not isinstance(pilot.app.screen, NotesDialog) and notifications[-1].severity == "error"
        assert "100,005 characters" in notifications[-1].message and "pyr-tui note deep TEXT" in notifications[-1].message


async def test_pin_puts_tasks_first_and_persists(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.table.move_to("tiny_lr")
        await pilot.press("p")
        await wait_for(pilot, lambda: shown(screen)[0] == "tiny_lr")
        assert json.loads(layout.task_info("tiny_lr").read_text())["pinned"] is True
        assert "★ tiny_lr" in row_text(screen, "tiny_lr")
        assert screen.table.cursor_name == "tiny_lr"
        await pilot.press("p")
        await wait_for(pilot, lambda: shown(screen) == ALL[::-1])
        assert json.loads(layout.task_info("tiny_lr").read_text())["pinned"] is False


async def test_sort_cycles_columns_flips_and_is_remembered(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        assert browser.sort_column().key == "created" and browser.prefs.reverse
        while browser.sort_column().key != "p:lr":
            await pilot.press("o")
        assert shown(screen) == ["base", "mid", "wide", "deep", "tiny_lr"]  # lr descending, ties by name descending too
        await pilot.press("O")
        assert shown(screen) == ["tiny_lr", "deep", "wide", "mid", "base"]
        prefs = json.loads((layout.workspace_dir / PREFS_FILE).read_text())
        assert prefs["sort"] == "p:lr" and prefs["reverse"] is False
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert shown(screen) == ["tiny_lr", "deep", "wide", "mid", "base"]


async def test_a_narrow_sorted_column_keeps_its_arrow(layout: Layout, workspace: TaskStore) -> None:
    # `runs` is 4 cells wide: sorted by it, the header showed `run…` and no direction
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        while browser.sort_column().key != "runs":
            await pilot.press("o")
        await pilot.pause()
        at = [c.key for c in screen.table.columns].index("runs")
        width = screen.table.widths[at]
        header = screen.table._header(200, Style()).text
        start = sum(w + 1 for w in screen.table.widths[:at]) + GUTTER
        assert header[start:start + width].rstrip()[-1] in "▲▼", header


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_sort_column_o_reaches_is_on_screen(layout: Layout, size: tuple[int, int]) -> None:
    # at 80 columns most columns are off to the right: `o` used to sort by them out of sight
    build_workspace(layout, pinned=("lr", "model.depth", "opt"))
    async with open_app(layout).run_test(size=size) as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        keys = [column.key for column in browser.columns]
        assert sum(w + 1 for w in screen.table.widths) + 2 > 80  # wider than a small screen
        for _ in keys:
            await pilot.press("o")
            column = browser.sort_column()
            await pilot.pause()
            line = screen.table.render_line(0).text  # as on screen, scrolled sideways
            assert column.label[:2] in line and ("▲" in line or "▼" in line), (column.key, line)
            if column.key == "status":  # round to the first column: back at the left end
                assert screen.table.scroll_offset.x == 0
        assert browser.sort_column().key == "created"  # round the whole cycle


async def test_m_opens_a_chooser_and_the_choice_is_remembered(layout: Layout, workspace: TaskStore) -> None:
    from pyruns_tui.tui.widgets.manager.metric_chooser import MetricChooser

    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        browser = screen.browser
        assert browser.metric_columns() == ["acc", "loss"]
        sort = browser.prefs.sort
        await pilot.press("m")
        assert isinstance(pilot.app.screen, MetricChooser)
        await pilot.press("space", "enter")  # untick acc (the first)
        assert browser.metric_columns() == ["loss"] and browser.prefs.sort == sort
        assert [c.key for c in screen.table.columns if c.is_metric] == ["m:loss"]
        await pilot.press("m", "escape")
        assert browser.metric_columns() == ["loss"]
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert screen.browser.metric_columns() == ["loss"]
        screen.browser.toggle_metric("acc")
        assert screen.browser.metric_columns() == ["loss", "acc"]


async def test_default_metric_columns_stay_when_new_metrics_appear(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert screen.browser.metric_columns() == ["acc", "loss"]
        with open(layout.metrics_file("base"), "a") as stream:
            stream.write(json.dumps({"step": 9, "a_first": 1.0, "lr": 0.1}) + "\n")
        workspace.update("base", lambda task: setattr(task, "notes", "reread"))  # its files are read again
        screen = await refresh(pilot)
        assert "a_first" in screen.browser.index.metric_names()
        assert screen.browser.metric_columns() == ["acc", "loss"]


async def test_a_loops_counter_is_no_default_metric_column(layout: Layout, workspace: TaskStore) -> None:
    """kuangliu/pytorch-cifar prints `Epoch: 0`, then `Loss: 2.1 | Acc: 23.4%` as its batches go:
    `Epoch` and `Loss` took both columns and kept them, and `Acc` never showed."""
    for name in ALL:
        layout.metrics_file(name).unlink(missing_ok=True)
    metrics = layout.metrics_file("wide")
    metrics.write_text(json.dumps({"source": "output", "Epoch": 0}) + "\n"
                       + json.dumps({"source": "output", "Loss": 2.1}) + "\n")
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert screen.browser.metric_columns() == ["Loss"]
        with open(metrics, "a") as stream:
            stream.write(json.dumps({"source": "output", "Loss": 1.9, "Acc": 30.5}) + "\n")
        workspace.update("wide", lambda task: setattr(task, "notes", "reread"))  # its files are read again
        screen = await refresh(pilot)
        assert [c.key for c in screen.table.columns if c.is_metric] == ["m:Loss", "m:Acc"]
    # the columns an earlier version kept in the prefs give a counter's place to the next name
    prefs = layout.workspace_dir / PREFS_FILE
    kept = json.loads(prefs.read_text())
    prefs.write_text(json.dumps({**kept, "default_metrics": ["Epoch", "Loss"]}))
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert [c.key for c in screen.table.columns if c.is_metric] == ["m:Loss", "m:Acc"]
        screen.browser.toggle_metric("Epoch")  # chosen, it is a column as any other
        assert screen.browser.metric_columns() == ["Loss", "Acc", "Epoch"]


async def test_default_metric_columns_are_the_same_in_the_next_session(layout: Layout, workspace: TaskStore) -> None:
    """The default columns are kept in the workspace's prefs: a metric that appeared while the
    Manager was open (a run still logging) never moves them in the next session; one that no
    task logs any more gives its place to the next name."""
    layout.metrics_file("wide").write_text(json.dumps({"step": 0, "loss": 0.5}) + "\n")  # no acc yet
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert screen.browser.metric_columns() == ["loss"]
        with open(layout.metrics_file("wide"), "a") as stream:
            stream.write(json.dumps({"step": 1, "loss": 0.2, "acc": 0.93}) + "\n")
        workspace.update("wide", lambda task: setattr(task, "notes", "reread"))  # its files are read again
        screen = await refresh(pilot)
        assert screen.browser.metric_columns() == ["loss", "acc"]
    for _ in range(2):
        async with open_app(layout).run_test() as pilot:
            screen = await settle(pilot)
            assert [c.key for c in screen.table.columns if c.is_metric] == ["m:loss", "m:acc"]
    workspace.trash(["wide"])  # the only task that logged acc
    layout.metrics_file("base").write_text(json.dumps({"step": 0, "loss": 0.4, "top5": 0.7}) + "\n")
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert screen.browser.metric_columns() == ["loss", "top5"]


async def test_live_status_change_updates_the_row_in_place(layout: Layout, workspace: TaskStore) -> None:
    writer = TaskStore(layout)  # another process's view of the workspace (the runner's)
    async with open_app(layout, watch_disk=True).run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        screen.table.move_to("tiny_lr")
        screen.table.selected.add("base")
        rows_before = screen.table.rows

        def start(task):  # type: ignore[no-untyped-def]
            task.status = Status.RUNNING
            task.runs.append(Run(index=2, status=Status.RUNNING, start=now_iso(), pid=999))

        writer.update("deep", start)
        await wait_for(pilot, lambda: "▶ running" in row_text(screen, "deep"))
        assert screen.table.rows is rows_before  # the same list, one entry swapped: no rebuild
        assert screen.table.cursor_name == "tiny_lr" and screen.table.selected == {"base"}
        assert re.search(r" \d+s\b", row_text(screen, "deep"))  # a running task's duration counts up
        repaints = screen.table.tick_repaints
        await wait_for(pilot, lambda: screen.table.tick_repaints > repaints, timeout=5)


async def test_running_durations_past_a_minute_are_repainted_only_when_the_minute_changes(
        layout: Layout, workspace: TaskStore) -> None:
    from datetime import datetime, timedelta, timezone

    started = (datetime.now(timezone.utc) - timedelta(seconds=630)).isoformat(timespec="milliseconds")

    def start(task):  # type: ignore[no-untyped-def]
        task.status = Status.RUNNING
        task.runs.append(Run(index=2, status=Status.RUNNING, start=started, pid=999))

    workspace.update("deep", start)
    async with open_app(layout).run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        assert re.search(r" 10m\b", row_text(screen, "deep"))  # to the minute once past the first one
        ticks, repaints = screen.table.ticks, screen.table.tick_repaints
        await wait_for(pilot, lambda: screen.table.ticks >= ticks + 2, timeout=10)
        assert screen.table.tick_repaints == repaints  # "10m" for another 30 s: nothing repainted


async def test_new_and_removed_tasks_appear_and_disappear(layout: Layout, workspace: TaskStore) -> None:
    from tests.conftest import make_tasks

    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        make_tasks(workspace, 2, prefix="extra")
        screen = await refresh(pilot)
        assert {"extra0", "extra1"} <= set(shown(screen))
        workspace.trash(["extra0"])
        screen = await refresh(pilot)
        assert "extra0" not in shown(screen) and "extra1" in shown(screen)


async def test_detail_pane_shows_config_runs_env_and_notes(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test(size=(140, 50)) as pilot:
        screen = await settle(pilot)
        screen.table.move_to("tiny_lr")
        await wait_for(pilot, lambda: screen.detail.task_name == "tiny_lr")
        body = screen.detail.query_one("#detail-body")
        text = "\n".join("".join(s.text for s in line) for line in body.render_lines(body.region.reset_offset))
        for part in ("diverged?", "lr: 0.001", "Runs (1)", "4243", "gpu-box", "3f2a9c1d*", "CUDA_VISIBLE_DEVICES=0",
                     "+1 inherited", "2m05s"):
            assert part in text, part


async def test_detail_pane_is_toggled_at_80_columns(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert not screen.detail.display or screen.detail.has_class("-hidden")
        await pilot.press("v")
        assert not screen.detail.has_class("-hidden")
        await wait_for(pilot, lambda: screen.detail.task_name == screen.table.cursor_name)


async def test_compare_two_selected_tasks(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        await pilot.press("c")
        assert not isinstance(pilot.app.screen, CompareDialog)  # needs exactly two
        screen.table.set_selected(["base", "wide"])
        await pilot.press("c")
        dialog = pilot.app.screen
        assert isinstance(dialog, CompareDialog)
        assert {dialog.a.task.name, dialog.b.task.name} == {"base", "wide"}
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, CompareDialog)


def test_compare_lists_differing_params_first(layout: Layout, workspace: TaskStore) -> None:
    from pyruns_tui.workspace.query import TaskView

    a = TaskView(workspace.get("base"), {"lr": 0.1, "model.depth": 18, "opt": "adam"}, {})
    b = TaskView(workspace.get("wide"), {"lr": 0.01, "model.depth": 50, "opt": "adam", "extra": 1}, {})
    rows = compare_params(a, b)
    assert [(r.key, r.a, r.b, r.differs) for r in rows] == [
        ("extra", "—", "1", True), ("lr", "0.1", "0.01", True), ("model.depth", "18", "50", True), ("opt", "adam", "adam", False),
    ]


async def test_enter_opens_the_task_in_monitor(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.table.move_to("wide")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.current_mode == "monitor")
        assert isinstance(pilot.app.screen, MonitorScreen)


@pytest.fixture
def runner_cleanup(layout: Layout) -> Iterator[None]:
    """Stops the runner a test's action may have started (after its tasks ended)."""
    yield
    store = TaskStore(layout)
    with contextlib.suppress(RunnerError):
        control.wait(store, store.names(), timeout_s=60, keep_runner=False)
    client.stop_runner(layout)


async def test_multi_select_and_run_queues_exactly_those_tasks(layout: Layout, workspace: TaskStore, runner_cleanup: None) -> None:
    before = {name: json.loads(layout.task_info(name).read_text()) for name in ALL}
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.table.move_to("wide")
        await pilot.press("space")  # wide (completed: a rerun)
        screen.table.move_to("deep")
        await pilot.press("space", "r")  # deep (pending: a first run)
        after = {name: json.loads(layout.task_info(name).read_text()) for name in ALL}
        for name in ("wide", "deep"):
            assert after[name]["queued_at"] is not None, name
            assert after[name]["status"] in ("queued", "running", "completed", "failed"), after[name]["status"]
        for name in ("base", "tiny_lr", "mid"):
            assert after[name] == before[name], name
        await wait_for(pilot, lambda: client.runner_alive(layout), timeout=30)


async def test_cancel_and_stop_take_queued_tasks_back_to_pending(layout: Layout, workspace: TaskStore) -> None:
    control.queue(workspace, ["deep", "wide"], start_runner=False)  # queued with no runner to pick them up
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert "◷ queued" in row_text(screen, "deep")
        screen.table.move_to("deep")
        await pilot.press("s")
        assert json.loads(layout.task_info("deep").read_text())["status"] == "pending"
        screen.table.move_to("wide")
        await pilot.press("s")
        assert json.loads(layout.task_info("wide").read_text())["status"] == "pending"
        screen = await refresh(pilot)
        assert "○ pending" in row_text(screen, "deep") and "○ pending" in row_text(screen, "wide")
        assert not client.runner_alive(layout)


async def test_opening_with_attach_runner_starts_one_for_queued_tasks(layout: Layout, workspace: TaskStore, runner_cleanup: None) -> None:
    control.queue(workspace, ["deep"], start_runner=False)  # queued, and its runner died
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False, attach_runner=True)  # as `pyr-tui` opens it
    async with app.run_test() as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: client.runner_alive(layout), timeout=30)


async def test_refused_actions_say_why(layout: Layout, workspace: TaskStore, notifications: list[Shown]) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.table.move_to("base")
        await pilot.press("s")  # base is completed: nothing to stop
        assert json.loads(layout.task_info("base").read_text())["status"] == "completed"
        assert any("base: " in str(n.message) for n in notifications)


async def test_e_duplicates_the_config_into_the_generator(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        screen.table.move_to("wide")
        await pilot.press("e")
        await wait_for(pilot, lambda: pilot.app.current_mode == "generator")


async def test_markup_in_names_and_searches_is_shown_literally(layout: Layout, workspace: TaskStore) -> None:
    from textual.widgets import Static

    from pyruns_tui.workspace.store import NewTask

    workspace.create_tasks([NewTask("odd[bold]", {"lr": 0.5})], task_kind="plain", script=None)
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        await pilot.press("slash", *"[bold", "enter")
        await wait_for(pilot, lambda: shown(screen) == ["odd[bold]"])
        await pilot.press("d")
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        body = dialog.query_one("#dialog-body", Static)
        assert "odd[bold]" in "".join(s.text for line in body.render_lines(body.region.reset_offset) for s in line)
        await pilot.press("y")
        await wait_for(pilot, lambda: shown(screen) == [])
        assert (layout.trash_dir / "odd[bold]").is_dir()


async def test_params_pinned_elsewhere_become_columns_on_return(layout: Layout, workspace: TaskStore) -> None:
    from pyruns_tui.workspace.bootstrap import read_script_info, write_script_info

    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        assert [c.key for c in screen.table.columns][2:4] == ["p:lr", "p:model.depth"]
        pilot.app.switch_mode("monitor")
        await pilot.pause()
        info = read_script_info(layout)
        info.pinned_params = ["opt"]
        write_script_info(layout, info)
        pilot.app.switch_mode("manager")
        await wait_for(pilot, lambda: [c.key for c in screen.table.columns][2] == "p:opt")
        assert "adam" in row_text(screen, "wide")


async def test_palette_offers_sorting_and_metric_columns(layout: Layout, workspace: TaskStore) -> None:
    async with open_app(layout).run_test() as pilot:
        screen = await settle(pilot)
        commands = {command.title: command for command in screen.palette_commands()}
        assert {"Manager: sort by name", "Manager: hide metric acc", "Manager: trash"} <= set(commands)
        commands["Manager: sort by name"].callback()
        commands["Manager: hide metric acc"].callback()
        assert screen.browser.sort_column().key == "name"
        assert screen.browser.metric_columns() == ["loss"]


async def test_detail_pane_shows_a_shell_task_command(layout: Layout, workspace: TaskStore) -> None:
    from pyruns_tui.workspace.store import NewTask

    workspace.create_tasks([NewTask("cmd", {"lr": 1}, command="python train.py --lr 1")], task_kind="shell", script=None)
    async with open_app(layout).run_test(size=(140, 40)) as pilot:
        screen = await settle(pilot)
        screen.table.move_to("cmd")
        await wait_for(pilot, lambda: screen.detail.task_name == "cmd")
        body = screen.detail.query_one("#detail-body")
        text = "\n".join("".join(s.text for s in line) for line in body.render_lines(body.region.reset_offset))
        assert "Command (config.sh)" in text and "python train.py --lr 1" in text


async def test_a_big_workspace_is_listed_then_indexed_and_the_collector_resumes(layout: Layout) -> None:
    import gc

    from pyruns_tui.tui.widgets.manager.browser import QUICK_PASS
    from tests.conftest import make_tasks

    count = QUICK_PASS + 100  # enough for the quick pass: rows first, configs after the paint
    make_tasks(TaskStore(layout), count, prefix="sweep_", lr=0.01)
    async with open_app(layout).run_test(size=(120, 30)) as pilot:
        screen = await settle(pilot)
        assert len(shown(screen)) == count
        assert all(entry.config_loaded for entry in screen.browser.index.entries.values())
        screen.browser.set_search("i:7")
        await pilot.pause()
        assert shown(screen) == ["sweep_7"]
        assert gc.isenabled()  # paused while the tasks loaded, running again


async def test_later_scans_leave_the_collector_alone(layout: Layout) -> None:
    import gc

    async with open_app(layout).run_test() as pilot:  # an empty workspace: every scan finds nothing
        await settle(pilot)
        frozen = gc.get_freeze_count()
        await refresh(pilot)
        await refresh(pilot)
        assert gc.get_freeze_count() <= frozen and gc.isenabled()  # no freeze (nor leak) per refresh
