"""Pilot tests of failure triage in the Manager: the error column, grouping by cause, the detail pane."""

from __future__ import annotations

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.tui.manager_helpers import build_workspace, finished_run, refresh, row_text, settle, shown, wait_for

OOM = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
ERRORS = {
    "oom_a": OOM, "nofile": "FileNotFoundError: [Errno 2] No such file or directory: 'a.csv'",
    "oom_b": OOM.replace("2.00", "4.00"), "oom_c": "out of memory (killed by the kernel)",
}


def _add_failures(layout: Layout) -> None:
    store = TaskStore(layout)
    store.create_tasks([NewTask(name, {"lr": 0.1}) for name in ERRORS], task_kind="plain", script=None)
    for minute, (name, error) in enumerate(ERRORS.items(), start=10):
        def change(task: Task, error: str = error, minute: int = minute) -> None:
            run = finished_run(Status.FAILED)
            run.error, run.error_line = error, 7
            task.status, task.runs = Status.FAILED, [run]
            task.created_at = f"2026-03-14T09:{minute}:00.000+00:00"

        store.update(name, change)


def _status_line(app: PyrunsApp) -> str:
    return str(app.screen.query_one("#manager-status").render())


async def test_failed_tasks_show_their_error_and_group_by_cause(layout: Layout) -> None:
    build_workspace(layout)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        assert "error" not in [c.label for c in screen.table.columns]  # no failure has an error yet
        _add_failures(layout)
        screen = await refresh(pilot)
        assert "error" in [c.label for c in screen.table.columns]
        assert "FileNotFoundError: [Errno 2] No suc…" in row_text(screen, "nofile")  # cut to the column

        await pilot.press("E")
        await wait_for(pilot, lambda: screen.browser.sort_column().key == "error")
        assert shown(screen)[:4] == ["oom_a", "oom_b", "nofile", "oom_c"]  # CUDA OOM together
        assert "2 × CUDA out of memory · 1 × FileNotFoundError · 1 × out of memory (killed by the kernel)" \
            in _status_line(app)

        await pilot.press("slash", *"error:oom", "enter")
        await wait_for(pilot, lambda: sorted(shown(screen)) == ["oom_a", "oom_b", "oom_c"])
        assert "2 × CUDA out of memory · 1 × out of memory (killed by the kernel)" in _status_line(app)

        await pilot.press("escape", "E")
        await wait_for(pilot, lambda: screen.browser.sort_column().key == "created")
        assert "×" not in _status_line(app)


async def test_detail_pane_shows_the_error_of_each_run(layout: Layout) -> None:
    build_workspace(layout)
    _add_failures(layout)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await settle(pilot)
        screen.table.move_to("nofile")
        await wait_for(pilot, lambda: screen.detail.task_name == "nofile")
        body = screen.detail.query_one("#detail-body")
        text = "\n".join(strip.text for strip in body.render_lines(body.region.reset_offset))
        flat = " ".join(text.split())  # long lines wrap in the pane
        assert "error: FileNotFoundError: [Errno 2] No such file or directory: 'a.csv'" in flat
        assert "'a.csv' (log line 7)" in flat


async def test_detail_pane_says_a_failed_task_s_error_once_above_its_runs(layout: Layout) -> None:
    # it said it twice in a row, `error: X` then `✖ X`: two of the few lines the pane has at 80x24
    build_workspace(layout)
    _add_failures(layout)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await settle(pilot)
        screen.table.move_to("oom_a")
        await wait_for(pilot, lambda: screen.detail.task_name == "oom_a")
        body = screen.detail.query_one("#detail-body")
        flat = " ".join(" ".join(strip.text for strip in body.render_lines(body.region.reset_offset)).split())
        assert f"error: {OOM} Notes" in flat  # no `✖ {OOM}` after it
        assert flat.count(OOM) == 2  # there, and with the run that failed so (then its log line)


def _contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(rgb: tuple[int, int, int]) -> float:
        lin = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def test_the_cursor_row_of_a_failed_task_is_readable(layout: Layout) -> None:
    """On the focused cursor row the red `✖ failed` and error cells kept their colour on the blue
    cursor background: a contrast of about 1.2 to 1, readable by hue alone."""
    _add_failures(layout)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(120, 20)) as pilot:
        screen = await settle(pilot)
        table = screen.table
        table.focus()
        table.cursor = table.index_of("oom_a")
        await pilot.pause()
        line = table.render_line(table.cursor - int(table.scroll_offset.y) + 1)
        poor = []
        for segment in line:
            style = segment.style
            if not segment.text.strip() or style is None or style.color is None or style.bgcolor is None:
                continue
            fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
            ratio = _contrast((fg.red, fg.green, fg.blue), (bg.red, bg.green, bg.blue))
            if ratio < 3:
                poor.append((segment.text, round(ratio, 2)))
    assert poor == []
