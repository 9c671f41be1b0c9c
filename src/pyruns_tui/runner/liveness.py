"""Whether active tasks are looked after (what `ls` and `show` add to a state nobody will change),
and which tasks recorded `running` have a live run (what `runner status` counts)."""

from __future__ import annotations

from collections.abc import Iterable

from pyruns_tui.runner.locks import is_held
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.fsio import read_json
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


def unattended_hint(count: int) -> str:
    """The one line `ls` and `runner status` add under tasks no runner looks after: what to do."""
    tasks = "1 task waits" if count == 1 else f"{count} tasks wait"
    return (f"{tasks} for a runner: `pyr-tui runner start` starts one (it starts queued tasks and "
            "adopts or records running ones), as `run` and opening the TUI do")


def running(layout: Layout, tasks: Iterable[Task]) -> list[str]:
    """The names of the tasks recorded `running` whose run is alive, in the order of `tasks`. A
    runner hands the slot of a run that ended to the next queued task before it writes the ended
    run's record (docs/runner.md#states): for those few milliseconds (longer on a full disk, or
    while no runner is up) the records show more running tasks than the limit, and `runner
    status` listed 6 running under `run -j 4`. A run's end is in its supervisor's state file
    before the runner hears of it, so a run whose state file says `exited` is not counted.

    `tasks` were read one after the other, while runs ended and others took their slots; each
    run is looked at again once all were read: every run counted had started by the first look
    and had not ended by its own, so they were all alive at once (never more than the limit)."""
    paths = RunnerPaths.of(layout)
    return [task.name for task in tasks if task.status is Status.RUNNING and _alive(layout, paths, task)]


def _alive(layout: Layout, paths: RunnerPaths, task: Task) -> bool:
    """Whether the last run of `task` (recorded running) is alive now: its supervisor has not
    recorded its end; without a state file, its record still says running (the run is starting,
    or its end was recorded since and the state file removed)."""
    run = task.last_run
    if run is None or run.backend == "slurm":  # (its job's state is the cluster's)
        return True
    try:
        state = read_json(paths.run_state(task.name, run.index))
    except FileNotFoundError:
        try:
            record = read_json(layout.task_info(task.name))
        except (OSError, ValueError):
            return False  # gone since
        return isinstance(record, dict) and record.get("status") == Status.RUNNING.value
    except (OSError, ValueError):
        return True  # unreadable says nothing
    return not (isinstance(state, dict) and state.get("state") == "exited")
