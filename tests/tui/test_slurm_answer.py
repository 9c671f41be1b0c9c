"""Pilot on a real single-node Slurm (`.ci/backends/slurm-up.sh`): the Manager's `r` and the
Generator's Create & Run say what sbatch answered, the job array or why it refused, in the words
of `pyr-tui run`. Skipped locally without a cluster, failed in CI."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from pyruns_tui.metrics.export import export_rows, views_of
from pyruns_tui.runner import control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.workspace.model import Status
from tests.conftest import Shown
from tests.runner.harness import Project, project, py, until  # noqa: F401 - the fixture
from tests.runner.test_slurm import SLURM_SETTINGS, cluster  # noqa: F401 - the fixture
from tests.tui.manager_helpers import settle
from tests.waiting import wait_for

pytestmark = pytest.mark.slurm

ANSWER_S = 90  # the runner starts, then calls sbatch (a busy box: seconds)


def _slurm(notifications: list[Shown]) -> list[Shown]:
    return [n for n in notifications if n.title == "Slurm"]


async def test_r_says_the_job_array_and_the_refused_tasks_with_why(cluster: Project, notifications: list[Shown]) -> None:
    # `r` said "queued 4 tasks" and nothing else: the two tasks asking for more GPUs than the node
    # has were refused by sbatch, which the user learnt only from the failed rows later
    cpu = [cluster.add(f"cpu{i}", "print('cpu')") for i in range(2)]
    big = [cluster.add(f"big{i}", "print('big')", gpus=3) for i in range(2)]
    app = PyrunsApp(cluster.layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        screen.table.selected.update([*cpu, *big])
        await pilot.press("r")
        await wait_for(pilot, lambda: len(_slurm(notifications)) == 2, ANSWER_S, "Slurm's answer")
        assert any(n.message == "queued 4 tasks" for n in notifications), notifications
        said, refused = _slurm(notifications)
    array = cluster.task(cpu[0]).last_run.slurm_job_id.split("_")[0]
    assert said.severity == "information" and said.message in {  # the names in the Manager's order
        f"submitted 2 of 4 tasks to Slurm as job array {array} ({a}, {b})" for a, b in (cpu, cpu[::-1])}, said
    assert refused.severity == "error" and refused.message.startswith(
        tuple(f"Slurm refused 2 of 4 tasks ({a}, {b}): " for a, b in (big, big[::-1]))), refused
    assert "node configuration is not available" in refused.message, refused
    assert "\n" not in refused.message
    tasks = cluster.wait(*cpu, *big)
    assert all(tasks[n].status is Status.COMPLETED for n in cpu) and all(tasks[n].status is Status.FAILED for n in big)


async def test_create_and_run_says_the_job_array_then_a_refused_partition(cluster: Project,
                                                                         notifications: list[Shown]) -> None:
    # Create & Run said "created and queued 2 tasks ..." and nothing more, for a partition that
    # does not exist as for one that does
    app = PyrunsApp(cluster.layout, start_mode="generator", watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, GeneratorScreen) and app.screen.preview.data is not None)
        gen = app.screen
        assert isinstance(gen, GeneratorScreen)

        async def create_and_run(prefix: str) -> None:
            gen.query_one("#gen-prefix", Input).value = prefix
            gen.query_one("#shell-command", Input).value = py("print({x})")
            gen.query_one("#shell-params", TextArea).load_text("x: 1 | 2\n")
            await wait_for(pilot, lambda: gen._preview_timer is None and gen.preview.summary_text.startswith("2 tasks"))
            await pilot.press("ctrl+r")

        await create_and_run("ok")
        await wait_for(pilot, lambda: _slurm(notifications), ANSWER_S, "Slurm's answer to ok")
        made = sorted(t.name for t in cluster.store.scan() if t.name.startswith("ok"))
        array = cluster.task(made[0]).last_run.slurm_job_id.split("_")[0]
        assert [(n.message, n.severity) for n in _slurm(notifications)] == [
            (f"submitted 2 tasks to Slurm as job array {array}", "information")]
        assert gen.last_result is not None and gen.last_result.queued
        notifications.clear()
        cluster.layout.settings_file.write_text(SLURM_SETTINGS + "  partition: no-such-partition\n")
        await wait_for(pilot, lambda: not gen.creating)
        await create_and_run("bad")
        await wait_for(pilot, lambda: _slurm(notifications), ANSWER_S, "Slurm's answer to bad")
        (refused,) = _slurm(notifications)
    assert refused.severity == "error" and refused.message.startswith("Slurm refused the submission: "), refused
    assert "partition" in refused.message.lower(), refused
    cluster.wait(*made)


async def test_p_reports_every_task_submitted_or_left_to_slurm(cluster: Project, notifications: list[Shown]) -> None:
    # P on a task Slurm already had said "moved to the front" and wrote its priority: Slurm ran it
    # in its own order, and the Slurm answer (only the tasks this P submitted) left it out
    cluster.layout.settings_file.write_text(SLURM_SETTINGS + "  array_parallelism: 1\n")
    code, release = cluster.gate("first")
    first = cluster.add("first", code)
    waiting = cluster.add("waiting", "print('waiting')")
    pending = cluster.add("pending", "print('pending')")
    control.queue(cluster.store, [first, waiting])
    until(lambda: cluster.task(waiting).last_run is not None and cluster.task(waiting).last_run.slurm_job_id,
          ANSWER_S, "the first array's job id")
    job = cluster.task(waiting).last_run.slurm_job_id
    app = PyrunsApp(cluster.layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        screen.table.selected.update([waiting, pending])
        await pilot.press("P")
        await wait_for(pilot, lambda: _slurm(notifications), ANSWER_S, "Slurm's answer")
    release()
    tasks = cluster.wait(first, waiting, pending, timeout=ANSWER_S)
    array = tasks[pending].last_run.slurm_job_id.split("_")[0]
    moved = next(n for n in notifications if n.message.startswith("moved to the front"))
    assert moved.message == (f"moved to the front {pending}; {waiting}: queued on Slurm as job {job}, which Slurm"
                             f" orders, not P (`scontrol top {job}` where the cluster allows it)"), moved
    assert moved.severity == "warning"
    assert [n.message for n in _slurm(notifications)] == [f"submitted 1 task to Slurm as job array {array}"]
    assert (tasks[waiting].priority, tasks[pending].priority) == (0, 1)
    assert all(t.status is Status.COMPLETED for t in tasks.values())
    report = export_rows(cluster.store, views_of(cluster.store, [first, waiting, pending])).records()
    assert [(r["name"], r["backend"], r["slurm_job_id"]) for r in report] == [
        (name, "slurm", tasks[name].last_run.slurm_job_id) for name in (first, waiting, pending)]
