"""The runner's Slurm side: submit queued tasks as job arrays, poll squeue, keep records true.

One `tick` per scheduler pass: submit the calls whose tasks are all queued (one sbatch each),
send the stops, and, when due, one `squeue --me -r -t all` for every job of the workspace. The
poll interval is 1 s while something changes and doubles up to 30 s while nothing does
(`PYRUNS_TUI_SLURM_POLL_MAX_S` lowers the cap, for tests). The disk stays the truth: array
job ids and submit times live in `.runner/slurm/<id>.json`, so a new runner re-adopts them.

The poll runs in a thread of its own (`InThread`): a busy slurmctld can take seconds to answer
(up to the 20 s timeout), and the runner's loop meanwhile starts and ends local runs, follows
output and hears stops. Its answer is applied on the loop, at the first pass after it came;
every record is still written there. A task submitted while the poll was under way is not in
its answer, so it is left for the next poll (at once). A submission's git state is read as a
local run's is (GitCache.read: in a thread, waited for 50 ms). `sbatch` (once per call) and
`scancel` (once per pass that sends stops) run in threads too: a call's tasks are recorded as
submitting before its sbatch starts, and its answer (the job id, or the refusal) is applied on
the loop at the first pass after it came; meanwhile those tasks are neither polled nor sent
stops (a stop asked for meanwhile is sent once the job id is known). A runner that exits waits
for the sbatch calls under way, so their job ids are recorded and the next runner adopts them.
One killed meanwhile never records the id; the next runner finds the array by the submission's
job name in its polls (`_adopt`), waiting ORPHAN_WAIT_S for it, and after that for as long as
that sbatch process still waits for slurmctld (and one poll more), before failing its tasks: an
array that appeared after they were failed would run unwatched. An array that ran and already left
squeue (MinJobAge) before the next runner looked is found by the job id its launcher wrote into an
exit record, and its runs end as those records say. A submission that is over moves to
`.runner/slurm/done/` at a full pass (`_retire`), so a runner's start does not grow with history.
A run's end: a script that ended with an exit code of its own (its exit record) ends the run as
that code says, whatever Slurm says of the job after (`_final`); while squeue fails, a run whose
exit record says it ended is recorded so after UNCONFIRMED_END_S (`_end_unconfirmed`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyruns_tui.errors import PyrunsError, RunnerError
from pyruns_tui.runner.daemon import proc as P
from pyruns_tui.runner.daemon.launch import Launch, ScriptParamsCache, build_launch, task_env
from pyruns_tui.runner.daemon.output_watch import OutputWatches
from pyruns_tui.runner.daemon.record import GitCache, InThread, redact_env, resolve_python
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.runner.redact import redact_argv
from pyruns_tui.runner.slurm import commands as C
from pyruns_tui.runner.slurm import records as R
from pyruns_tui.runner.slurm.submit import Request, Submission, entry, gpus_of, load_all, sbatch_options, slurm_dir
from pyruns_tui.workspace.fsio import atomic_write_json
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status, Task, now_iso, parse_iso
from pyruns_tui.workspace.scan_index import StatKey
from pyruns_tui.workspace.settings import Settings
from pyruns_tui.workspace.store import TaskStore, stat_key

if TYPE_CHECKING:
    import asyncio

POLL_MIN_S = 1.0
POLL_MAX_S = 30.0
POLL_MAX_ENV = "PYRUNS_TUI_SLURM_POLL_MAX_S"
CALL_WAIT_S = 5.0  # a call whose tasks are not all queued yet is submitted anyway after this
ORPHAN_WAIT_S = 3 * C.TIMEOUT_S  # how long a submission whose runner died during sbatch may still appear
ORPHAN_WAIT_ENV = "PYRUNS_TUI_SLURM_ORPHAN_WAIT_S"  # lowers it (for tests)
# a run whose exit record says it ended, while every squeue fails for this long, is recorded ended
# as the record says, unconfirmed by Slurm (it stayed `running` for as long as slurmctld was down)
UNCONFIRMED_END_S = 30.0
UNCONFIRMED_END_ENV = "PYRUNS_TUI_SLURM_UNCONFIRMED_END_S"  # lowers it (for tests)
CANCELLED_PENDING = "cancelled while queued on Slurm"  # a stopped index that never started
STOP_ESCALATE_S = 10.0  # after the grace: a batch shell that ignored SIGTERM gets a full scancel
QUEUED_STATES = frozenset({"PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD", "SPECIAL_EXIT"})
RUNNING_STATES = frozenset({"CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED"})
FAILED_STATES = frozenset({"TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED"})
DONE_DIR = "done"  # in .runner/slurm/: the submissions that are over (never read by a runner)
RETIRE_CHECKS = 2000  # task records a full pass reads at most to confirm that submissions are over

@dataclass
class Sbatch:
    """A call's sbatch under way (in a thread): its submission and the tasks marked submitting."""

    sub: Submission
    marked: list[Task]
    call: InThread[str]


