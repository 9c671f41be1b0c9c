"""The Monitor's system panel on a workspace that runs on Slurm: the cluster view."""

from __future__ import annotations

import os
import shutil
import subprocess

from pyruns_tui.runner.slurm.view import ClusterLoad, PartitionLoad
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.monitor.system_panel import SystemPanel, render_system
from pyruns_tui.workspace.layout import Layout
from tests.conftest import require_backend
from tests.tui.monitor_fixtures import fixed_sample
from tests.tui.test_monitor import settle, wait_for


def test_the_cluster_view_replaces_the_gpus() -> None:
    load = ClusterLoad({"RUNNING": 3, "PENDING": 17}, "t", (PartitionLoad("gpu", "up", 4, 3, 17),))
    text = render_system([fixed_sample()], 60, cluster=load, on_slurm=True).plain
    assert "Slurm 3 running · 17 pending" in text and "gpu" in text and "run 3 pend 17" in text
    assert "GPU0" not in text and "NVIDIA" not in text
    assert "Slurm: asking" in render_system([fixed_sample()], 60, on_slurm=True).plain
    failed = ClusterLoad({}, None, (), "squeue failed: cannot reach slurmctld")
    assert "cannot reach slurmctld" in render_system([fixed_sample()], 60, cluster=failed, on_slurm=True).plain


async def test_the_monitor_shows_the_partitions_of_a_real_cluster(layout: Layout) -> None:
    up = shutil.which("sinfo") is not None and bool(os.environ.get("SLURM_CONF")) and subprocess.run(
        ["sinfo", "-h"], capture_output=True, timeout=30).returncode == 0
    require_backend("slurm", up, "no Slurm cluster (run .ci/backends/slurm-up.sh)")
    layout.settings_file.write_text("executor: slurm\n")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        panel = app.screen.query_one(SystemPanel)
        await wait_for(pilot, lambda: panel.cluster_load is not None and "debug" in panel.render().plain)
        assert "no jobs of this workspace" in panel.render().plain
