"""A task that waits in Slurm's queue for something only the user can change, on a real
single-node Slurm (8 CPUs): every face says what the reason means and what to do; with the
runner stopped, `runner status` says how to start it. Skipped locally without a cluster."""

from __future__ import annotations

import pytest

from pyruns_tui.runner import control
from tests.runner.harness import Project, until
from tests.runner.test_slurm import SLURM_SETTINGS, cluster  # noqa: F401 - the fixture

pytestmark = pytest.mark.slurm


def test_a_job_asking_for_more_cpus_than_its_partition_has_says_what_to_do(
        cluster: Project, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811 - the fixture
    # `queued (Slurm: PartitionConfig)` and nothing else: it pended for ever with no hint
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + "  cpus_per_task: 100\n")
    name = cluster.add("big", "print('never')")
    control.queue(cluster.store, [name])
    until(lambda: cluster.task(name).reason == "Slurm: PartitionConfig", 60, "a poll to see the job pending")
    capsys.readouterr()
    assert cluster.cli("ls") == 0
    out, err = capsys.readouterr()
    assert "queued (Slurm: PartitionConfig)" in out  # the cell stays short
    assert err == ("pyr-tui: note: big can never start as asked (Slurm: PartitionConfig): `pyr-tui show big` says "
                   "what to do\n"), err
    assert cluster.cli("show", name) == 0
    out = capsys.readouterr().out
    assert ("\nwhy:     it asks for more than its partition allows (CPUs, memory, GPUs or nodes), so it never starts: "
            "stop it, ask for less (slurm.cpus_per_task, mem, gpus_per_task in the settings, or --sbatch-arg) or "
            "another partition") in out, out
    assert cluster.cli("log", name) == 1
    err = capsys.readouterr().err
    assert err.startswith("pyr-tui: error: run 1 of 'big' has not started yet: queued (Slurm: PartitionConfig): it "
                          "asks for more than its partition allows"), err
    assert cluster.cli("runner", "status") == 0
    out = capsys.readouterr().out
    assert "  big: Slurm: PartitionConfig (it never starts as asked: `pyr-tui show big` says what to do)\n" in out, out
    # after `runner stop` it said the runner "starts when tasks are queued", though one was
    assert cluster.cli("runner", "stop") == 0
    capsys.readouterr()
    assert cluster.cli("runner", "status") == 0
    out = capsys.readouterr().out
    assert "runner: not running; 1 task waits for a runner: `pyr-tui runner start` starts one" in out, out
    assert cluster.cli("ls") == 0
    assert "queued (runner not running)" in capsys.readouterr().out
    assert cluster.cli("runner", "start") == 0  # (its runner cancels the job as the fixture's scancel does)
