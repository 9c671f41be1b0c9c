"""Pilot and the real runner: `P` moves a queued task to the front of the queue (the engine's
`control.to_front`, the priority of `run --priority`)."""

from __future__ import annotations

from pyruns_tui.runner import control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.model import Status
from tests.runner.harness import SETTINGS, Project, project, until  # noqa: F401 - the fixture
from tests.tui.manager_helpers import settle


async def test_p_moves_a_queued_task_to_the_front(project: Project) -> None:
    project.layout.settings_file.write_text(SETTINGS.replace("max_concurrency: 4", "max_concurrency: 1"))
    order = project.dir / "order"
    gate, release = project.gate("first")
    blocker = project.add("blocker", gate)
    names = [project.add(n, f"open({str(order)!r}, 'a').write({n!r} + '\\n')") for n in ("a", "b", "c")]
    control.queue(project.store, [blocker, *names])
    until(lambda: project.task(blocker).status is Status.RUNNING, what="the blocker to run")
    async with PyrunsApp(project.layout, start_mode="manager", watch_disk=False).run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        screen.table.move_to("c")
        await pilot.press("P")
        until(lambda: project.task("c").priority == 1, what="c's priority")
    assert [project.task(n).priority for n in names] == [0, 0, 1]
    release()
    project.wait(blocker, *names)
    assert order.read_text().split() == ["c", "a", "b"]


def test_to_front_outranks_the_highest_priority_and_skips_running_tasks(project: Project) -> None:
    a, b, c = (project.add(n, "pass") for n in ("a", "b", "c"))
    control.queue(project.store, [a], priority=5, start_runner=False)
    control.queue(project.store, [b], start_runner=False)
    outcome = control.to_front(project.store, [b, c], start_runner=False)
    assert sorted(outcome.changed) == [b, c] and not outcome.skipped
    assert (project.task(b).priority, project.task(c).priority) == (6, 6)
    assert project.task(c).status is Status.QUEUED


def test_to_front_names_tasks_queued_for_slurm_with_why_and_leaves_them(project: Project) -> None:
    # P said "moved to the front" of a task Slurm already had (or was about to be given): its
    # priority was written, Slurm ran it in its own order, and no report said so
    from pyruns_tui.runner.slurm.submit import Request, new_call_id
    from pyruns_tui.workspace.model import Run

    submitted, submitting, local = (project.add(n, "pass") for n in ("submitted", "submitting", "local"))
    control.queue(project.store, [submitted, submitting, local], start_runner=False)
    request = Request(new_call_id(), 2).to_dict()

    def on_slurm(job_id: str | None):  # type: ignore[no-untyped-def]
        def change(task) -> None:  # type: ignore[no-untyped-def]
            task.submit = request
            if job_id is not None:
                task.runs.append(Run(index=1, status=Status.QUEUED, backend="slurm", slurm_job_id=job_id, restarts=0))
        return change

    project.store.update(submitted, on_slurm("77_0"))
    project.store.update(submitting, on_slurm(None))
    outcome = control.to_front(project.store, [submitted, submitting, local], start_runner=False)
    assert outcome.changed == [local]
    assert outcome.skipped[submitted].startswith("queued on Slurm as job 77_0, which Slurm orders, not P")
    assert outcome.skipped[submitting] == "queued for Slurm, which orders its own queue, not P"
    assert [project.task(n).priority for n in (submitted, submitting, local)] == [0, 0, 1]

    def forget_slurm(task) -> None:  # type: ignore[no-untyped-def]
        task.submit = None
        task.runs.clear()
        task.unqueue()

    # the Slurm records above were made by hand (there is no job 77_0): taken back, or the
    # teardown's stop would wait its whole 30 s for a Slurm that never answers
    for name in (submitted, submitting):
        project.store.update(name, forget_slurm)
