"""The state of a workspace's scheduler and the writes every part of it makes: a task record changed
under the lock (`_update`), or rebuilt when it was emptied under a live run (`_rebuild`).

The `Scheduler` is built in layers, each a module: `SchedulerState` (this) <- `ending` (a run's
end judged and recorded) <- `placement` (slots, GPUs, starting a run, a run's exit) <- `recovery`
(runs nobody watched, stale state files) <- `scheduler` (the pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pyruns_tui.errors import PyrunsError
from pyruns_tui.runner import gpus as G
from pyruns_tui.runner import wake
from pyruns_tui.runner.breaker import CircuitBreaker, Pause
from pyruns_tui.runner.daemon import proc as P
from pyruns_tui.runner.daemon.gpu_accounting import GpuAccounting
from pyruns_tui.runner.daemon.kept_queue import NoGpuIndex
from pyruns_tui.runner.daemon.launch import ScriptParamsCache
from pyruns_tui.runner.daemon.output_watch import OutputWatches
from pyruns_tui.runner.daemon.record import GitCache
from pyruns_tui.runner.daemon.reservations import Reservations
from pyruns_tui.runner.daemon.runs import IO_RETRY_S, ActiveRun, End, Failure, Skip
from pyruns_tui.runner.daemon.spawner import SpawnerClient
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.runner.slurm.executor import SlurmExecutor
from pyruns_tui.workspace.fsio import atomic_write, dump_json
from pyruns_tui.workspace.layout import TASK_INFO, Layout
from pyruns_tui.workspace.model import Run, Status, Task, now_iso
from pyruns_tui.workspace.names import is_plain_entry
from pyruns_tui.workspace.settings import Settings
from pyruns_tui.workspace.store import TaskStore, info_mode, stat_key


@dataclass
class SchedulerState:
    """The queue, the slots and the live runs of one workspace, and the writes to its task records."""

    layout: Layout
    backend: G.GpuBackend = field(default_factory=G.detect_backend)
    log: Callable[[str], None] = lambda message: None

    def __post_init__(self) -> None:
        self.paths = RunnerPaths.of(self.layout)
        self.paths.create()
        self.store = TaskStore(self.layout)
        self.active: dict[str, ActiveRun] = {}
        self.reservations = Reservations()
        self.accounting = GpuAccounting()
        self._sampling = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake: Callable[[], None] = lambda: None
        self.settings = Settings()
        self.has_gpus = bool(self.backend.devices())
        self.queued = 0
        self._settings_key: tuple[int, int, int] | None = None
        self.settings_held_since: float | None = None  # monotonic: since when the settings file is being written
        self._control_key: tuple[int, int, int] | None = None
        self._override: int | None = None
        self._params = ScriptParamsCache(self.layout)
        self._base_env = dict(os.environ)  # a plain copy: os.environ decodes every item at each read
        self._git = GitCache()
        self._recheck_at: float | None = None
        self._inactive: dict[str, tuple[int, int, int]] = {}
        self._staged: list[str] = []  # the staging folders in tasks/ at the last full pass (workspace/staging.py)
        self._tasks: dict[str, tuple[tuple[int, int, int], Task]] = {}  # queued/running, by file stat
        self._known: set[str] = set()  # read at every pass: running and Slurm tasks, and those looked at
        self._waiting: list[Task] = []  # queued tasks the last pass could not start, in order
        self._no_gpu = NoGpuIndex()  # the tasks in `_waiting` that may start while GPU tasks wait
        self._reread: set[str] = set()  # queued tasks whose file changed since it was read: the next pass reads them
        self._changed: set[str] = set()  # tasks that left the queue or a run since the last pass (by our writes)
        self._deferred: dict[str, Task] = {}  # queued tasks waiting for their dependencies (`after`)
        self._dependents: dict[str, set[str]] = {}  # a task -> the deferred tasks that name it in `after`
        self._full = True
        self._first_pass = True  # the first full pass may settle pending/finished tasks by the scan index
        self._full_next = False  # a full pass is owed right after the current one (see look_first)
        self._full_pass_cpu = 0.0  # CPU seconds of the last pass that looked at every task
        self.breaker = CircuitBreaker(self.settings.pause_after_failures)
        self.pause: Pause | None = None
        self._pause_key: tuple[int, int, int] | None = None
        self.outputs = OutputWatches(self.layout, self.log, self.store.load_config)
        self.slurm = SlurmExecutor(self.layout, self.store, self.log, self._fail_unstartable, self._params, self._git,
                                   self.outputs)
        self.last_write = "ok"
        self._ended = False  # a record left the queue or a run since the waiters were last poked
        self._ends: list[End] = []  # runs that ended, their record not written yet (`write_ends`)
        self._turn_open = False  # runs ended in this turn of the loop: one hold of the lock for its writes
        self._turn_hold: contextlib.ExitStack | None = None  # that hold, once the turn's first write took it
        self._io_failing: set[str] = set()
        self._judged: dict[tuple[str, int], Failure | None] = {}  # runs whose record a full disk holds back
        self.spawner = self._start_spawner()
        self._spawn_failures: set[str] = set()

    def _start_spawner(self) -> SpawnerClient | None:
        """The process that forks the supervisors (spawner.py); None where there is none to be
        had (not Linux, or `PYRUNS_TUI_EXEC_SUPERVISOR=1`): the runner starts them itself."""
        if not SpawnerClient.available() or P.exec_requested():
            return None
        try:
            return SpawnerClient()
        except OSError as exc:
            self.log(f"cannot start the spawner ({exc}); supervisors are started by the runner")
            return None

    @property
    def concurrency(self) -> int:
        return self._override or self.settings.max_concurrency

    def request_full_scan(self) -> None:
        """Make the next pass look at every task (a client wrote something, or time passed)."""
        self._full = True

    def look_first(self, names: list[str]) -> None:
        """A client queued these tasks: the next pass reads them with the running ones, puts them
        in place in the queue it keeps (and starts what fits), and the pass after it looks at
        every task, as a full scan would."""
        self._known.update(name for name in names if is_plain_entry(name))
        self._full_next = True

    def _as_known(self, name: str) -> tuple[tuple[int, int, int] | None, Task | None]:
        """The stat key of the task's file now (None: gone), and the Task this runner last read
        or wrote while the file is still that one (None when someone else wrote it since)."""
        key = stat_key(os.path.join(self.layout.tasks_dir, name, TASK_INFO))
        cached = self._tasks.get(name)
        return key, cached[1] if cached is not None and key is not None and cached[0] == key else None

    def _remember(self, task: Task, key: tuple[int, int, int] | None) -> None:
        if key is not None and task.status.is_active:
            self._tasks[task.name] = (key, task)
            self._inactive.pop(task.name, None)
        else:
            self._tasks.pop(task.name, None)
            if key is not None:  # the file as we wrote it: the next passes need not parse it to skip it
                self._inactive[task.name] = key

    def _set_reason(self, task: Task, reason: str) -> None:
        if task.reason == reason:
            return

        def change(t: Task) -> None:
            if t.status is not Status.QUEUED:
                raise Skip
            t.reason = reason

        self._update(task.name, change)

    def poke_waiters(self) -> None:
        """Tell the clients waiting for tasks (`wait`, `run --wait`) that a record left the queue
        or a run since the last poke, so they look now rather than at their next poll."""
        if self._ended or self.slurm.ended:
            self._ended = self.slurm.ended = False
            wake.poke_waiters(self.paths.waiters_dir)

    def _fail_unstartable(self, task: Task, reason: str) -> None:
        def change(t: Task) -> None:
            if t.status is not Status.QUEUED:
                raise Skip
            t.set_status(Status.FAILED, reason)
            t.force = False

        self.log(f"{task.name}: {reason}")
        self._update(task.name, change)

    def _update(self, name: str, change: Callable[[Task], None], *, known: bool = False) -> Task | None:
        """`change` task `name` under the lock and save it; None when it was not written
        (`self.last_write` then says why: "skip", "gone" or "io"). `known`: the Task this runner
        read last is changed, unread, while the file is still the one it read (store.update)."""
        self.last_write = "ok"
        if self._turn_open and self._turn_hold is None:
            self._hold_turn()
        try:
            # no fsync: atomic rename is enough; after a power loss recovery redoes the state
            task = self.store.update(name, change, fsync=False, known=self._tasks.get(name) if known else None)
            self._io_failing.discard(name)
            self._remember(task, self.store.version(name))  # the next pass need not parse it
            if not task.status.is_active:
                self._ended = True
                self._changed.add(name)
                self.store.forget(name)
            return task
        except Skip:
            self.last_write = "skip"
        except (PyrunsError, OSError) as exc:
            if isinstance(exc, OSError) or isinstance(exc.__cause__, OSError):
                # a full disk: the pass is tried again soon, nothing is lost
                self.last_write = "io"
                if name not in self._io_failing:  # once, not at every retry
                    self._io_failing.add(name)
                    self.log(f"{name}: {exc}; trying again")
                self._recheck_at = time.monotonic() + IO_RETRY_S
            else:  # deleted or broken meanwhile: nothing to do for it
                self.last_write = "gone"
                self.log(f"{name}: {exc}")
        self.store.forget(name)
        self._tasks.pop(name, None)
        return None

    def _hold_turn(self) -> None:
        """Take the workspace lock and keep it until `release_turn` (`write_ends`, next in the
        loop): the records of a turn in which runs ended (their successors marked running, each
        before its spawn, then the ends) are written in one hold, not one each; a failure to take
        it leaves each write to take it, and say why, as before."""
        hold = contextlib.ExitStack()
        try:
            hold.enter_context(self.store.lock())
        except (PyrunsError, OSError):
            return
        self._turn_hold = hold

    def release_turn(self) -> None:
        """Give back the hold of `_hold_turn` (its scan index rows are appended first)."""
        self._turn_open = False
        hold, self._turn_hold = self._turn_hold, None
        if hold is not None:
            hold.close()

    def _rebuild(
        self, name: str, index: int, change: Callable[[Task], None], state: P.RunState | None, record: Task | None,
    ) -> bool:
        """Write the record of a task whose task_info.json was emptied (truncated to 0 bytes)
        from this runner's copy of it, or, without one, from the run's state; a file with other
        content is the user's to fix (the state file is kept). True when written."""
        path = self.layout.task_info(name)
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode) or os.lstat(path).st_size != 0:
                return False
        except OSError:
            return False
        task = Task.from_dict(record.to_dict()) if record is not None else self._minimal_task(name, index, state)
        task.name = name
        try:
            change(task)
        except Skip:
            return False
        with self.store.lock():
            if os.stat(path).st_size != 0:
                return False
            try:
                atomic_write(path, dump_json(task.to_dict()), fsync=False, mode=info_mode(task.to_dict()))
            except OSError as exc:
                self.log(f"{name}: cannot rebuild task_info.json: {exc.strerror}")
                return False
        self.store.forget(name)
        self.log(f"{name}: task_info.json was empty; rebuilt it with run {index}")
        return True

    def _minimal_task(self, name: str, index: int, state: P.RunState | None) -> Task:
        """What can be known of a task from its folder and a run's state file alone."""
        from pyruns_tui.workspace.bootstrap import read_script_info

        try:
            info = read_script_info(self.layout)
            kind, script = info.task_kind(), info.script_at(self.layout)
        except PyrunsError:
            kind, script = ("shell", None) if self.layout.is_shell else ("argparse", None)
        started = state.started_at if state is not None else None
        start = datetime.fromtimestamp(started).astimezone().isoformat(timespec="milliseconds") if started else now_iso()
        run = Run(index=index, status=Status.RUNNING, start=start, log=f"run_logs/run{index}.log")
        return Task(name=name, status=Status.RUNNING, created_at=start, task_kind=kind, script=script, runs=[run],
                    reason="rebuilt by the runner: task_info.json was emptied while the task ran")
