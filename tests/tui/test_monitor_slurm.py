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
    load = ClusterLoad((PartitionLoad("gpu", "up", 4, 3, 17),))
    text = render_system([fixed_sample()], 60, cluster=load, on_slurm=True, jobs={"running": 3, "queued": 17}).plain
    assert "Slurm 3 running · 17 queued" in text and "gpu" in text and "run 3 pend 17" in text
    assert "GPU0" not in text and "NVIDIA" not in text
    assert "Slurm: asking" in render_system([fixed_sample()], 60, on_slurm=True).plain
    failed = ClusterLoad((), "squeue failed: cannot reach slurmctld")
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
        assert "no task of this workspace queued or running" in panel.render().plain


async def test_a_task_queued_on_slurm_says_why_then_its_log_is_followed(layout: Layout, capsys) -> None:  # type: ignore[no-untyped-def]
    # the Monitor said `run 1 of 'q' never started: Slurm: Resources` for an index waiting in the
    # queue, and kept saying it once the job ran: its log was never shown until another task was
    # picked and this one again. `pyr-tui log` said "never started" too
    from pyruns_tui.cli import main as cli_main
    from pyruns_tui.workspace.model import Run, Status
    from pyruns_tui.workspace.store import NewTask, TaskStore
    from tests.tui.test_monitor import log_text, monitor

    store = TaskStore(layout)
    store.create_tasks([NewTask("q", {})], task_kind="plain", script=None)

    def queued(task) -> None:  # type: ignore[no-untyped-def]
        task.runs.append(Run(index=1, status=Status.QUEUED, backend="slurm", slurm_job_id="227_2",
                             log="run_logs/run1.log", restarts=0))
        task.status, task.reason = Status.QUEUED, "Slurm: Resources"

    store.update("q", queued)
    assert cli_main(["-C", str(layout.root.parent), "log", "q"]) == 1
    assert capsys.readouterr().err.strip() == ("pyr-tui: error: run 1 of 'q' has not started yet: queued (Slurm: Resources);"
                                               " `pyr-tui log q -f` follows it once it starts")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await app.open_task("q")
        screen = monitor(app)
        assert screen.log_pane.view.empty_text == "run 1 of 'q' has not started yet: queued (Slurm: Resources)"
        assert "has not started yet" in screen.log_pane.view.render_line(0).text  # shown, though its log is open

        def running(task) -> None:  # type: ignore[no-untyped-def]
            task.runs[-1].status, task.runs[-1].node = Status.RUNNING, "node1"
            task.status, task.reason = Status.RUNNING, None

        log = layout.run_log("q", 1)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes(b"epoch 1/3 on the node\n")  # the launcher writes it on the shared filesystem
        store.update("q", running)
        app.refresh_tasks()
        await wait_for(pilot, lambda: log_text(screen) == ["epoch 1/3 on the node"], 10, "the log once the job runs")


async def test_the_panel_counts_the_tasks_on_slurm_by_their_own_status(layout: Layout) -> None:
    # the panel counted Slurm's job states of the runner's last poll: a task the user stopped
    # (`interrupted` in the list) was `1 failed` (its job FAILED or CANCELLED), a queued one `pending`
    import json

    from pyruns_tui.runner.slurm.submit import slurm_dir
    from pyruns_tui.workspace.model import Run, Status
    from pyruns_tui.workspace.store import NewTask, TaskStore

    layout.settings_file.write_text("executor: slurm\n")
    store = TaskStore(layout)
    store.create_tasks([NewTask(n, {}) for n in ("stopped", "waits", "runs")], task_kind="plain", script=None)
    for name, status, job in (("stopped", Status.INTERRUPTED, "7_0"), ("waits", Status.QUEUED, "7_1"),
                              ("runs", Status.RUNNING, "7_2")):
        def change(task, status: Status = status, job: str = job) -> None:  # type: ignore[no-untyped-def]
            task.runs.append(Run(index=1, status=status, backend="slurm", slurm_job_id=job, restarts=0))
            task.status = status

        store.update(name, change)
    slurm_dir(layout).mkdir(parents=True, exist_ok=True)
    (slurm_dir(layout) / "status.json").write_text(json.dumps({"polled_at": "2026-01-01T00:00:00+00:00", "jobs": {
        "7_0": {"state": "FAILED", "reason": "None", "node": "n1"},
        "7_1": {"state": "PENDING", "reason": "Resources", "node": ""},
        "7_2": {"state": "RUNNING", "reason": "None", "node": "n1"}}}))
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        panel = app.screen.query_one(SystemPanel)
        await wait_for(pilot, lambda: panel.cluster_load is not None and "Slurm " in panel.render().plain)
        head = next(line for line in panel.render().plain.splitlines() if line.startswith("Slurm "))
        assert head == "Slurm 1 running · 1 queued", head


async def test_a_task_that_can_never_start_says_what_to_do_while_queued(layout: Layout) -> None:
    # `run 1 of 'big' has not started yet: queued (Slurm: PartitionConfig)` and nothing on why it
    # waits for ever (it asks for more than its partition has) or what to do
    from pyruns_tui.workspace.model import Run, Status
    from pyruns_tui.workspace.store import NewTask, TaskStore
    from tests.tui.test_monitor import monitor

    store = TaskStore(layout)
    store.create_tasks([NewTask("big", {})], task_kind="plain", script=None)

    def queued(task) -> None:  # type: ignore[no-untyped-def]
        task.runs.append(Run(index=1, status=Status.QUEUED, backend="slurm", slurm_job_id="9_0", restarts=0))
        task.status, task.reason = Status.QUEUED, "Slurm: PartitionConfig"

    store.update("big", queued)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await app.open_task("big")
        text = monitor(app).log_pane.view.empty_text
        assert text.startswith("run 1 of 'big' has not started yet: queued (Slurm: PartitionConfig): it asks for more "
                               "than its partition allows"), text
        assert "so it never starts: stop it, ask for less (slurm.cpus_per_task" in text, text
