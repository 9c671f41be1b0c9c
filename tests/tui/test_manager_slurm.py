"""The Manager on a workspace that runs on Slurm: job id and node columns."""

from __future__ import annotations

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status
from tests.tui.manager_helpers import build_workspace, row_text, settle


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
