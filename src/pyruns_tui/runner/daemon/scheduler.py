"""The scheduler: one pass over the workspace starts, stops, finishes and recovers runs.

This module is the pass itself (reading the queue, writing task records); the rest of the
`Scheduler` lives beside it: `placement` (slots, GPUs, starting a run), `ending` (a run's end
and its record) and `recovery` (runs no runner watched, emptied records, stale state files).

`tick()` is called by the runner's event loop whenever something may have changed (a wake-up
message, a supervisor exit, a periodic rescan). Order of the queue: force-started tasks first,
then `queued_at` (FIFO). At most `max_concurrency` runs (or the `run -j N` override) except
forced ones. GPU tasks start in queue order: a GPU task that must wait holds back the GPU tasks
behind it (no starvation of big requests), while CPU-only tasks still start.
"""

from __future__ import annotations

import bisect
import functools
import os
import time

from pyruns_tui.errors import PyrunsError
from pyruns_tui.runner import dependencies
from pyruns_tui.runner.breaker import read_pause
from pyruns_tui.runner.daemon import proc as P
from pyruns_tui.runner.daemon.recovery import Recovery
from pyruns_tui.runner.daemon.runs import blocked, queue_order
from pyruns_tui.runner.paths import concurrency_override
from pyruns_tui.runner.slurm.records import is_slurm_run
from pyruns_tui.runner.slurm.submit import Request
from pyruns_tui.workspace.layout import TASK_INFO
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.scan_index import ScanIndex
from pyruns_tui.workspace.settings import SettingsInFlux, load_settings, load_settings_settled
from pyruns_tui.workspace.staging import PREFIX as STAGING_PREFIX
from pyruns_tui.workspace.store import stat_key

RESCAN_S = 2.0  # safety-net rescan; wake-ups and exit notifications drive everything else
INDEX_AFTER = 256  # the first pass asks the scan index after parsing this many task files
_IDLE_STATUSES = frozenset(s.value for s in Status if not s.is_active)
SETTINGS_POLL_S = 0.05  # while the settings file is being written, how often it is looked at again
SETTINGS_HOLD_MAX_S = 30.0  # a file kept open for writing longer than this is read as it is
RESCAN_CPU_SHARE = 0.005  # the safety net's CPU at most: a rescan of 100,000 tasks waits ~100x its cost


