"""Whether active tasks are looked after: what `ls` and `show` add to a state nobody will change."""

from __future__ import annotations

from collections.abc import Iterable

from pyruns_tui.runner.locks import is_held
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task

RUNNER_LOST = "runner lost?"
NO_RUNNER = "runner not running"


def unattended(layout: Layout, tasks: Iterable[Task]) -> dict[str, str]:
    """Why each queued or running task will not move on its own, by name; empty while a runner is
    alive. A running task whose supervisor still lives is fine (the next runner adopts it);
    one whose supervisor is gone stays `running` on disk until a runner recovers it."""
    active = [task for task in tasks if task.status.is_active]
    paths = RunnerPaths.of(layout)
    if not active or is_held(paths.lock):  # the live runner holds runner.lock
        return {}
    found = {}
    for task in active:
        if task.status is Status.QUEUED:
            found[task.name] = NO_RUNNER
            continue
        run = task.last_run
        if run is not None and run.backend == "slurm":  # its job goes on on the cluster; a runner records its end
            found[task.name] = NO_RUNNER
        elif run is None or not is_held(paths.run_state_lock(task.name, run.index)):
            found[task.name] = RUNNER_LOST
    return found
