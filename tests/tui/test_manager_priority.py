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