class Scheduler(Recovery):
    """The queue, the slots and the live runs of one workspace (the runner's brain)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._refresh_settings()

    @property
    def idle(self) -> bool:
        return not self.active and self.queued == 0 and not self.slurm.busy

    def _refresh_settings(self) -> None:
        key = stat_key(self.layout.settings_file)
        if key != self._settings_key:
            try:
                self.settings = load_settings_settled(self.layout.settings_file)
                for warning in self.settings.warnings:
                    self.log(warning)
                if self.settings_held_since is not None:
                    self.log("settings written: queued tasks start again")
                self.settings_held_since = None
            except SettingsInFlux as exc:
                # half of a write (truncated, not yet written) read as the settings: an empty file
                # is all defaults (partition, executor, env). Nothing starts until it is written
                now = time.monotonic()
                if self.settings_held_since is None:
                    self.settings_held_since = now
                    self.log(f"{exc}; keeping the previous settings and starting no task until it is written")
                if now - self.settings_held_since < SETTINGS_HOLD_MAX_S:
                    return  # (the key is not kept: the next pass reads it again)
                self.settings_held_since = None  # a writer that keeps it open: take it as it is now
                self.log(f"{self.layout.settings_file}: still open for writing after {SETTINGS_HOLD_MAX_S:g} s; "
                         "reading it as it is")
                try:
                    self.settings = load_settings(self.layout.settings_file)
                except PyrunsError as error:
                    self.log(f"settings unreadable, keeping the previous ones: {error}")
            except PyrunsError as exc:
                self.settings_held_since = None
                self.log(f"settings unreadable, keeping the previous ones: {exc}")
            self._settings_key = key
            self.breaker.rule = self.settings.pause_after_failures
            self.outputs.set_rules(self.settings.output_metrics)
        key = stat_key(self.paths.pause)
        if key != self._pause_key:
            self._pause_key = key
            was, self.pause = self.pause, read_pause(self.paths.pause)
            if was is not None and self.pause is None:
                self.breaker.reset()
                self.log("resumed: queued tasks start again")
        key = stat_key(self.paths.control)
        if key != self._control_key:
            self._control_key = key
            self._override = concurrency_override(self.layout)

    def next_timeout(self) -> float:
        """Seconds until the next pass is due even without a wake-up."""
        slurm = self.slurm.next_timeout()
        rescan = max(RESCAN_S, self._full_pass_cpu / RESCAN_CPU_SHARE)
        timeout = rescan if slurm is None else min(rescan, slurm)
        if self._recheck_at is None:
            return timeout
        return max(0.0, min(timeout, self._recheck_at - time.monotonic()))

    def tick(self) -> None:
        """Recover, stop, cancel, and start what fits. A full pass reads every changed task and
        puts the queue in order (`_waiting`); other passes (after a run ended, or for the tasks
        a client looked at) read only the running and Slurm tasks, those looked at or found
        changed (`_reread`), and those waiting for a task that just left the queue or a run,
        put the queued ones among them in place in the queue kept, and walk its head
        (`_start_what_fits`): their cost does not grow with the number of queued tasks. A queued
        task changed by hand, with no wake-up, is seen when the walk reaches it or at the next
        full pass (RESCAN_S); one about to start is read again under the lock first."""
        self.write_ends()  # the disk first says how the runs that ended did
        self._refresh_settings()
        self._recheck_at = None
        full, self._full = self._full, False
        if self.settings_held_since is not None:  # starts wait (see _start_what_fits); a full look is still owed
            self._full = full
            self._recheck_at = time.monotonic() + SETTINGS_POLL_S
        started = time.process_time()
        keys: dict[str, tuple[int, int, int] | None] = {}  # the running tasks' files, stat'ed once a pass
        for run in list(self.active.values()):
            key = keys[run.name] = stat_key(os.path.join(self.layout.tasks_dir, run.name, TASK_INFO))
            if key is not None and key[2] == 0:  # emptied under a live run: write it again
                self._rebuild(run.name, run.index, lambda t: None, None, run.record)
                del keys[run.name]  # (rewritten: stat'ed again below)
        changed, self._changed = self._changed, set()
        if full:
            tasks = self._active_tasks()
            if self._staged and self._finish_batches(self._staged):
                tasks = self._active_tasks()  # the batch's tasks, moved in and queued: read in this pass
        else:
            tasks = self._known_tasks(self._known | set(self.active) | self._reread, changed, keys)
            # the tasks waiting for a task that just left the queue or a run (or changed): their turn
            dependents = {d for name in changed for d in self._dependents.get(name, ()) if d in self._deferred}
            if dependents:
                tasks += self._known_tasks(dependents - {t.name for t in tasks}, changed)
            for name in changed:
                self._deferred.pop(name, None)
        self._reread = set()
        queued: list[Task] = []
        slurm_owned: list[Task] = []
        slurm_new: list[Task] = []
        for task in tasks:
            self._deferred.pop(task.name, None)
            if is_slurm_run(task):
                slurm_owned.append(task)
            elif task.status is Status.QUEUED and not task.stop_requested and Request.of(task) is not None:
                slurm_new.append(task)
            elif task.status is Status.RUNNING:
                if task.name not in self.active:
                    requeued = self._recover(task)
                    if requeued is not None:  # its supervisor never took the run: queued again
                        queued.append(requeued)
                        continue
                live = self.active.get(task.name)
                if live is not None and task.stop_requested and not live.stop_sent:
                    live.stop_sent = True
                    P.request_stop(live.supervisor_pid, live.watch)
                    self.log(f"{task.name}: stop requested")
            elif task.status is Status.QUEUED:
                if task.stop_requested:
                    self._update(task.name, Task.unqueue)
                else:
                    queued.append(task)
        # the tasks read at every pass: the running and the Slurm ones (at most the slots, and
        # Slurm's); local queued tasks are kept in order (`_waiting`) or wait for a dependency
        local = {t.name for t in queued}
        self._known = {t.name for t in tasks} - local
        if full:
            for gone in set(self._tasks) - self._known - local - set(self.active):
                del self._tasks[gone]
            self._deferred, self._dependents = {}, {}
        ready = self._dependencies_allow(queued, defer=True)
        slurm_new = self._dependencies_allow(slurm_new)  # (a Slurm task waits for its `after` too: it was submitted at once)
        if full:
            ready.sort(key=queue_order)
            self._waiting = ready
            self._index_no_gpu(ready)
        else:  # a pass after a run ended, or for tasks looked at: the queue kept, the tasks read put in place
            for task in ready:
                self._place(task)
        self.queued = len(self._waiting)
        self._waiting = self._start_what_fits(self._waiting, recheck=not full)
        held = self.settings_held_since is not None
        self.slurm.tick(self.settings, slurm_owned, [] if held else slurm_new, full=full)
        if full:
            self._full_pass_cpu = time.process_time() - started
            self._full_next = False
        elif self._full_next:  # the looked-at tasks were placed: now the full look that is owed
            self._full_next = False
            self._full = True
            self._recheck_at = time.monotonic()
        self.poke_waiters()  # after the starts: a waiter's look does not hold up the next task

    def _dependencies_allow(self, queued: list[Task], *, defer: bool = False) -> list[Task]:
        """The queued tasks whose dependencies (`after`) all completed. The others wait with the
        reason, or go back to pending when a dependency failed, was interrupted or is gone. With
        `defer`, those that wait are kept (`_deferred`, `_dependents`): a pass after a run ended
        reads them again only when one of their dependencies left the queue or a run."""
        ready = []
        for task in queued:
            if not task.after:
                ready.append(task)
                continue
            state = dependencies.readiness(task.after, self._state_of)
            if state.ready:
                ready.append(task)
            elif state.blocked:
                self.log(f"{task.name}: not started, {state.reason}")
                self._update(task.name, functools.partial(blocked, reason=state.reason))
            else:
                if state.reason:
                    self._set_reason(task, state.reason)
                if defer:
                    self._deferred[task.name] = task
                    for name in task.after:
                        self._dependents.setdefault(name, set()).add(task.name)
        return ready

    def _place(self, task: Task) -> None:
        """Put a queued task read by this pass in its place in `_waiting` (replacing the entry it
        has there at the same place; one it had elsewhere, before its priority or force changed,
        is dropped when `_start_what_fits` reaches it)."""
        order = self._waiting
        key = queue_order(task)
        i = bisect.bisect_left(order, key, key=queue_order)
        if i < len(order) and order[i].name == task.name:
            order[i] = task
        else:
            order.insert(i, task)
        self._note_no_gpu(task)

    def _state_of(self, name: str) -> tuple[Status, str | None] | None:
        """A task's (status, reason) as on disk now; None when the task does not exist."""
        key, known = self._as_known(name)
        if key is None:
            return None
        if known is not None:
            return known.status, known.reason
        try:
            return self.store.read_status(name)  # a FIFO or symlink swapped in is refused, never waited on or followed
        except (OSError, ValueError, AttributeError):
            return Status.QUEUED, None  # unreadable for a moment (or by hand): wait, do not give up

    def _known_tasks(self, names: set[str], left: set[str],
                     keys: dict[str, tuple[int, int, int] | None] | None = None) -> list[Task]:
        """The queued or running ones among `names`, as they are now; the others (gone, finished,
        back to pending) are added to `left` (their dependents get their turn). `keys`: stat keys
        this pass already took (the running tasks'), not taken again."""
        found = []
        tasks_dir = str(self.layout.tasks_dir)
        for name in sorted(names):
            path = os.path.join(tasks_dir, name, TASK_INFO)
            key = keys[name] if keys is not None and name in keys else stat_key(path)
            if key is None or self._inactive.get(name) == key:
                left.add(name)
                continue  # gone, or finished as this runner wrote it
            task = self._read(name, path, key)
            if task is not None and task.status.is_active:
                found.append(task)
            else:
                left.add(name)
        return found

    def _active_tasks(self) -> list[Task]:
        """Queued and running tasks. Others are remembered only by their file's stat, so memory
        does not grow with the number of finished tasks and unchanged ones are not re-read.
        The runner's first pass asks the scan index once it has parsed INDEX_AFTER files: one
        whose row has this very stat key and says pending or finished is not parsed (a runner
        starting in a 100,000-task workspace parsed every file: 18 s)."""
        found: list[Task] = []
        inactive: dict[str, tuple[int, int, int]] = {}
        try:
            entries = list(os.scandir(self.layout.tasks_dir))
        except OSError:
            entries = []
        index: ScanIndex | None = None
        parsed = 0
        staged = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                if name.startswith(STAGING_PREFIX):
                    staged.append(name)  # (the batch of an interrupted gen, or a live one's: see tick)
                continue
            if not entry.is_dir():
                continue
            path = os.path.join(entry.path, TASK_INFO)
            key = stat_key(path)
            if key is None:
                continue
            if self._inactive.get(name) == key:
                inactive[name] = key
                continue
            if index is None and self._first_pass and parsed == INDEX_AFTER:
                index = ScanIndex(self.layout.cache_file)  # read for this pass only: no copy is kept
                index.load()
            if index is not None and index.status(name, key) in _IDLE_STATUSES:
                inactive[name] = key  # its row was written with the file, by whoever wrote it
                continue
            parsed += 1
            task = self._read(name, path, key)
            if task is None:
                continue  # half-written by hand or unreadable: not ours to run
            if task.status.is_active:
                found.append(task)
            else:
                inactive[name] = key
        self._inactive = inactive
        self._first_pass = False
        self._staged = staged
        return found

    def _read(self, name: str, path: str, key: tuple[int, int, int]) -> Task | None:
        """The task in `path` (None when unreadable). While the file keeps its stat `key`, the
        Task of the last pass is returned again (read-only: changes go through `_update`), so
        the pass after each exit does not parse every queued task again. Only queued and
        running tasks are kept."""
        cached = self._tasks.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            task = self.store.read_uncached(name)
        except (OSError, ValueError, PyrunsError):
            self._tasks.pop(name, None)
            return None
        self._remember(task, key)
        return task

    def close(self) -> None:
        """Stop watching (the supervisors keep running; the next runner adopts them)."""
        self.release_turn()  # (not held while the Slurm calls under way are waited for)
        self.slurm.close()
        self.write_ends()
        self.poke_waiters()
        self.abandon()

    def abandon(self) -> None:
        """Stop watching without writing anything (`close` writes what ended first)."""
        self.release_turn()
        self.outputs.close()
        if self.spawner is not None:
            self.spawner.close()
        for run in self.active.values():
            if run.watch is not None:
                run.watch.close()
