"""Progress, ETA and output metrics of tasks a real single-node Slurm runs (the runner follows
their logs as it follows its own ptys). Skipped locally without a cluster, failed in CI."""

from __future__ import annotations

import json

import pytest

from pyruns_tui.metrics.track import MetricsReader
from pyruns_tui.runner import control
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.progress_file import read_run_progress
from tests.runner.harness import Project, until
from tests.runner.test_slurm import cluster  # noqa: F401 - the fixture

pytestmark = pytest.mark.slurm


def test_a_slurm_run_has_progress_eta_and_output_metrics(cluster: Project,  # noqa: F811
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, release = cluster.gate("slow")
    slow = cluster.add("slow", "print('epoch 1/4 loss=0.75', flush=True)\nprint('epoch 2/4', flush=True)\n"
                       + code + "print('epoch 4/4 loss=0.5 val_acc 0.81', flush=True)\n")
    quick = cluster.add("quick", "print('epoch 3/3 loss=0.25')")
    control.queue(cluster.store, [slow, quick])
    task_dir = cluster.layout.task_dir(slow)
    until(lambda: read_run_progress(task_dir, run=1) is not None, 120, "the progress sidecar of the Slurm run")
    progress = read_run_progress(task_dir, run=1)
    assert progress is not None and (progress.progress, progress.progress_label) == (0.5, "epoch 2/4")
    assert cluster.task(slow).status is Status.RUNNING and cluster.task(slow).last_run.backend == "slurm"
    capsys.readouterr()
    assert cluster.cli("ls", "--json", slow) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["progress"], listed["progress_label"]) == (0.5, "epoch 2/4") and listed["eta_s"] is not None
    release()
    tasks = cluster.wait(slow, quick, timeout=120)
    assert all(t.status is Status.COMPLETED for t in tasks.values()), {n: t.reason for n, t in tasks.items()}
    reader = MetricsReader.for_task(task_dir)
    assert [v for _, v, _ in reader.series("loss")] == [0.75, 0.5]
    assert [v for _, v, _ in reader.series("val_acc")] == [0.81]
    # a run that started and ended between two polls is read whole at its end
    assert [v for _, v, _ in MetricsReader.for_task(cluster.layout.task_dir(quick)).series("loss")] == [0.25]