@dataclass
class Cancels:
    """The scancel calls of one pass under way (in a thread), and the pending runs they end."""

    pending: list[Task]
    call: InThread[None]


@dataclass
class SlurmExecutor:
    """Submissions, polls and stops of one workspace's Slurm runs."""

    layout: Layout
    store: TaskStore
    log: Callable[[str], None]
    fail_unstartable: Callable[[Task, str], None]
    params: ScriptParamsCache  # the runner's, shared with its local launches
    git: GitCache  # the runner's: a git state read once (or read ahead as it starts) serves both executors
    outputs: OutputWatches | None = None  # the runner's output watches: progress and metrics of running runs
    subs: dict[str, Submission] = field(default_factory=dict)  # by array job id
    jobs: dict[str, C.JobRow] = field(default_factory=dict)  # the last poll, our indices only
    error: str | None = None
    owned: int = 0
    next_poll: float = 0.0
    interval: float = POLL_MIN_S
    stop_sent: dict[str, float] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None  # the runner's loop (set by the service): polls run in a thread
    wake: Callable[[], None] = lambda: None  # asks the loop for a pass (when a poll's answer is in)
    polling: InThread[list[C.JobRow]] | None = None  # the poll under way
    poll_soon: bool = False  # a stop was sent: poll again as soon as the one under way is done
    ended: bool = False  # a record left the queue or a run (the runner pokes its waiters, wake.py)
    fresh: set[str] = field(default_factory=set)  # tasks submitted since the poll under way began
    submitting: dict[str, Sbatch] = field(default_factory=dict)  # sbatch calls under way, by submission id
    # submissions an earlier runner handed to sbatch without living to hear its answer, by job name
    unanswered: dict[str, Submission] = field(default_factory=dict)
    cancelling: Cancels | None = None  # the scancel calls under way
    poll_began: float = 0.0  # when the poll whose answer is applied began (monotonic)
    orphan_wait: float = ORPHAN_WAIT_S
    orphans: dict[str, tuple[float, bool]] = field(default_factory=dict)  # sub id -> (poll, its sbatch waiting)
    orphans_gone: dict[str, float] = field(default_factory=dict)  # sub id -> when its sbatch was first seen gone
    retire_error: str | None = None  # the last reason a submission could not be moved to done/ (said once)
    # the exit records of the running runs as last looked at (task -> (stat key, says exited))
    records_seen: dict[str, tuple[StatKey | None, bool]] = field(default_factory=dict)
    exited_seen: dict[str, float] = field(default_factory=dict)  # task -> when its record first said ended
    failing_since: float | None = None  # when the first of the failed polls in a row began (monotonic)
    unconfirmed_wait: float = UNCONFIRMED_END_S

    def __post_init__(self) -> None:
        self.dir = slurm_dir(self.layout)
        for sub in load_all(self.layout):
            if sub.job_id:
                self.subs[sub.job_id] = sub
            else:
                self.unanswered[sub.job_name] = sub
        self.poll_max = POLL_MAX_S
        with contextlib.suppress(ValueError):
            self.poll_max = max(POLL_MIN_S, min(POLL_MAX_S, float(os.environ.get(POLL_MAX_ENV, POLL_MAX_S))))
        with contextlib.suppress(ValueError):
            self.orphan_wait = max(0.0, min(ORPHAN_WAIT_S, float(os.environ.get(ORPHAN_WAIT_ENV, ORPHAN_WAIT_S))))
        with contextlib.suppress(ValueError):
            wait = float(os.environ.get(UNCONFIRMED_END_ENV, UNCONFIRMED_END_S))
            self.unconfirmed_wait = max(0.0, min(UNCONFIRMED_END_S, wait))

    @property
    def busy(self) -> bool:
        return self.owned > 0

    def next_timeout(self) -> float | None:
        if not self.owned or self.polling is not None:  # (the poll's answer wakes the loop)
            return None
        return max(0.0, self.next_poll - time.monotonic())

    def tick(self, settings: Settings, owned: list[Task], new: list[Task], *, full: bool = False) -> None:
        """One scheduler pass: `owned` are the tasks whose run is a queued or running Slurm index
        (all of them when the pass is `full`), `new` the queued tasks asking for Slurm."""
        ended = self._stops_done()
        landed, refused = self._sbatch_done()
        submitted = self._submit_calls(settings, new) if new else []
        # the records just written replace the ones this pass read; runs just ended are left out
        latest = {task.name: task for task in landed + submitted}
        owned = [latest.pop(task.name, task) for task in owned if task.name not in ended | refused]
        owned += latest.values()
        # a call still waiting for the rest of its tasks, or for its sbatch, keeps the runner from
        # its idle exit (its tasks were in `new` this pass, in `owned` from the next)
        self.owned = len(owned) + len(new) - len(submitted)
        under_way = {task.name for call in self.submitting.values() for task in call.marked}
        owned = [task for task in owned if task.name not in under_way]  # no job id yet: not polled, not stopped
        if full and (self.subs or self.unanswered):
            self._retire(owned)
        if not owned:
            self.interval = POLL_MIN_S
            self.next_poll = time.monotonic() + POLL_MIN_S  # a waiting call is looked at again then
            return
        self.poll_soon |= self._ended_on_node(owned)
        unconfirmed = self._end_unconfirmed(owned)
        owned = [task for task in owned if task.name not in unconfirmed]
        self.poll_soon |= self._stops(settings, [t for t in owned if t.stop_requested])
        poll = self.polling
        if poll is not None:
            if not poll.done.is_set():
                return
            self.polling = None
            self._take(poll.value or [], poll.error, owned)
        if self.poll_soon or time.monotonic() >= self.next_poll:
            self.poll_soon = False
            self.fresh.clear()
            self.poll_began = time.monotonic()
            if self.loop is not None:
                try:
                    self.polling = InThread(C.squeue, self.loop, self.wake, "squeue")
                    return
                except RuntimeError:  # no thread to be had (a process limit): ask here, as before
                    pass
            try:
                rows, error = C.squeue(), None
            except RunnerError as exc:
                rows, error = [], exc
            self._take(rows, error, owned)

    def update(self, name: str, change: Callable[[Task], None]) -> Task | None:
        """Apply `change` to the task's record; None when it no longer applies or is gone."""
        try:
            task = self.store.update(name, change, fsync=False)
            self.ended |= not task.status.is_active
            return task
        except R.Skip:
            return None
        except PyrunsError as exc:
            self.log(f"{name}: {exc}")
            return None
        finally:
            self.store.forget(name)

    def _submit_calls(self, settings: Settings, new: list[Task]) -> list[Task]:
        calls: dict[str, list[Task]] = {}
        for task in new:
            request = Request.of(task)
            if request is not None:
                calls.setdefault(request.call, []).append(task)
        submitted: list[Task] = []
        for tasks in calls.values():
            request = Request.of(tasks[0])
            assert request is not None
            oldest = min(parse_iso(t.queued_at) or 0.0 for t in tasks)
            if len(tasks) < request.count and time.time() - oldest < CALL_WAIT_S:
                continue  # the rest of the call is still being written
            by_gpus: dict[int, list[Task]] = {}
            for task in sorted(tasks, key=lambda t: (t.queued_at or "", t.name)):
                by_gpus.setdefault(gpus_of(task, settings), []).append(task)
            parts = [(gpus, self._prepare(settings, group)) for gpus, group in sorted(by_gpus.items())]
            if any(ready is None for _, ready in parts):
                continue  # a slow git (read in a thread): the pass after its answer submits the whole call
            for part, (gpus, ready) in enumerate(parts):
                sub_id = request.call if part == 0 else f"{request.call}-{part}"
                submitted += self._submit(settings, request, sub_id, gpus, ready or [])
        return submitted

    def _prepare(self, settings: Settings, tasks: list[Task]) -> list[tuple[Task, Launch, dict[str, Any] | None]] | None:
        """Each task's launch and git state; a task that cannot be launched is failed and left
        out. None while a git state is being read (nothing is written then)."""
        from pyruns_tui.runner.daemon.runs import logs_dir_problem

        launches = []
        for task in tasks:
            try:
                launch = build_launch(self.store, task, settings, None, self.params)
            except PyrunsError as exc:
                self.fail_unstartable(task, str(exc))
                continue
            problem = logs_dir_problem(self.layout.task_dir(task.name) / "run_logs")
            if problem:
                self.fail_unstartable(task, problem)
                continue
            launches.append((task, launch))
        gits = {}
        for folder in {launch.repo_dir for _, launch in launches}:
            known, gits[folder] = self.git.read(folder, self.loop, self.wake)
            if not known:
                return None
        return [(task, launch, gits[launch.repo_dir]) for task, launch in launches]

    def _submit(self, settings: Settings, request: Request, sub_id: str, gpus: int,
                ready: list[tuple[Task, Launch, dict[str, Any] | None]]) -> list[Task]:
        """One sbatch for these prepared tasks, in a thread (`submitting`; none to be had: here);
        the tasks now owned (with their Slurm run recorded) when it was answered here."""
        sub = Submission(id=sub_id, dir=self.dir)
        marked: list[Task] = []
        python = resolve_python(settings.python_executable)
        for task, launch, git in ready:
            env = task_env({}, self.layout, task, settings, None)
            done = self.update(task.name, R.mark_submitting(python, git, redact_env(env), redact_argv(launch.argv)))
            if done is None or done.last_run is None:
                continue
            index = done.last_run.index
            log = self.layout.run_log(task.name, index)
            log.parent.mkdir(parents=True, exist_ok=True)
            sub.entries.append(entry(task.name, index, launch.argv, env, launch.cwd, log,
                                     R.record_path(self.layout, task.name, index), settings.stop_grace_s,
                                     RunnerPaths.of(self.layout).fifo))
            marked.append(done)
        if not marked:
            return []
        self.dir.mkdir(parents=True, exist_ok=True)
        sub.sbatch = sbatch_options(settings, request, len(sub.entries), gpus, sub.job_name, sub.output)
        try:
            sub.save()
            sub.write_script()
            # the "submitting" records and the submission on disk before Slurm has the job: after a
            # power loss the tasks are never back to `queued`, so nothing is submitted twice
            self.store.sync()
        except OSError as exc:
            self._refused(sub, marked, f"cannot write the submission: {exc}")
            return []
        call = functools.partial(C.sbatch, sub.sbatch, str(sub.script))
        if self.loop is not None:
            try:
                self.submitting[sub.id] = Sbatch(sub, marked, InThread(call, self.loop, self.wake, "sbatch"))
                return []
            except RuntimeError:  # no thread to be had (a process limit): ask here, as before
                pass
        try:
            job = call()
        except PyrunsError as exc:
            self._refused(sub, marked, str(exc))
            return []
        return self._submitted(sub, marked, job)

    def _sbatch_done(self, wait_s: float = 0.0) -> tuple[list[Task], set[str]]:
        """Apply the answers of the sbatch calls that are done (waiting up to `wait_s` for each):
        the tasks now owned (their job id recorded), and the names of those a refusal failed."""
        owned: list[Task] = []
        refused: set[str] = set()
        for sub_id, under_way in list(self.submitting.items()):
            if not under_way.call.done.wait(wait_s):
                continue
            del self.submitting[sub_id]
            error = under_way.call.error
            if error is not None:
                why = str(error) if isinstance(error, PyrunsError) else f"sbatch: {error!r}"
                self._refused(under_way.sub, under_way.marked, why)
                refused.update(task.name for task in under_way.marked)
            else:
                assert under_way.call.value is not None
                owned += self._submitted(under_way.sub, under_way.marked, under_way.call.value)
        return owned, refused

    def close(self) -> None:
        """The runner exits: the sbatch and scancel calls under way are waited for (each gives up
        after C.TIMEOUT_S) and their answers recorded: a job id is never lost with the runner."""
        self._sbatch_done(wait_s=C.TIMEOUT_S + 5.0)
        if self.cancelling is not None:
            self.cancelling.call.done.wait(C.TIMEOUT_S * 3 + 5.0)
            self._stops_done()

    def _refused(self, sub: Submission, marked: list[Task], reason: str) -> None:
        """A submission that never reached Slurm: its files go, its tasks fail with `reason`."""
        self.log(f"submission {sub.id} refused: {reason}")
        for path in (sub.path, sub.script):
            with contextlib.suppress(OSError):
                path.unlink()
        for task in marked:
            self._finish(task.name, task.last_run.index if task.last_run else 0, Status.FAILED, reason, None)

    def _submitted(self, sub: Submission, marked: list[Task], job: str) -> list[Task]:
        """Slurm took the submission as array `job`: record it; the tasks now owned."""
        sub.job_id = job
        sub.save()
        self.subs[job] = sub
        from pyruns_tui.humanize import plural

        self.log(f"submitted {plural(len(marked), 'task')} as Slurm array {job} ({sub.script})")
        owned = []
        for position, task in enumerate(marked):
            done = self.update(task.name, R.mark_submitted(f"{job}_{position}"))
            if done is not None:
                owned.append(done)
                self.fresh.add(task.name)
        try:  # the job id too: after a power loss the runner finds the array again
            self.store.sync()
        except OSError as exc:
            self.log(f"submission {sub.id}: the records of job {job} may not be on disk: {exc}")
        self.next_poll = time.monotonic()  # learn the submit time and the first states at once
        self.interval = POLL_MIN_S
        return owned

    def _retire(self, owned: list[Task]) -> None:
        """Move the submissions that are over to `done/`, where no runner reads them (a runner
        reads every submission in `.runner/slurm/` as it starts: 1,000 of them took ~75 ms).
        Over: none of its runs is among `owned` (a full pass: every Slurm run still queued or
        running), no index of its array was queued or running at the last poll (while polls go
        on), an unanswered one's sbatch can no longer answer, and each of its tasks' records, read
        again now, has that run ended or is gone (a pass that could not list the tasks must not
        retire a live array).
        At most RETIRE_CHECKS records are read per pass; the rest wait for the next full pass."""
        live = {(task.name, task.last_run.index) for task in owned if task.last_run is not None}
        # (the last poll's rows; none are polled while nothing is owned, and then they may be old:
        # a pending index just cancelled, which Slurm forgets, would keep its array forever)
        active = {run_id.partition("_")[0] for run_id, row in self.jobs.items()
                  if row.state in QUEUED_STATES or row.state in RUNNING_STATES} if owned else set()
        budget = RETIRE_CHECKS
        over: list[Submission] = []
        for sub in [*self.subs.values(), *self.unanswered.values()]:
            if budget <= 0:
                break
            runs = [(name, index) for _, name, index in sub.runs()]
            if sub.job_id in active or any(run in live for run in runs):
                continue
            if sub.job_id is None and self._may_still_answer(sub):
                continue
            budget -= len(runs)
            if all(self._run_over(name, index) for name, index in runs):
                over.append(sub)
        if over:
            self._move_to_done(over)

    def _run_over(self, name: str, index: int) -> bool:
        """Whether task `name`'s run `index` has ended (or the task is gone), read from its file now."""
        try:
            task = self.store.read_uncached(name)
        except (FileNotFoundError, NotADirectoryError):
            return True  # trashed or deleted
        except (OSError, PyrunsError, ValueError):
            return False  # unreadable now: kept, looked at again at the next full pass
        run = next((run for run in task.runs if run.index == index), None)
        return run is None or not run.status.is_active

    def _move_to_done(self, subs: list[Submission]) -> None:
        """Each submission's outputs (an empty one is removed), batch script, then its file, into
        `done/`, renamed relative to folders opened without following links. Its file goes last:
        one left behind by a crash is found again by the next runner, which finishes the move."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        src = dst = -1
        try:
            src = os.open(self.dir, flags)
            with contextlib.suppress(FileExistsError):
                os.mkdir(DONE_DIR, 0o700, dir_fd=src)
            dst = os.open(DONE_DIR, flags, dir_fd=src)
            names = os.listdir(src)
            for sub in subs:
                outs = [name for name in names if name.startswith(sub.id + "_") and name.endswith(".out")]
                for name in (*outs, sub.script.name, sub.path.name):
                    try:
                        info = os.stat(name, dir_fd=src, follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    if name in outs and stat.S_ISREG(info.st_mode) and info.st_size == 0:
                        os.unlink(name, dir_fd=src)  # the launcher said nothing: nothing to keep
                    else:
                        os.rename(name, name, src_dir_fd=src, dst_dir_fd=dst)
                self.subs.pop(sub.job_id or "", None)
                self.unanswered.pop(sub.job_name, None)
                self.orphans.pop(sub.id, None)
                self.orphans_gone.pop(sub.id, None)
            self.retire_error = None
        except OSError as exc:
            why = f"cannot move finished submissions to {self.dir / DONE_DIR}: {exc.strerror or exc}"
            if why != self.retire_error:
                self.log(why)
            self.retire_error = why
        finally:
            for fd in (src, dst):
                if fd >= 0:
                    os.close(fd)

    def _stops(self, settings: Settings, tasks: list[Task]) -> bool:
        """scancel what was asked to stop: pending indices at once (recorded by us, since Slurm
        forgets them), running ones through their launcher (SIGTERM, then the grace)."""
        now = time.monotonic()
        pending: list[Task] = []
        running: list[str] = []
        escalate: list[str] = []
        if self.cancelling is not None:  # the last pass's are under way: these are sent after them
            return False
        for task in tasks:
            run = task.last_run
            assert run is not None
            if run.status is Status.QUEUED:
                pending.append(task)
            elif task.name not in self.stop_sent and run.slurm_job_id:
                running.append(run.slurm_job_id)
                self.stop_sent[task.name] = now
            elif run.slurm_job_id and now - self.stop_sent.get(task.name, now) > settings.stop_grace_s + STOP_ESCALATE_S:
                escalate.append(run.slurm_job_id)
                self.stop_sent[task.name] = now
        if not (pending or running or escalate):
            return False

        def cancel() -> None:
            C.scancel([t.last_run.slurm_job_id for t in pending if t.last_run and t.last_run.slurm_job_id])
            C.scancel(running, batch_signal="TERM")
            C.scancel(escalate)

        if self.loop is not None:
            try:
                self.cancelling = Cancels(pending, InThread(cancel, self.loop, self.wake, "scancel"))
                return False  # polled soon once they are done
            except RuntimeError:  # no thread to be had: here, as before
                pass
        try:
            cancel()
        except RunnerError as exc:
            self.log(f"stop: {exc}")
            return False
        self._cancelled(pending)
        return True

    def _stops_done(self) -> set[str]:
        """Apply the scancel calls of a pass once they are done: the pending runs they cancelled
        end (their names are returned)."""
        under_way = self.cancelling
        if under_way is None or not under_way.call.done.is_set():
            return set()
        self.cancelling = None
        error = under_way.call.error
        if error is not None:
            self.log(f"stop: {error}" if isinstance(error, PyrunsError) else f"stop: scancel: {error!r}")
            return set()
        self._cancelled(under_way.pending)
        self.poll_soon = True
        return {task.name for task in under_way.pending}

    def _cancelled(self, pending: list[Task]) -> None:
        for task in pending:
            assert task.last_run is not None
            self._finish(task.name, task.last_run.index, Status.INTERRUPTED, CANCELLED_PENDING, None)

    def _take(self, rows: list[C.JobRow], error: Exception | None, owned: list[Task]) -> None:
        """Bring the owned runs up to date with a poll's answer (`rows`, or the `error` it raised)."""
        if error is not None:
            why = str(error) if isinstance(error, RunnerError) else f"squeue: {error}"
            if why != self.error:
                self.log(f"poll: {why}")
            self.error = why
            if self.failing_since is None:
                self.failing_since = self.poll_began
            self._schedule(False)
            self._write_status()
            return
        self.error = None
        self.failing_since = None
        adopted = self._adopt(rows, owned) if self.unanswered else set()
        by_id = {row.job_id: row for row in rows if row.array_id in self.subs}
        changed = False
        later = False
        for task in owned:
            run = task.last_run
            if run is None:
                continue
            if task.name in self.fresh or task.name in adopted:  # its job id is newer than this record
                later = True
                continue
            row = by_id.get(run.slurm_job_id or "")
            if row is not None and not self._ours(row):
                row = None
            changed |= self._apply(task, run, row)
        self.jobs = {run_id: row for run_id, row in by_id.items() if self._ours(row)}
        # a run sent a stop ends within its grace: look again in a second, not after the backed-off
        # interval (up to 30 s of `running` after the job was gone)
        ending = any(task.name in self.stop_sent or self.records_seen.get(task.name, (None, False))[1] for task in owned)
        self._schedule(changed or ending)
        if later:
            self.next_poll = time.monotonic()
        self._write_status()

    def _adopt(self, rows: list[C.JobRow], owned: list[Task]) -> set[str]:
        """A runner killed while its sbatch was under way never recorded the job id, yet the
        orphaned sbatch may have submitted the array: a job with that submission's name is
        taken as its own (its tasks' runs get their index's id). An array that ran and already
        left squeue (MinJobAge) before this runner looked is known by the job id its launcher
        wrote into a task's exit record. The names of the tasks adopted."""
        adopted: set[str] = set()
        for row in rows:
            sub = self.unanswered.pop(row.name, None)
            if sub is not None:
                adopted |= self._answered(sub, row.array_id, "its sbatch answered after its runner stopped")
        waiting = {(t.name, t.last_run.index) for t in owned if t.last_run is not None and t.last_run.slurm_job_id is None}
        for sub in list(self.unanswered.values()):
            array_id = self._ran_as(sub, waiting)
            if array_id is not None:
                del self.unanswered[sub.job_name]
                adopted |= self._answered(sub, array_id, "from its tasks' exit records: it ran and left squeue "
                                                         "before this runner looked")
        return adopted

    def _answered(self, sub: Submission, array_id: str, how: str) -> set[str]:
        """Record `array_id` as the answer to submission `sub`; the names of its tasks marked so."""
        sub.job_id = array_id
        with contextlib.suppress(OSError):
            sub.save()
        self.subs[array_id] = sub
        self.log(f"submission {sub.id}: found as Slurm array {array_id} ({how})")
        marked: set[str] = set()
        for position, name, index in sub.runs():
            done = self.update(name, R.mark_answered(index, f"{array_id}_{position}"))
            if done is not None:
                marked.add(done.name)
        return marked

    def _ran_as(self, sub: Submission, waiting: set[tuple[str, int]]) -> str | None:
        """The array id an exit record of one of this submission's waiting runs names (the
        launcher writes `<array>_<index>`, its index being the entry's position), or None."""
        for position, name, index in sub.runs():
            if (name, index) not in waiting:
                continue
            record = R.read_record(R.record_path(self.layout, name, index))
            job = record.get("slurm_job_id") if record else None
            array_id, _, at = job.partition("_") if isinstance(job, str) else ("", "", "")
            if array_id.isdigit() and at == str(position):
                return array_id
        return None

    def _unanswered_for(self, task: Task, run: Run) -> Submission | None:
        """The unanswered submission holding this run, while its sbatch may still answer."""
        for sub in self.unanswered.values():
            if any(spec.get("task") == task.name and spec.get("run") == run.index for spec in sub.entries):
                return sub if self._may_still_answer(sub) else None
        return None

    def _may_still_answer(self, sub: Submission) -> bool:
        """ORPHAN_WAIT_S from the submission's writing; then while its sbatch process is still
        there (a slurmctld slower than that), and until a poll that began after it went."""
        try:
            age = time.time() - sub.path.stat().st_mtime
        except OSError:
            return False
        if age < self.orphan_wait:
            return True
        checked = self.orphans.get(sub.id)
        if checked is None or checked[0] != self.poll_began:  # one look at /proc per poll
            checked = (self.poll_began, C.sbatch_waiting(str(sub.script)))
            if checked[1] and sub.id not in self.orphans:
                self.log(f"submission {sub.id}: its sbatch, left by a runner that was killed, still waits for "
                         "slurmctld; its tasks wait for the answer")
            self.orphans[sub.id] = checked
        if checked[1]:
            self.orphans_gone.pop(sub.id, None)
            return True
        gone = self.orphans_gone.setdefault(sub.id, time.monotonic())
        return gone >= self.poll_began  # it went after this poll began: the next one may show its array

    def _ended_on_node(self, owned: list[Task]) -> bool:
        """Whether the launcher of a running run has just written that it ended (its exit record,
        on the shared filesystem, looked at each pass: a stat, read when it changed): squeue is
        then asked at once, and every second until the run is recorded ended, instead of after
        the backed-off interval (up to 30 s of `running` after the task was over)."""
        seen: dict[str, tuple[StatKey | None, bool]] = {}
        ended = False
        now = time.monotonic()
        for task in owned:
            run = task.last_run
            if run is None or not (run.status is Status.RUNNING or (self.error and run.slurm_job_id)):
                continue  # (a queued one too while squeue fails: it may have run meanwhile)
            path = R.record_path(self.layout, task.name, run.index)
            key = stat_key(path)
            before = self.records_seen.get(task.name)
            if before is not None and before[0] == key:
                seen[task.name] = before
                continue
            record = R.read_record(path) if key is not None else None
            exited = bool(record and record.get("state") == "exited")
            seen[task.name] = (key, exited)
            ended |= exited
        self.records_seen = seen
        self.exited_seen = {name: self.exited_seen.get(name, now) for name, (_, exited) in seen.items() if exited}
        return ended

    def _end_unconfirmed(self, owned: list[Task]) -> set[str]:
        """While squeue fails (slurmctld down or unreachable), a run whose exit record says the
        script ended would stay `running` for as long as that lasts: once every poll has failed
        for `unconfirmed_wait` s since the record said so, the run ends as the record says, with
        a note in its reason. Slurm answering later changes nothing (the run is no longer owned).
        The names of the tasks ended."""
        if self.error is None or self.failing_since is None:
            return set()
        now = time.monotonic()
        ended: set[str] = set()
        for task in owned:
            run = task.last_run
            seen = self.exited_seen.get(task.name)
            if run is None or seen is None or now - max(seen, self.failing_since) < self.unconfirmed_wait:
                continue
            record = R.read_record(R.record_path(self.layout, task.name, run.index))
            if not (record and record.get("state") == "exited"):
                continue
            status, reason = self._final(task, None, record)
            note = (f"Slurm did not confirm the end (squeue failed for {self.unconfirmed_wait:g} s): "
                    "recorded from its exit record")
            self.log(f"{task.name}: {note} ({self.error})")
            self._end(task, run, status, note if reason is None else f"{reason}; {note}", record)
            ended.add(task.name)
        return ended

    def _schedule(self, changed: bool) -> None:
        self.interval = POLL_MIN_S if changed else min(self.poll_max, self.interval * 2)
        self.next_poll = time.monotonic() + self.interval

    def _ours(self, row: C.JobRow) -> bool:
        """A job id names our array only with our job name (it carries the submission id) and a
        submit time not before the one first seen: job ids start again at 1 on a fresh cluster,
        and a requeue moves an index's submit time forward."""
        sub = self.subs.get(row.array_id)
        if sub is None or row.name != sub.job_name:
            return False
        if sub.submit_time is None and row.submit_time:
            sub.submit_time = row.submit_time
            with contextlib.suppress(OSError):
                sub.save()
        return sub.submit_time is None or row.submit_time >= sub.submit_time

    def _apply(self, task: Task, run: Run, row: C.JobRow | None) -> bool:
        """Bring one run's record up to date with squeue and its exit record; True if it changed."""
        path = R.record_path(self.layout, task.name, run.index)
        record = R.read_record(path) if row is None or row.state not in QUEUED_STATES else None
        if row is not None and row.state in QUEUED_STATES:
            if run.status is Status.RUNNING:
                self.log(f"{task.name}: requeued by Slurm ({row.job_id})")
                return self.update(task.name, R.requeued(run.index)) is not None
            waiting = f"Slurm: {row.reason}" if row.reason and row.reason != "None" else "Slurm: pending"
            if task.reason != waiting:
                self.update(task.name, R.set_reason(run.index, waiting))
            return False
        if row is not None and row.state in RUNNING_STATES:
            self._watch(task, run, record)
            attempt = record.get("attempt") if record else None
            if run.status is Status.QUEUED or (isinstance(attempt, int) and attempt > (run.restarts or 0)):
                self.update(task.name, R.running(run.index, row.node, record))
                return True
            if run.pid is None and record and record.get("child_pid"):
                self.update(task.name, R.running(run.index, row.node, record))
            return False
        reason: str | None
        if row is None and run.slurm_job_id is None:
            if self._unanswered_for(task, run) is not None:
                return False  # its sbatch, orphaned by a killed runner, may still submit it
            status, reason = Status.FAILED, "the runner stopped while submitting it; run it again"
        else:
            status, reason = self._final(task, row, record)
        self._end(task, run, status, reason, record)
        return True

    def _end(self, task: Task, run: Run, status: Status, reason: str | None, record: dict[str, Any] | None) -> None:
        """Record the end of a run this executor owned."""
        if run.slurm_job_id is not None and self.outputs is not None:
            self._watch(task, run, record)  # one that ended between two polls is read whole now
            self.outputs.finish(task.name)
        self._finish(task.name, run.index, status, reason, record)
        self.stop_sent.pop(task.name, None)
        self.exited_seen.pop(task.name, None)
        if self.cancelling is not None:  # ended by a poll before its scancel call was seen done: not again
            self.cancelling.pending[:] = [t for t in self.cancelling.pending if t.name != task.name]
        with contextlib.suppress(OSError):
            Path(f"{R.record_path(self.layout, task.name, run.index)}.lock").unlink()

    def _watch(self, task: Task, run: Run, record: dict[str, Any] | None) -> None:
        """Follow the output of a run Slurm runs (its log is written by its launcher): a run this
        runner did not see start (marked running by an earlier runner) is adopted, its output so
        far already read."""
        if self.outputs is None:
            return
        started = (record or {}).get("started_at")
        started_at = float(started) if isinstance(started, (int, float)) else parse_iso(run.start)
        watch = self.outputs.watches.get(task.name)
        if watch is not None:  # squeue may say running before the launcher's record is there
            watch.know_start(started_at)
            return
        self.outputs.add(task.name, run.index, started_at, resume=run.status is Status.RUNNING)

    def _final(self, task: Task, row: C.JobRow | None, record: dict[str, Any] | None) -> tuple[Status, str | None]:
        from pyruns_tui.runner.daemon.runs import exit_reason

        state = row.state if row is not None else None
        exited = P.RunState.read(Path(R.record_path(self.layout, task.name, task.last_run.index if task.last_run else 0)))
        on_its_own = exited is not None and exited.exited and not exited.stopped and exited.exit_code is not None
        if on_its_own and not (task.stop_requested and state == "CANCELLED"):
            # the script ended with an exit code: that decides, not what Slurm said of the job after
            # (a TIMEOUT reached while slurmctld was down when it ended, a NODE_FAIL after it)
            assert exited is not None
            status, reason = exit_reason(exited)
            if state in FAILED_STATES or state == "CANCELLED":
                later = f"Slurm: {state} after the script ended"
                reason = later if reason is None else f"{reason}; {later}"
            return status, reason
        if state in FAILED_STATES:
            return Status.FAILED, f"Slurm: {state}"
        run = task.last_run
        if state in ("CANCELLED", None) and task.stop_requested and record is None and run is not None \
                and run.status is Status.QUEUED:
            # a stop of a pending index, seen CANCELLED (or gone) by a poll before its scancel call
            # was seen done: said as `_cancelled` says it (the poll won that race now and then under load)
            return Status.INTERRUPTED, CANCELLED_PENDING
        if state == "CANCELLED" or (state is None and task.stop_requested and not (record and record.get("state") == "exited")):
            return Status.INTERRUPTED, "stopped by user" if task.stop_requested else "cancelled in Slurm"
        if exited is not None and exited.exited:
            if exited.stopped and not task.stop_requested:
                if exited.deadline:
                    return Status.FAILED, "Slurm time limit (stopped stop_grace_s before it)"
                return Status.FAILED, "stopped by Slurm (a SIGTERM: preemption, or scancel --signal)"
            return exit_reason(exited)
        job = task.last_run.slurm_job_id if task.last_run else None
        if state is None:
            return Status.FAILED, f"runner lost: Slurm no longer knows job {job} and it left no exit record"
        return Status.FAILED, f"Slurm: job {job} {state} without an exit record (see {self.dir})"

    def _finish(self, name: str, index: int, status: Status, reason: str | None, record: dict[str, Any] | None) -> None:
        error: tuple[str, int | None] | None = None
        if status is Status.FAILED and record is not None and record.get("state") == "exited":
            from pyruns_tui.runner.daemon.triage import read_failure

            summary = read_failure(self.layout.run_log(name, index), exit_code=record.get("exit_code"),
                                   signal_number=record.get("signal"), kernel_oom=False)
            error = (summary.error, summary.line)
        self.update(name, R.finished(index, status, reason, record, error))
        self.log(f"{name}: run {index} {status.value}" + (f" ({reason})" if reason else ""))

    def _write_status(self) -> None:
        data = {
            "polled_at": now_iso(),
            "error": self.error,
            "interval_s": self.interval,
            "jobs": {job: {"state": r.state, "reason": r.reason, "node": r.node} for job, r in sorted(self.jobs.items())},
        }
        with contextlib.suppress(OSError):
            atomic_write_json(self.dir / "status.json", data, fsync=False, mode=0o600)
