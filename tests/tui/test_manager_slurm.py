"""The Manager on a workspace that runs on Slurm: job id and node columns."""

from __future__ import annotations

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status
from tests.tui.manager_helpers import build_workspace, row_text, settle, wait_for


def _on_slurm(task) -> None:  # type: ignore[no-untyped-def]
    task.runs.append(Run(index=len(task.runs) + 1, status=Status.COMPLETED, backend="slurm", slurm_job_id="4242_17",
                         node="gpu-node-07", restarts=0))
    task.status = Status.COMPLETED


async def test_job_id_and_node_columns_only_when_the_workspace_uses_slurm(layout: Layout) -> None:
    store = build_workspace(layout)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(220, 40)) as pilot:
        screen = await settle(pilot)
        assert not {"job id", "node"} & {column.label for column in screen.table.columns}
    store.update("wide", _on_slurm)
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(220, 40)) as pilot:
        screen = await settle(pilot)
        labels = [column.label for column in screen.table.columns]
        assert labels.index("gpus") < labels.index("job id") < labels.index("node")
        assert "4242_17" in row_text(screen, "wide") and "gpu-node-07" in row_text(screen, "wide")
        assert "4242_17" not in row_text(screen, "base")
    layout.settings_file.write_text("executor: slurm\n")
    store.update("wide", lambda t: t.runs.pop())
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(220, 40)) as pilot:
        screen = await settle(pilot)
        assert {"job id", "node"} <= {column.label for column in screen.table.columns}


def _queued_on_slurm(reason: str):  # type: ignore[no-untyped-def]
    def change(task) -> None:  # type: ignore[no-untyped-def]
        task.runs.append(Run(index=len(task.runs) + 1, status=Status.QUEUED, backend="slurm", slurm_job_id="4242_3",
                             restarts=0))
        task.status, task.reason = Status.QUEUED, reason

    return change


async def test_a_queued_row_says_why_it_waits_cut_to_the_room(layout: Layout) -> None:
    """The row of a task waiting in Slurm's queue said only `◷ queued`: why (task.reason, what
    `ls` prints as `queued (Slurm: Resources)`) was in `ls` and the detail pane only. The status
    column widens for it, to a quarter of the table: the reason is cut inside its parentheses,
    and left out where not 3 of its characters fit."""
    store = build_workspace(layout)
    store.update("wide", _queued_on_slurm("Slurm: Resources"))
    store.update("base", _queued_on_slurm("Slurm: JobArrayTaskLimit"))
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert row_text(screen, "wide").startswith("  ◷ queued (Resources) ")
        assert row_text(screen, "base").startswith("  ◷ queued (JobArray…) ")
        assert row_text(screen, "mid").startswith("  ■ interrupted ")  # (a state without a reason as before)
        await pilot.resize_terminal(240, 24)
        await pilot.pause()
        assert row_text(screen, "base").startswith("  ◷ queued (JobArrayTaskLimit) ")
        await pilot.resize_terminal(48, 24)
        await pilot.pause()
        assert row_text(screen, "wide").startswith("  ◷ queued     ")


async def test_the_detail_pane_says_what_slurms_reason_means(layout: Layout) -> None:
    # `reason: Slurm: PartitionConfig` alone: a job that can never start pended for ever with no hint
    store = build_workspace(layout)
    store.update("wide", _queued_on_slurm("Slurm: PartitionConfig"))
    store.update("base", _queued_on_slurm("Slurm: Resources"))
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(160, 50)) as pilot:
        screen = await settle(pilot)
        assert row_text(screen, "wide").startswith("  ◷ queued (Partition")  # the cell stays short

        async def detail(name: str) -> str:
            screen.table.move_to(name)
            await wait_for(pilot, lambda: screen.detail.task_name == name)
            body = screen.detail.query_one("#detail-body")
            lines = body.render_lines(body.region.reset_offset)
            return " ".join("".join(s.text for s in line).strip() for line in lines)

        text = await detail("wide")
        assert "why: it asks for more than its partition allows (CPUs, memory, GPUs or nodes), so it never starts" in text
        assert "or another partition" in text, text
        assert "why: waiting for free CPUs, memory or GPUs (normal" in await detail("base")


async def test_the_stop_question_counts_right_and_says_scancel_on_slurm(layout: Layout) -> None:
    # one running task was asked about as "They get SIGTERM...", and a task on Slurm is stopped
    # with scancel, which the question did not say
    from pyruns_tui.tui.widgets.manager.dialogs import ConfirmDialog

    store = build_workspace(layout)

    def running_on(backend: str):  # type: ignore[no-untyped-def]
        def change(task) -> None:  # type: ignore[no-untyped-def]
            task.runs.append(Run(index=len(task.runs) + 1, status=Status.RUNNING, backend=backend,
                                 slurm_job_id="4242_5" if backend == "slurm" else None, node="n1", restarts=0))
            task.status = Status.RUNNING

        return change

    store.update("wide", running_on("slurm"))
    store.update("base", running_on("local"))
    async with PyrunsApp(layout, start_mode="manager", watch_disk=False).run_test(size=(160, 40)) as pilot:
        screen = await settle(pilot)

        async def question(name: str) -> str:
            screen.table.move_to(name)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
            dialog = pilot.app.screen
            assert isinstance(dialog, ConfirmDialog)
            body = dialog.body
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ConfirmDialog))
            return body

        assert question_end(await question("wide")) == "scancel stops it on Slurm: SIGTERM, then SIGKILL after the grace period (10 s)."
        assert question_end(await question("base")) == "It gets SIGTERM, then SIGKILL after the grace period (10 s)."


def question_end(body: str) -> str:
    return body.rsplit("\n\n", 1)[-1]
