"""Engine functions on tasks that involve the runner: queue, cancel, force, stop, rerun, wait.

The CLI and the TUI call these same functions. Each writes the request into task_info.json
under the workspace lock (the disk is the truth), then makes sure a runner is there and pokes
it. Pass `start_runner=False` to only write (tests, batch edits followed by one poke).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pyruns_tui.errors import PyrunsError, RunnerError
from pyruns_tui.runner.client import runner_alive, set_concurrency, start_or_wake, starting_runner, wake_runner
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.runner.slurm.records import is_slurm_run
from pyruns_tui.runner.wake import Waiter
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status, Task, queue_times
from pyruns_tui.workspace.settings import check_regex
from pyruns_tui.workspace.store import TaskStore, stat_key

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from pyruns_tui.runner.breaker import Pause

WAIT_POLL_S = 0.01  # a poll of `wait` without a waiter's FIFO is one stat: it returns within ~5 ms of the end
POKED_POLL_S = 0.05  # with one, polls only catch what the runner did not write (it pokes after its own ends)
SUBMIT_POLL_S = 0.05  # `wait_submitted` reads every task it waits for
RUNNER_CHECK_S = 1.0
SUBMIT_WAIT_S = 120.0
QUEUE_PART = 64  # tasks queued per hold of the workspace lock (~20-60 ms here: one rename each)
FIRST_PART = 8  # the first hold's part: the runner is woken after it; the parts double up to QUEUE_PART
LOCK_TURN_S = 0.001  # the lock is let go this long between two parts: a waiting runner takes its turn


@dataclass(frozen=True)
class Executor:
    """Where a `run` call sends its tasks: `name` None = the settings' executor; the rest are
    per-call Slurm overrides (`run --partition/--time/--sbatch-arg`, and `-j N`: the `%N` of the
    call's arrays; on this machine `-j` is the runner's concurrency, see client.set_concurrency)."""

    name: str | None = None
    partition: str | None = None
    time: str | None = None
    sbatch_args: tuple[str, ...] = ()
    jobs: int | None = None


def _resolve_executor(store: TaskStore, executor: Executor | None) -> Executor:
    from pyruns_tui.workspace.settings import EXECUTORS, load_settings

    executor = executor or Executor()
    name = executor.name or load_settings(store.layout.settings_file).executor
    if name not in EXECUTORS:
        raise RunnerError(f"unknown executor {name!r}: use local or slurm")
    if name == "local" and (executor.partition or executor.time or executor.sbatch_args):
        raise RunnerError("--partition, --time and --sbatch-arg need the slurm executor (--executor slurm)")
    for value in (executor.partition, executor.time, *executor.sbatch_args):
        if value is not None and (not value.strip() or "\n" in value):
            raise RunnerError(f"Slurm option {value!r} must be one non-empty line")
    if executor.jobs is not None and executor.jobs < 1:
        raise RunnerError(f"-j must be at least 1, got {executor.jobs}")
    return Executor(name, executor.partition, executor.time, executor.sbatch_args, executor.jobs)


@dataclass
class Outcome:
    """What a request did to each task: `changed` ones, and `skipped` ones with the reason."""

    changed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    sync_owed: bool = False  # the writes are not durable yet: the caller syncs (see `queue`)
    runs_before: dict[str, int] = field(default_factory=dict)  # each changed task's runs when queued


class QueueCutShort(RunnerError):
    """A queue's write failed (a full disk) after some of its tasks were queued: the one line
    says how many, since those run (`queued`: their names)."""

    def __init__(self, cause: PyrunsError, queued: list[str], wanted: int) -> None:
        self.queued = list(queued)
        message = str(cause)
        if queued:
            message += (f" ({len(queued)} of {wanted} tasks were queued before it;"
                        f" the other {wanted - len(queued)} are as they were)")
        super().__init__(message)


@dataclass(frozen=True)
class Retries:
    """`run --retries N [--retry-on REGEX]`: kept on the task for its later runs."""

    count: int
    on: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.count <= 100:
            raise RunnerError(f"--retries must be from 0 to 100, got {self.count}")
        if self.on is not None:
            check_regex(self.on, "--retry-on")


ALREADY_QUEUED = "already queued"


def _settings_kept(task: Task, *, retries: Retries | None, after: Sequence[str] | None, priority: int | None,
                   gpu_mem_mb: int | None) -> str:
    """What `run` changed on a task it left queued (`already queued; priority now 5`): said, or
    the line reads as if the request did nothing."""
    parts = []
    if priority is not None:
        parts.append(f"priority now {task.priority}")
    if after is not None:
        parts.append("after " + ", ".join(task.after) if task.after else "no dependencies")
    if retries is not None:
        parts.append(f"retries now {task.retries}")
    if gpu_mem_mb is not None:
        parts.append(f"GPU memory now {task.gpu_mem_mb} MB" if task.gpu_mem_mb else "no GPU memory request")
    return "; " + ", ".join(parts)


def _queue_one(task: Task, queued_at: str, *, gpus: int | None, force: bool, retries: Retries | None = None) -> str | None:
    """Queue `task` in place; returns why not, or None when it was queued (or updated)."""
    if gpus is not None:
        if gpus < 0:
            raise RunnerError(f"--gpus must be 0 or more, got {gpus}")
        task.gpus = gpus
    if retries is not None:
        task.retries, task.retry_on = retries.count, retries.on
    if task.status is Status.RUNNING:
        return "already running"
    if task.status is Status.QUEUED:
        if force and not task.force:
            task.force = True
            return None
        return None if gpus is not None else ALREADY_QUEUED
    task.set_status(Status.QUEUED)
    task.queued_at = queued_at
    task.force = force
    task.stop_requested = False
    task.retry_pending = None  # queued by a person: a fresh run, not a retry
    return None


def queue(
    store: TaskStore,
    names: Sequence[str],
    *,
    gpus: int | None = None,
    force: bool = False,
    start_runner: bool = True,
    retries: Retries | None = None,
    executor: Executor | None = None,
    after: Sequence[str] | None = None,
    priority: int | None = None,
    with_dependents: bool = False,
    gpu_mem_mb: int | None = None,
) -> Outcome:
    """Queue pending or finished tasks (a finished one gets run N+1 when it starts).

    `gpus` sets the task's GPU request for good; `force` starts it without waiting for a slot
    or free GPUs (and force-starts tasks that are already queued); `retries` sets how its
    failed runs are retried (runner/retry.py); `after` names tasks that must complete first
    (runner/dependencies.py; unknown names and cycles are refused); `priority` orders the
    queue (higher first); `with_dependents` also queues every task waiting for these;
    `gpu_mem_mb` places it only on a GPU with that much memory free (runner/reservations.py). On the
    slurm executor the tasks queued by this call are submitted together, as one job array.
    """
    chosen = _resolve_executor(store, executor)
    if chosen.jobs is not None and chosen.name == "local":  # (on Slurm: the %N of the call's arrays)
        set_concurrency(store.layout, chosen.jobs)  # before a new runner's first look
    write = functools.partial(_write_queue, store, names, chosen, gpus=gpus, force=force, retries=retries,
                              after=after, priority=priority, with_dependents=with_dependents, gpu_mem_mb=gpu_mem_mb)
    if not start_runner or not names:
        return write(sync=True)
    # the runner starts before the queue is written, so a client killed meanwhile leaves it running;
    # it is woken before the filesystem sync (which waits on the disk, and on every other writer's
    # dirty pages): the first tasks start while the queue is made durable, before this returns
    with starting_runner(store.layout) as queued:
        # a long queue is written in parts: the runner, woken after the first, starts its tasks
        # meanwhile (a runner still starting up is woken after the block, as usual)
        try:
            outcome = write(sync=False, first_part=lambda changed: wake_runner(store.layout, changed))
        except QueueCutShort as exc:  # the tasks queued before a full disk run: woken for them
            queued.extend(exc.queued)
            with contextlib.suppress(OSError):
                store.sync()
            raise
        queued.extend(outcome.changed)  # the runner reads these first, then everything
    if outcome.sync_owed:
        store.sync()
    return outcome


def _write_queue(store: TaskStore, names: Sequence[str], chosen: Executor, *, gpus: int | None, force: bool,
                 retries: Retries | None, after: Sequence[str] | None, priority: int | None,
                 with_dependents: bool, gpu_mem_mb: int | None, sync: bool,
                 first_part: Callable[[list[str]], object] | None = None) -> Outcome:
    """Queue `names` in parts, one hold of the workspace lock each, letting go of it in between
    (queueing 10,000 tasks is ~10,000 renames: seconds during which the runner could neither
    start a task nor record an end); `first_part(changed)` is called after the first part when
    more follow. The first part is FIRST_PART tasks and each next one as many as were written
    before it, up to QUEUE_PART: the runner starts the first tasks while the command writes the
    rest, and a runner waiting for the lock to start one waits for a short part only. A request
    that checks the dependency graph, or goes to Slurm as one job array, is written under one
    hold. With `sync`, the writes are durable on return; otherwise the Outcome says whether a
    sync is owed."""
    outcome = Outcome()
    changes_kept = any(v is not None for v in (gpus, retries, after, priority, gpu_mem_mb))
    one_hold = chosen.name == "slurm" or after is not None or with_dependents
    names = list(names)
    times: list[str] = []
    done = 0
    while True:
        with store.lock():
            if done == 0:  # the first hold: the whole request is checked and timed
                if after is not None or with_dependents:
                    from pyruns_tui.runner import dependencies  # (only here: a plain `run` skips its import)

                    graph = {t.name: t.after for t in store.scan()}
                    if after is not None:
                        after = dependencies.check_after(names, after, graph)
                    if with_dependents:
                        names += [n for n in dependencies.dependents_of(names, graph) if n not in names]
                times = queue_times(len(names))  # 1 µs apart: the queue keeps the given order
            part = len(names) if one_hold else min(len(names), done + min(QUEUE_PART, max(FIRST_PART, done)))
            to_save = []
            changed = []
            for name, queued_at in zip(names[done:part], times[done:part]):
                task = store.get(name)
                if after is not None:
                    task.after = list(dict.fromkeys(after))
                if priority is not None:
                    task.priority = priority
                if gpu_mem_mb is not None:
                    task.gpu_mem_mb = gpu_mem_mb or None  # 0 clears it
                why = _queue_one(task, queued_at, gpus=gpus, force=force, retries=retries)
                if why is None:
                    to_save.append(task)
                    changed.append(name)
                    outcome.runs_before[name] = len(task.runs)
                else:
                    if changes_kept:
                        to_save.append(task)
                        if why == ALREADY_QUEUED:  # not "nothing happened": the settings given were kept
                            why += _settings_kept(task, retries=retries, after=after, priority=priority,
                                                  gpu_mem_mb=gpu_mem_mb)
                    outcome.skipped[name] = why
            request = None  # a local queue clears a Slurm request left from an earlier call
            if chosen.name == "slurm":  # (one part: the whole call is one array)
                from pyruns_tui.runner.slurm.submit import Request, new_call_id

                request = Request(new_call_id(), len(changed), chosen.partition, chosen.time, chosen.sbatch_args,
                                  chosen.jobs).to_dict()
            queued = set(changed)
            for task in to_save:
                if task.name in queued and task.status is Status.QUEUED and not is_slurm_run(task):
                    task.submit = request
            saved: list[str] = []
            try:
                outcome.sync_owed |= store.save_all(to_save, sync=False, saved=saved)
            except PyrunsError as exc:  # a full disk: say which tasks it leaves queued
                outcome.changed += [name for name in saved if name in queued]
                raise QueueCutShort(exc, outcome.changed, len(names)) from exc
            outcome.changed += changed
        done = part
        if done >= len(names):
            break
        if first_part is not None:
            first_part(list(outcome.changed))
            first_part = None
        time.sleep(LOCK_TURN_S)  # whoever waits for the lock (the runner) gets it now
    if sync and outcome.sync_owed:
        store.sync()
        outcome.sync_owed = False
    return outcome


def to_front(store: TaskStore, names: Sequence[str], *, start_runner: bool = True) -> Outcome:
    """Queue `names` (or keep them queued) ahead of every other queued task: their priority becomes
    one more than the highest among the others (`run --priority N`'s field; FIFO among them).
    A running task is skipped: its next run keeps the priority it has. So is a task already
    queued for Slurm, with why (`_slurm_queued`): Slurm orders it, and a priority written on it
    would have been reported as a move that never happened."""
    wanted = set(names)
    tasks = store.scan()
    running = {t.name for t in tasks if t.name in wanted and t.status is Status.RUNNING}
    on_slurm = {t.name: why for t in tasks if t.name in wanted and (why := _slurm_queued(t)) is not None}
    top = max((t.priority for t in tasks if t.status is Status.QUEUED and t.name not in wanted), default=0)
    outcome = queue(store, [n for n in names if n not in running and n not in on_slurm], priority=top + 1,
                    start_runner=start_runner)
    moved = [name for name, why in outcome.skipped.items() if why.startswith(ALREADY_QUEUED)]  # its priority changed
    for name in moved:
        del outcome.skipped[name]
    outcome.changed.extend(moved)
    outcome.skipped.update({name: "is running" for name in names if name in running})
    outcome.skipped.update({name: on_slurm[name] for name in names if name in on_slurm})
    return outcome


def _slurm_queued(task: Task) -> str | None:
    """Why `to_front` cannot move a task queued for Slurm (Slurm orders its own queue, and the
    runner submits every call as it comes), or None for any other task."""
    if task.status is not Status.QUEUED:
        return None
    run = task.last_run
    if is_slurm_run(task) and run is not None and run.slurm_job_id:
        return (f"queued on Slurm as job {run.slurm_job_id}, which Slurm orders, not P"
                f" (`scontrol top {run.slurm_job_id}` where the cluster allows it)")
    if is_slurm_run(task) or submits_to_slurm_task(task):
        return "queued for Slurm, which orders its own queue, not P"
    return None


def force_start(store: TaskStore, names: Sequence[str], *, start_runner: bool = True) -> Outcome:
    """Start tasks now, ignoring the concurrency limit and GPU availability."""
    return queue(store, names, force=True, start_runner=start_runner)


def rerun(store: TaskStore, names: Sequence[str], *, start_runner: bool = True) -> Outcome:
    """Queue finished tasks again (run N+1); tasks that are not finished are skipped."""
    finished = [n for n in names if store.get(n).status.is_finished]
    outcome = queue(store, finished, start_runner=start_runner)
    for name in names:
        if name not in finished:
            outcome.skipped[name] = f"is {store.get(name).status.value}, not finished"
    return outcome


def cancel(store: TaskStore, names: Sequence[str]) -> Outcome:
    """Take queued tasks back to pending (no runner needed)."""
    outcome = Outcome()
    on_slurm = False
    with store.lock():
        to_save = []
        for name in names:
            task = store.get(name)
            if task.status is not Status.QUEUED:
                outcome.skipped[name] = f"is {task.status.value}, not queued"
                continue
            if is_slurm_run(task):
                task.stop_requested = True  # the runner scancels the array index and records it
                to_save.append(task)
                outcome.changed.append(name)
                on_slurm = True
                continue
            task.unqueue()
            to_save.append(task)
            outcome.changed.append(name)
        store.save_all(to_save)
    if on_slurm:
        start_or_wake(store.layout)
    elif outcome.changed:
        wake_runner(store.layout)  # (no runner is started) its queue drops them now, not at its next full look
    return outcome


@dataclass
class StopOutcome:
    """`cancelled`: queued -> pending; `stopping`: running tasks asked to stop."""

    cancelled: list[str] = field(default_factory=list)
    stopping: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    on_slurm: bool = False  # some of `stopping` are on Slurm (the runner scancels them)


def stop(store: TaskStore, names: Sequence[str], *, start_runner: bool = True) -> StopOutcome:
    """Stop tasks: queued ones go back to pending; running ones get SIGTERM, then SIGKILL after
    `stop_grace_s`, and end `interrupted`. A stop request survives a runner restart."""
    outcome = StopOutcome()
    with store.lock():
        to_save = []
        for name in names:
            task = store.get(name)
            if is_slurm_run(task):
                task.stop_requested = True  # submitted: the runner scancels it and records how it ended
                outcome.stopping.append(name)
                outcome.on_slurm = True
            elif task.status is Status.QUEUED:
                task.unqueue()
                outcome.cancelled.append(name)
            elif task.status is Status.RUNNING:
                task.stop_requested = True
                outcome.stopping.append(name)
            else:
                outcome.skipped[name] = f"is {task.status.value}, nothing to stop"  # (`stop` and the `s` key say it)
                continue
            to_save.append(task)
        store.save_all(to_save)
    if start_runner and outcome.stopping:
        start_or_wake(store.layout)  # a dead runner's successor recovers the task, then stops it
    elif outcome.cancelled:
        wake_runner(store.layout)  # (none is started here) its queue drops them now, not at its next full look
    return outcome


def active_names(store: TaskStore) -> list[str]:
    """Every queued and running task of the workspace, oldest first (`stop --all`, `wait --all`)."""
    return [t.name for t in store.scan() if t.status.is_active]


def stop_all(store: TaskStore, *, start_runner: bool = True) -> StopOutcome:
    """Stop every queued and running task of the workspace."""
    return stop(store, active_names(store), start_runner=start_runner)


def wait(
    store: TaskStore,
    names: Sequence[str],
    *,
    timeout_s: float | None = None,
    keep_runner: bool = True,
    given_up: Callable[[], bool] | None = None,
) -> dict[str, Task]:
    """Block until none of the tasks is queued or running, or only queued ones are left while the
    circuit breaker keeps the queue paused, or until `given_up()` (asked once a second) says to stop
    waiting; returns their states.

    Looks when the runner says it has ended a run or unqueued a task (runner/wake.py: `Waiter`),
    and polls every 50 ms in any case (10 ms without a waiter's FIFO): one `stat` of the first
    task still queued or running, and of those after it only once it has ended (they were
    started in about that order, and the wait is not over before it is), so a poll costs the
    same for 10 or 100,000 tasks; all of them are looked at at the end, and once a second
    (RUNNER_CHECK_S) while the circuit breaker pauses the queue.
    Only the status of a task whose task_info.json changed is read again, and the Tasks are
    built once, at the end (that last look is what says none was queued again meanwhile). With
    `keep_runner`, a runner that vanished while tasks are active is started again (it recovers
    them). Raises RunnerError on timeout.
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    states: dict[str, Status] = {}
    seen: dict[str, tuple[int, int, int] | None] = {}
    paths = {name: str(store.layout.task_info(name)) for name in names}
    pending = list(paths)
    next_runner_check = time.monotonic() + RUNNER_CHECK_S

    def look(which: Sequence[str], *, to_first: bool = False) -> list[str]:
        """Re-read the status of the tasks whose file changed; the names still queued or
        running (`to_first`: up to the first of them, the rest unlooked-at behind it)."""
        active = []
        for i, name in enumerate(which):
            key = stat_key(paths[name])
            if key is None or name not in states or key != seen.get(name):
                seen[name] = key
                try:
                    states[name] = store.read_status(name)[0]
                except (OSError, ValueError, AttributeError):
                    states[name] = store.get(name).status  # raises when the task is gone or broken
            if states[name].is_active:
                if to_first:
                    return [name, *which[i + 1 :]]
                active.append(name)
        return active

    with Waiter(RunnerPaths.of(store.layout).waiters_dir) as waiter:
        while True:
            pending = look(pending, to_first=True)
            if not pending:
                tasks = {name: store.get(name) for name in names}  # a last look at all: one may have been queued again
                pending = [name for name, task in tasks.items() if task.status.is_active]
                if not pending:
                    return tasks
                states.update((name, tasks[name].status) for name in pending)
            now = time.monotonic()
            if deadline is not None and now > deadline and (pending := look(pending)):
                from pyruns_tui.humanize import listed, plural

                raise RunnerError(f"timed out waiting for {plural(len(pending), 'task')}: {listed(pending)}")
            if now >= next_runner_check:
                next_runner_check = now + RUNNER_CHECK_S
                if given_up is not None and given_up():
                    return {name: store.get(name) for name in names}
                if paused(store.layout) and (pending := look(pending)):
                    if all(states[name] is Status.QUEUED for name in pending):
                        return {name: store.get(name) for name in names}  # the rest waits for a resume
                if keep_runner:
                    keep_watched(store)
            waiter.pause(POKED_POLL_S, WAIT_POLL_S)  # or less: the runner pokes its waiters after a pass that ended one


def submits_to_slurm(store: TaskStore, names: Sequence[str]) -> bool:
    """Whether these just-queued tasks go to Slurm."""
    return bool(names) and submits_to_slurm_task(store.get(names[0]))


def submits_to_slurm_task(task: Task) -> bool:
    """Whether the queued `task` goes to Slurm (its request says so)."""
    if task.submit is None:  # a local queue clears it: no import of the Slurm module (~4 ms)
        return False
    from pyruns_tui.runner.slurm.submit import Request

    return Request.of(task) is not None


def submitted_run(task: Task, runs_before: int = 0) -> Run | None:
    """The run a submission made: the last of those after the first `runs_before` (how many the
    task had when it was queued: an earlier run's job id is not this submission's), or None."""
    return task.runs[-1] if len(task.runs) > runs_before else None


def refused_by_slurm(task: Task, runs_before: int = 0) -> bool:
    """A Slurm run that ended without ever getting a job id: sbatch refused it (or the launch)."""
    run = submitted_run(task, runs_before)
    return task.status is Status.FAILED and (run is None or (run.backend == "slurm" and run.slurm_job_id is None))


def wait_submitted(store: TaskStore, names: Sequence[str], timeout_s: float = SUBMIT_WAIT_S,
                   runs_before: Mapping[str, int] | None = None,
                   given_up: Callable[[], bool] | None = None) -> dict[str, Task]:
    """Block until the runner has submitted these tasks to Slurm (each has a job id) or failed them,
    or until `given_up()` says the caller no longer waits (the TUI closing): the tasks as they are."""
    before = runs_before or {}
    deadline = time.monotonic() + timeout_s
    while True:
        tasks = {name: store.get(name) for name in names}
        if all(_submitted_or_over(t, before.get(t.name, 0)) for t in tasks.values()):
            return tasks
        if given_up is not None and given_up():
            return tasks
        if time.monotonic() > deadline:
            raise RunnerError(f"the runner did not submit the tasks within {timeout_s:g} s; see `pyr-tui runner status`")
        if not runner_alive(store.layout):
            start_or_wake(store.layout)
        time.sleep(SUBMIT_POLL_S)


@dataclass
class Submitted:
    """How Slurm answered one call's submissions (`submission_of`): `arrays` maps each job array
    id to its tasks, `refused` each refusal's reason to its tasks; `other` are the tasks that
    ended before being submitted for another reason (stopped meanwhile, a launch that could not be
    built), with their reason."""

    arrays: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[str, list[str]] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    total: int = 0  # the tasks the call queued

    @property
    def submitted(self) -> list[str]:
        return [name for names in self.arrays.values() for name in names]

    def said(self) -> str | None:
        """`submitted 3 of 4 tasks to Slurm as job arrays 41 (a, b), 42 (c)` (`job array 41` when
        one took them all), or None when none was submitted. The CLI and the TUI say this line."""
        from pyruns_tui.humanize import listed, plural

        if not self.arrays:
            return None
        count = len(self.submitted)
        of = f"{count:,} of {plural(self.total, 'task')}" if count < self.total else plural(count, "task")
        if len(self.arrays) == 1 and count == self.total:
            where = f"job array {next(iter(self.arrays))}"
        else:
            where = ("job arrays " if len(self.arrays) > 1 else "job array ") + ", ".join(
                f"{array} ({listed(names)})" for array, names in self.arrays.items())
        return f"submitted {of} to Slurm as {where}"

    def not_submitted(self) -> list[str]:
        """`d: not submitted (stopped by user)`: a line for each task that ended for another reason."""
        return [f"{name}: not submitted ({why})" for name, why in self.other.items()]

    def refusals(self) -> list[str]:
        """A line for each reason sbatch gave: `Slurm refused 1 of 4 tasks (d): WHY`, or
        `Slurm refused the submission: WHY` when that one refusal is all that happened."""
        from pyruns_tui.humanize import listed, plural

        if len(self.refused) == 1 and not self.arrays and not self.other:
            return [f"Slurm refused the submission: {next(iter(self.refused))}"]
        return [f"Slurm refused {len(names):,} of {plural(self.total, 'task')} ({listed(names)}): {why}"
                for why, names in self.refused.items()]


def submission_of(store: TaskStore, outcome: Outcome, given_up: Callable[[], bool] | None = None) -> Submitted:
    """Wait until the runner has submitted the tasks `queue` changed (a call for Slurm, possibly
    split into several arrays) and say what became of each (`Submitted.said`, `.refusals`). Only
    the runs this call made count: a task's earlier run has a job id of its own. `given_up`: as
    `wait_submitted` (the tasks not submitted yet are then in `other`, as their state). A task an
    earlier call had submitted already (forced or moved to the front while queued on Slurm) is
    not this call's: it is left out, instead of waited for until the timeout."""
    before = outcome.runs_before
    names = [name for name in outcome.changed if name in before and not _on_slurm_before(store.get(name), before[name])]
    tasks = wait_submitted(store, names, runs_before=before, given_up=given_up)
    found = Submitted(total=len(names))
    for name in names:
        task = tasks[name]
        run = submitted_run(task, before.get(name, 0))
        if run is not None and run.backend == "slurm" and run.slurm_job_id:
            found.arrays.setdefault(run.slurm_job_id.split("_")[0], []).append(name)
        elif refused_by_slurm(task, before.get(name, 0)):
            found.refused.setdefault(task.reason or "unknown reason", []).append(name)
        else:
            found.other[name] = task.reason or task.status.value
    return found


def _on_slurm_before(task: Task, runs_before: int) -> bool:
    """Whether the task was queued on Slurm, as an array index, before the call that changed it."""
    return len(task.runs) == runs_before and is_slurm_run(task)


def _submitted_or_over(task: Task, runs_before: int) -> bool:
    run = submitted_run(task, runs_before)
    if not task.status.is_active:
        return True
    return run is not None and run.backend == "slurm" and run.slurm_job_id is not None


def keep_watched(store: TaskStore) -> None:
    """While someone waits on running tasks: a runner that vanished (and maybe their
    supervisors) is started again; it adopts the runs or records them lost."""
    if not runner_alive(store.layout):
        start_or_wake(store.layout)


def attach(store: TaskStore) -> bool:
    """When a view opens a workspace: if tasks are queued or running but no runner is alive
    (it crashed, or the machine rebooted), start one; it adopts or recovers them. True if started."""
    if runner_alive(store.layout):
        return False
    if not any(task.status.is_active for task in store.scan()):
        return False
    start_or_wake(store.layout)
    return True


def paused(layout: Layout) -> Pause | None:
    """Why the circuit breaker paused the queue of this workspace, or None (runner/breaker.py)."""
    from pyruns_tui.runner.breaker import read_pause

    return read_pause(RunnerPaths.of(layout).pause)


def resume(store: TaskStore) -> Pause | None:
    """Let the runner start queued tasks again after the circuit breaker paused it; returns the
    pause that was lifted (None when it was not paused)."""
    from pyruns_tui.runner.breaker import clear_pause

    lifted = clear_pause(RunnerPaths.of(store.layout).pause)
    if lifted is not None and any(t.status is Status.QUEUED for t in store.scan()):
        start_or_wake(store.layout)
    return lifted


def failed_names(tasks: dict[str, Task]) -> list[str]:
    """The tasks that did not complete successfully."""
    return [name for name, task in tasks.items() if task.status is not Status.COMPLETED]


__all__ = [
    "Executor",
    "Outcome",
    "Retries",
    "StopOutcome",
    "attach",
    "cancel",
    "failed_names",
    "force_start",
    "keep_watched",
    "queue",
    "paused",
    "rerun",
    "resume",
    "stop",
    "stop_all",
    "wait",
    "wake_runner",
]
