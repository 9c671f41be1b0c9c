"""Progress, ETA and output metrics of tasks a real single-node Slurm runs (the runner follows
their logs as it follows its own ptys). Skipped locally without a cluster, failed in CI."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from pyruns_tui.metrics.track import MetricsReader
from pyruns_tui.runner import client, control
from pyruns_tui.runner.daemon.supervisor import OUTPUT_QUIET_S
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.progress_file import read_run_progress
from tests.runner.harness import Project, until
from tests.runner.test_slurm import cluster  # noqa: F401 - the fixture

pytestmark = pytest.mark.slurm


def test_a_slurm_run_has_progress_eta_and_output_metrics(cluster: Project,  # noqa: F811
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, release = cluster.gate("slow")
    slow = cluster.add("slow", "print('epoch 1/4 loss=0.75', flush=True)\nprint('epoch 2/4 done', flush=True)\n"
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


def test_a_new_runner_reads_only_the_later_output_of_a_slurm_run(cluster: Project) -> None:  # noqa: F811
    code, release = cluster.gate("adopted")
    name = cluster.add("adopted", "print('epoch 1/2 loss=0.75', flush=True)\n" + code
                       + "print('epoch 2/2 loss=0.5', flush=True)\n")
    control.queue(cluster.store, [name])
    task_dir = cluster.layout.task_dir(name)
    until(lambda: [v for _, v, _ in MetricsReader.for_task(task_dir).series("loss")] == [0.75], 120,
          "the first metric read by the first runner")
    os.kill(cluster.runner_pid(), signal.SIGKILL)
    until(lambda: not client.runner_alive(cluster.layout), 10, "the runner to die")
    killed_at = time.time()
    assert control.attach(cluster.store)

    def adopted() -> bool:
        progress = read_run_progress(task_dir, run=1)
        return progress is not None and progress.updated_at > killed_at

    until(adopted, 60, "the new runner to follow the run")
    release()
    assert cluster.wait(name, timeout=120)[name].status is Status.COMPLETED
    assert [v for _, v, _ in MetricsReader.for_task(task_dir).series("loss")] == [0.75, 0.5]  # none twice


def test_a_line_after_a_pause_reaches_the_progress_at_once(cluster: Project,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A local run's supervisor tells the runner on its channel that the task printed after a
    pause; a Slurm run has none and waited for the runner's periodic look (POLL_S). Here that
    look never comes (PYRUNS_TUI_OUTPUT_POLL_S): the line is read on the launcher's word on the
    wake-up FIFO (the job runs on the runner's host)."""
    monkeypatch.setenv("PYRUNS_TUI_OUTPUT_POLL_S", "3600")
    first, release_first = cluster.gate("first")
    second, release_second = cluster.gate("second")
    name = cluster.add("paused", "print('epoch 1/4', flush=True)\n" + first + "print('epoch 2/4 done', flush=True)\n" + second)
    control.queue(cluster.store, [name])
    until(lambda: cluster.task(name).status is Status.RUNNING and cluster.log(name) == b"epoch 1/4\n", 120,
          "the runner to see the run print")
    time.sleep(OUTPUT_QUIET_S)  # the pause itself (not a wait for anything): the next line is news
    release_first()
    task_dir = cluster.layout.task_dir(name)
    until(lambda: (p := read_run_progress(task_dir, run=1)) is not None and p.progress_label == "epoch 2/4", 30,
          "the line after the pause in the progress sidecar")
    release_second()
    assert cluster.wait(name, timeout=120)[name].status is Status.COMPLETED
