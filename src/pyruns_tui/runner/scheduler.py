"""The scheduler: one pass over the workspace starts, stops, finishes and recovers runs.

`tick()` is called by the runner's event loop whenever something may have changed (a wake-up
message, a supervisor exit, a periodic rescan). Order of the queue: force-started tasks first,
then `queued_at` (FIFO). At most `max_concurrency` runs (or the `run -j N` override) except
forced ones. GPU tasks start in queue order: a GPU task that must wait holds back the GPU tasks
behind it (no starvation of big requests), while CPU-only tasks still start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pyruns_tui.errors import PyrunsError
from pyruns_tui.runner import dependencies
from pyruns_tui.runner import gpus as G
from pyruns_tui.runner import proc as P
from pyruns_tui.runner.breaker import CircuitBreaker, Pause, read_pause, write_pause
from pyruns_tui.runner.gpu_accounting import GpuAccounting
from pyruns_tui.runner.launch import ScriptParamsCache, build_launch
from pyruns_tui.runner.locks import is_held
from pyruns_tui.runner.output_watch import OutputWatches
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.runner.record import GitCache, host_name, redact_env, resolve_python
from pyruns_tui.runner.reservations import Reservations
from pyruns_tui.runner.retry import should_retry
from pyruns_tui.runner.slurm.executor import SlurmExecutor
from pyruns_tui.runner.slurm.records import is_slurm_run
from pyruns_tui.runner.slurm.submit import Request
from pyruns_tui.runner.triage import oom_kills, read_failure
from pyruns_tui.workspace.fsio import atomic_write, dump_json, read_json
from pyruns_tui.workspace.layout import RUN_LOGS, TASK_INFO, Layout
from pyruns_tui.workspace.model import Run, Status, Task, now_iso, parse_iso, queue_times
from pyruns_tui.workspace.settings import Settings, load_settings
from pyruns_tui.workspace.store import TaskStore, info_mode, stat_key

RESCAN_S = 2.0  # safety-net rescan; wake-ups and exit notifications drive everything else
ADOPT_WAIT_S = 5.0  # a run younger than this without a state file may still be starting
LOST = "runner lost"
PID_WRITE_DELAY_S = 0.5
GPU_SAMPLE_S = 1.0  # per-run GPU accounting: one snapshot of every device a second
IO_RETRY_S = 1.0  # after a failed write (full disk), the next pass comes this soon


class _Skip(Exception):
    """The task changed under us (cancelled, stopped, started elsewhere): leave it."""


@dataclass
class ActiveRun:
    """A run this runner watches: started by it, or adopted from a previous runner."""

    name: str
    index: int
    gpus: tuple[int, ...]
    state_path: Path
    supervisor_pid: int
    watch: P.ExitWatch | None = None
    stop_sent: bool = False
    adopted: bool = False
    child_pid: int | None = None
    oom_kills: int | None = None  # the kernel's OOM kill count when it started
    record: Task | None = None  # the task as this runner last wrote it: rebuilds an emptied task_info.json


@dataclass(frozen=True)
class Failure:
    """What the runner learnt about a failed run before writing its record."""

    error: str
    line: int | None
    deterministic: bool


def exit_reason(state: P.RunState) -> tuple[Status, str | None]:
    """The final status of a run and why, from its supervisor's record. A run whose log could
    not be written (full disk) failed, whatever its exit code: its output is incomplete."""
    status, reason = _exit_status(state)
    if state.error and status is not Status.INTERRUPTED:
        return Status.FAILED, state.error if reason is None else f"{reason}; {state.error}"
    if status is Status.FAILED and reason is None:
        return status, LOST
    return status, reason


def _exit_status(state: P.RunState) -> tuple[Status, str | None]:
    if state.stopped:
        return Status.INTERRUPTED, "stopped by user"
    if state.exit_code == 0:
        return Status.COMPLETED, None
    if state.exit_code is not None:
        return Status.FAILED, f"exit code {state.exit_code}"
    if state.signal is not None:
        with contextlib.suppress(ValueError):
            return Status.FAILED, f"killed by signal {state.signal} ({signal.Signals(state.signal).name})"
        return Status.FAILED, f"killed by signal {state.signal}"
    return Status.FAILED, None


@dataclass
class Scheduler:
    """The queue, the slots and the live runs of one workspace (the runner's brain)."""

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
        self._control_key: tuple[int, int, int] | None = None
        self._override: int | None = None
        self._params = ScriptParamsCache(self.layout)
        self._git = GitCache()
        self._recheck_at: float | None = None
        self._inactive: dict[str, tuple[int, int, int]] = {}
        self._tasks: dict[str, tuple[tuple[int, int, int], Task]] = {}  # queued/running, by file stat
        self._known: set[str] = set()
        self._waiting: list[Task] = []  # queued tasks the last pass could not start, in order
        self._full = True
        self.breaker = CircuitBreaker(self.settings.pause_after_failures)
        self.pause: Pause | None = None
        self._pause_key: tuple[int, int, int] | None = None
        self.slurm = SlurmExecutor(self.layout, self.store, self.log, self._fail_unstartable)
        self.outputs = OutputWatches(self.layout, self.log)
        self.last_write = "ok"
        self._ending: str | None = None
        self._io_failing: set[str] = set()
        self._judged: dict[tuple[str, int], Failure | None] = {}  # runs whose record a full disk holds back
        self._refresh_settings()

    # ----- configuration

    @property
    def concurrency(self) -> int:
        return self._override or self.settings.max_concurrency

    @property
    def idle(self) -> bool:
        return not self.active and self.queued == 0 and not self.slurm.busy

    def _refresh_settings(self) -> None:
        key = stat_key(self.layout.settings_file)
        if key != self._settings_key:
            try:
                self.settings = load_settings(self.layout.settings_file)
                for warning in self.settings.warnings:
                    self.log(warning)
            except PyrunsError as exc:
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
            self._override = None
            with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                value = read_json(self.paths.control).get("max_concurrency")
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    self._override = value

    def next_timeout(self) -> float:
        """Seconds until the next pass is due even without a wake-up."""
        slurm = self.slurm.next_timeout()
        timeout = RESCAN_S if slurm is None else min(RESCAN_S, slurm)
        if self._recheck_at is None:
            return timeout
        return max(0.0, min(timeout, self._recheck_at - time.monotonic()))

    # ----- the pass

    def request_full_scan(self) -> None:
        """Make the next pass look at every task (a client wrote something, or time passed)."""
        self._full = True

    def tick(self) -> None:
        """Recover, stop, cancel, and start what fits. A full pass reads every changed task;
        other passes (after a run ended) re-read only the tasks known to be queued or running."""
        self._refresh_settings()
        self._recheck_at = None
        full, self._full = self._full, False
        for run in list(self.active.values()):
            key = stat_key(self.layout.task_info(run.name))
            if key is not None and key[2] == 0:  # emptied under a live run: write it again
                self._rebuild(run.name, run.index, lambda t: None, None, run.record)
        tasks = self._active_tasks() if full else self._known_tasks()
        self._known = {t.name for t in tasks}
        for gone in set(self._tasks) - self._known - set(self.active):
            del self._tasks[gone]
        queued: list[Task] = []
        slurm_owned: list[Task] = []
        slurm_new: list[Task] = []
        for task in tasks:
            if is_slurm_run(task):
                slurm_owned.append(task)
            elif task.status is Status.QUEUED and not task.stop_requested and Request.of(task) is not None:
                slurm_new.append(task)
            elif task.status is Status.RUNNING:
                if task.name not in self.active:
                    self._recover(task)
                run = self.active.get(task.name)
                if run is not None and task.stop_requested and not run.stop_sent:
                    run.stop_sent = True
                    P.request_stop(run.supervisor_pid)
                    self.log(f"{task.name}: stop requested")
            elif task.status is Status.QUEUED:
                if task.stop_requested:
                    self._update(task.name, Task.unqueue)
                else:
                    queued.append(task)
        queued = self._dependencies_allow(queued)
        queued.sort(key=lambda t: (not t.force, -t.priority, t.queued_at or "", t.created_at, t.name))
        self.queued = len(queued)
        self._waiting = self._start_what_fits(queued)
        self.slurm.tick(self.settings, slurm_owned, slurm_new)

    def _dependencies_allow(self, queued: list[Task]) -> list[Task]:
        """The queued tasks whose dependencies (`after`) all completed. The others wait with the
        reason, or go back to pending when a dependency failed, was interrupted or is gone."""
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
                self._update(task.name, lambda t, why=state.reason: _blocked(t, why))
            elif state.reason:
                self._set_reason(task, state.reason)
        return ready

    def _state_of(self, name: str) -> tuple[Status, str | None] | None:
        """A task's (status, reason) as on disk now; None when the task does not exist."""
        cached = self._tasks.get(name)
        path = os.path.join(self.layout.tasks_dir, name, TASK_INFO)
        key = stat_key(path)
        if key is None:
            return None
        if cached is not None and cached[0] == key:
            return cached[1].status, cached[1].reason
        try:
            with open(path, "rb") as fh:
                data = json.loads(fh.read())
            return Status(data.get("status", "pending")), data.get("reason")
        except (OSError, ValueError, AttributeError):
            return Status.QUEUED, None  # unreadable for a moment (or by hand): wait, do not give up

    def _known_tasks(self) -> list[Task]:
        """The tasks that were queued or running at the last pass, as they are now."""
        found = []
        tasks_dir = str(self.layout.tasks_dir)
        for name in sorted(self._known | set(self.active)):
            path = os.path.join(tasks_dir, name, TASK_INFO)
            key = stat_key(path)
            task = None if key is None else self._read(name, path, key)
            if task is not None and task.status.is_active:
                found.append(task)
        return found

    def _active_tasks(self) -> list[Task]:
        """Queued and running tasks. Others are remembered only by their file's stat, so memory
        does not grow with the number of finished tasks and unchanged ones are not re-read."""
        found: list[Task] = []
        inactive: dict[str, tuple[int, int, int]] = {}
        try:
            entries = list(os.scandir(self.layout.tasks_dir))
        except OSError:
            entries = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not entry.is_dir():
                continue
            path = os.path.join(entry.path, TASK_INFO)
            key = stat_key(path)
            if key is None:
                continue
            if self._inactive.get(name) == key:
                inactive[name] = key
                continue
            task = self._read(name, path, key)
            if task is None:
                continue  # half-written by hand or unreadable: not ours to run
            if task.status.is_active:
                found.append(task)
            else:
                inactive[name] = key
        self._inactive = inactive
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
            task = Task.from_dict(read_json(path))
        except (OSError, ValueError, PyrunsError):
            self._tasks.pop(name, None)
            return None
        task.name = name
        self._remember(task, key)
        return task

    def _remember(self, task: Task, key: tuple[int, int, int] | None) -> None:
        if key is not None and task.status.is_active:
            self._tasks[task.name] = (key, task)
        else:
            self._tasks.pop(task.name, None)

    def _start_what_fits(self, queued: list[Task]) -> list[Task]:
        """Start the queued tasks (in order) that fit; returns those still waiting, in order."""
        slots = self.concurrency - len(self.active)
        devices: list[G.GpuDevice] | None = None
        gpu_blocked = False
        budget = max(slots, 0)  # how many waiting tasks get a visible reason
        waiting: list[Task] = []
        for position, task in enumerate(queued):
            # forced tasks come first; the rest waits for a slot, or for a resume when paused
            if not task.force and (slots <= 0 or self.pause is not None):
                waiting.extend(queued[position:])
                break
            need = self._gpus_needed(task)
            if need == 0:
                started = self._start(task, [] if self.has_gpus else None)
                slots -= started
                if not started:
                    waiting.append(task)
                continue
            if devices is None:
                devices = G.usable(self.backend.devices(), self.settings.gpu_ids)
            if need > len(devices) and not task.force:
                self._fail_unstartable(task, f"needs {need} GPUs but only {len(devices)} can be used (gpu_ids)")
                continue
            picked = None
            if task.force or not gpu_blocked:
                picked = G.assign_gpus(
                    devices,
                    need,
                    self._held(),
                    free_memory_mb=self.settings.gpu_free_memory_mb,
                    max_util_pct=self.settings.gpu_max_util_pct,
                    force=task.force,
                    max_per_gpu=self.settings.max_tasks_per_gpu,
                    need_mem_mb=task.gpu_mem_mb,
                    reserved_mb=self.reservations.reserved_mb(devices),
                )
            if picked is None:
                gpu_blocked = True
                if budget > 0:
                    budget -= 1
                    self._set_reason(task, f"waiting for {need} GPU{'s' if need > 1 else ''}")
                waiting.append(task)
                continue
            started = self._start(task, picked)
            slots -= started
            if not started:
                waiting.append(task)
        return waiting

    def _gpus_needed(self, task: Task) -> int:
        if not self.has_gpus:
            return 0
        return task.gpus if task.gpus is not None else self.settings.gpus_per_task

    def _held(self) -> dict[int, int]:
        held: dict[int, int] = {}
        for run in self.active.values():
            for index in run.gpus:
                held[index] = held.get(index, 0) + 1
        return held

    def _set_reason(self, task: Task, reason: str) -> None:
        if task.reason == reason:
            return

        def change(t: Task) -> None:
            if t.status is not Status.QUEUED:
                raise _Skip
            t.reason = reason

        self._update(task.name, change)

    def _fail_unstartable(self, task: Task, reason: str) -> None:
        def change(t: Task) -> None:
            if t.status is not Status.QUEUED:
                raise _Skip
            t.set_status(Status.FAILED, reason)
            t.force = False

        self.log(f"{task.name}: {reason}")
        self._update(task.name, change)

    def _update(self, name: str, change: Callable[[Task], None]) -> Task | None:
        """`change` task `name` under the lock and save it; None when it was not written
        (`self.last_write` then says why: "skip", "gone" or "io")."""
        self.last_write = "ok"
        try:
            # no fsync: atomic rename is enough; after a power loss recovery redoes the state
            task = self.store.update(name, change, fsync=False)
            self._io_failing.discard(name)
            self._remember(task, self.store.version(name))  # the next pass need not parse it
            if not task.status.is_active:
                self.store.forget(name)
            return task
        except _Skip:
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

    # ----- starting

    def _start(self, task: Task, gpus: list[int] | None) -> bool:
        """Start a run of `task` with these GPUs; False when it did not start (the slot is free)."""
        name = task.name
        try:
            launch = build_launch(self.store, task, self.settings, gpus, self._params)
        except PyrunsError as exc:
            self._fail_unstartable(task, str(exc))
            return False
        problem = _logs_dir_problem(self.layout.task_dir(name) / RUN_LOGS)
        if problem:
            self._fail_unstartable(task, problem)
            return False
        busy = self._previous_run_alive(task)
        if busy:
            self._set_reason(task, busy)
            self._recheck_at = time.monotonic() + IO_RETRY_S
            return False
        git = self._git.get(launch.repo_dir)
        python = resolve_python(self.settings.python_executable)
        index_box: list[int] = []

        def mark_running(t: Task) -> None:
            if t.status is not Status.QUEUED or t.stop_requested:
                raise _Skip
            index = max((r.index for r in t.runs), default=0) + 1
            index_box.append(index)
            # the environment (secrets redacted, yet private) goes to an owner-only file beside the
            # log: task_info.json then follows the umask and can be shared with a group
            env_path = self.layout.run_env(name, index)
            env_path.parent.mkdir(exist_ok=True)
            atomic_write(env_path, dump_json(redact_env(launch.env)), fsync=False, mode=0o600)
            t.runs.append(
                Run(
                    index=index,
                    retry_of=t.retry_pending,
                    status=Status.RUNNING,
                    start=now_iso(),
                    gpus=list(gpus or []),
                    host=host_name(),
                    git=git,
                    python=python,
                    log=f"run_logs/run{index}.log",
                )
            )
            t.set_status(Status.RUNNING)
            t.force = False
            t.stop_requested = False
            t.retry_pending = None

        record = self._update(name, mark_running)
        if record is None:
            return False
        index = index_box[0]
        log_path = self.layout.run_log(name, index)
        state_path = self.paths.run_state(name, index)
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            if log_path.is_symlink():
                log_path.unlink()  # a planted link must not lead the task's output elsewhere
            with contextlib.suppress(FileNotFoundError):
                state_path.unlink()
            started = P.start_supervisor(
                launch.argv,
                launch.env,
                launch.cwd,
                log_path,
                state_path,
                grace_s=self.settings.stop_grace_s,
                task=name,
                run=index,
            )
        except OSError as exc:
            self._finish_run(name, index, Status.FAILED, f"cannot start the supervisor: {exc}", None)
            return False
        run = ActiveRun(name, index, tuple(gpus or ()), state_path, started.pid, oom_kills=oom_kills(), record=record)
        self.active[name] = run
        self._ensure_gpu_sampling()
        if gpus and task.gpu_mem_mb:
            self.reservations.reserve(name, str(self.layout.task_dir(name).resolve()), gpus, task.gpu_mem_mb)
        self.outputs.add(name, index, time.time())
        self.log(f"{name}: run {index} started (supervisor {started.pid}, gpus {list(gpus or [])})")
        assert self.loop is not None
        if started.report_fd is not None:
            P.read_child_pid(self.loop, started.report_fd, lambda pid: self._pid_known(run, pid))
        # short tasks get their pid with the finish record: one task_info.json write less each
        self.loop.call_later(PID_WRITE_DELAY_S, self._record_pid_if_running, run, 0)
        run.watch = P.ExitWatch(self.loop, started.pid, lambda: self._on_exit(run), popen=started.popen)
        return True

    def _ensure_gpu_sampling(self) -> None:
        """Sample the GPUs once a second while runs are alive (for the per-run accounting)."""
        if self.has_gpus and not self._sampling and self.loop is not None:
            self._sampling = True
            self.loop.call_later(GPU_SAMPLE_S, self._sample_gpus)

    def _sample_gpus(self) -> None:
        if not self.active or self.loop is None:
            self._sampling = False
            return
        try:
            devices = self.backend.devices()
        except Exception as exc:  # noqa: BLE001 - a driver hiccup must not stop the runner
            self.log(f"GPU sample failed: {exc}")
            devices = []
        runs = {name: str(self.layout.task_dir(name).resolve()) for name in self.active}
        self.accounting.sample(devices, runs)
        self.loop.call_later(GPU_SAMPLE_S, self._sample_gpus)

    def _previous_run_alive(self, task: Task) -> str | None:
        """Why `task` must not start now: an earlier run of this name, or of this task folder,
        still has a live supervisor (a deleted task recreated, a runner that lost track)."""
        if task.name in self.active or task.name == self._ending:
            return "waiting for the previous run of this name to end"
        index = max((r.index for r in task.runs), default=0) + 1
        if self._logs_locked(task.name) or P.supervisor_alive(self.paths.run_state(task.name, index)):
            return "waiting for the previous run of this task to end (its process is still alive)"
        return None

    def _logs_locked(self, name: str) -> bool:
        """Whether a live supervisor holds this task folder's run_logs (it does for its life)."""
        logs = self.layout.task_dir(name) / RUN_LOGS
        return logs.is_dir() and not logs.is_symlink() and is_held(logs)

    def _pid_known(self, run: ActiveRun, pid: int) -> None:
        run.child_pid = pid

    def _record_pid_if_running(self, run: ActiveRun, tries: int) -> None:
        """Record the task's pid once it ran PID_WRITE_DELAY_S (its supervisor's state file has
        it; a forked supervisor reports nothing else)."""
        if self.active.get(run.name) is not run:
            return
        if run.child_pid is None:
            state = P.RunState.read(run.state_path)
            run.child_pid = state.child_pid if state is not None else None
        if run.child_pid is not None:
            self._record_pid(run, run.child_pid)
        elif tries < 20:  # its supervisor has not written yet (a very busy machine)
            assert self.loop is not None
            self.loop.call_later(PID_WRITE_DELAY_S, self._record_pid_if_running, run, tries + 1)

    def _record_pid(self, run: ActiveRun, pid: int) -> None:
        def change(t: Task) -> None:
            last = t.last_run
            if last is None or last.index != run.index:
                raise _Skip
            last.pid = pid

        self._update(run.name, change)

    # ----- ending

    def _on_exit(self, run: ActiveRun) -> None:
        state = P.RunState.read(run.state_path)
        if state is not None and state.exited:
            status, reason = exit_reason(state)
        elif run.stop_sent and (state is None or state.child_pid is None):
            status, reason = Status.INTERRUPTED, "stopped before it started"
        else:
            P.kill_lost_group(state.child_pid if state else None, state.started_at if state else None)
            status, reason = Status.FAILED, f"{LOST}: its supervisor ended without a record"
        self.active.pop(run.name, None)
        self.reservations.release(run.name)
        usage = self.accounting.summary(run.name)
        self.accounting.forget(run.name)
        failure = self._judge(run.name, run.index, status, state, run.oom_kills)
        # The freed slot goes to the next waiting task first, its record is written after: a batch
        # of short tasks does not wait for a task_info.json write per task between two runs. (The
        # next pass, which the wake-up below brings, re-reads everything as usual; a waiting task
        # that changed meanwhile is checked again when it is marked running.)
        self._ending = run.name  # its record is not written yet: a new run of this name waits a pass
        try:
            self._waiting = self._start_what_fits(self._waiting)
        finally:
            self._ending = None
        self.outputs.finish(run.name)
        self._finish_run(run.name, run.index, status, reason, state, failure, usage, run.record)
        if self.last_write == "io":
            self._judged[(run.name, run.index)] = failure
        self.log(f"{run.name}: run {run.index} {status.value}" + (f" ({reason})" if reason else ""))
        self.wake()

    def _judge(self, name: str, index: int, status: Status, state: P.RunState | None,
               oom_before: int | None) -> Failure | None:
        """Read why a run failed (its log) and count it in the circuit breaker, which may pause
        the queue; a success clears the breaker. Lost runs are not judged (nothing to read)."""
        if status is Status.COMPLETED:
            self.breaker.completed()
        if status is not Status.FAILED or state is None or not state.exited:
            return None
        if state.error:  # the log could not be written (a full disk): the machine failed, not the batch
            return Failure(state.error, None, False)
        now_ooms = oom_kills() if oom_before is not None else None
        summary = read_failure(self.layout.run_log(name, index), exit_code=state.exit_code,
                               signal_number=state.signal,
                               kernel_oom=now_ooms is not None and oom_before is not None and now_ooms > oom_before)
        summary_error, line = summary.error, summary.line
        verdict = self.breaker.failed(name, summary_error, state.duration_s)
        if verdict.trip is not None and self.pause is None:
            self.pause = verdict.trip
            try:
                write_pause(self.paths.pause, verdict.trip)
                self._pause_key = stat_key(self.paths.pause)
            except OSError as exc:
                self.log(f"cannot write {self.paths.pause}: {exc}")
            self.log(f"paused: {verdict.trip.message} (pyr-tui runner resume)")
        return Failure(summary_error, line, verdict.deterministic or verdict.trip is not None)

    def _finish_run(self, name: str, index: int, status: Status, reason: str | None, state: P.RunState | None,
                    failure: Failure | None = None, usage: dict[str, Any] | None = None,
                    record: Task | None = None) -> None:
        finished = now_iso()
        settings = self.settings

        def change(t: Task) -> None:
            run = next((r for r in t.runs if r.index == index), None)
            if run is None:
                raise _Skip
            run.status = status
            run.reason = reason
            run.finish = finished
            if state is not None:
                run.pid = run.pid or state.child_pid
                run.exit_code = state.exit_code
                run.signal = state.signal
                run.duration_s = state.duration_s
            if run.duration_s is None:
                start, end = parse_iso(run.start), parse_iso(finished)
                if start is not None and end is not None:
                    run.duration_s = round(max(0.0, end - start), 3)
            if failure is not None:
                run.error, run.error_line = failure.error, failure.line
            for key, value in (usage or {}).items():
                setattr(run, key, value)
            if t.status is Status.RUNNING and t.last_run is run:
                t.set_status(status, reason)
                t.stop_requested = False
                t.force = False
                if failure is not None and should_retry(t, run, settings, deterministic=failure.deterministic):
                    t.set_status(Status.QUEUED, f"retrying run {index}: {failure.error}")
                    t.retry_pending = index
                    t.queued_at = t.queued_at or queue_times(1)[0]

        task = self._update(name, change)
        if task is not None and task.status is Status.QUEUED:
            self._known.add(name)  # queued again for a retry: the next pass looks at it
        written = task is not None
        if not written and self.last_write != "io":
            written = self._rebuild(name, index, change, state, record)
        if written or self.last_write in ("skip", "gone"):
            state_path = self.paths.run_state(name, index)
            for path in (state_path, Path(f"{state_path}.lock")):
                with contextlib.suppress(OSError):
                    path.unlink()

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
        except _Skip:
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
            kind, script = info.kind, info.script
        except PyrunsError:
            kind, script = ("shell", None) if self.layout.is_shell else ("argparse", None)
        started = state.started_at if state is not None else None
        start = datetime.fromtimestamp(started).astimezone().isoformat(timespec="milliseconds") if started else now_iso()
        run = Run(index=index, status=Status.RUNNING, start=start, log=f"run_logs/run{index}.log")
        return Task(name=name, status=Status.RUNNING, created_at=start, task_kind=kind, script=script, runs=[run],
                    reason="rebuilt by the runner: task_info.json was emptied while the task ran")

    # ----- recovery (runs marked running that this runner does not watch)

    def _recover(self, task: Task) -> None:
        run = task.last_run
        if run is None:
            self._fail_lost(task.name, None, f"{LOST}: no run record")
            return
        state_path = self.paths.run_state(task.name, run.index)
        state = P.RunState.read(state_path)
        alive = state is not None and not state.exited and P.supervisor_alive(state_path)
        if not alive and state is not None and not state.exited:
            state = P.RunState.read(state_path) or state  # it may have ended just now
        if state is not None and state.exited:
            status, reason = exit_reason(state)
            key = (task.name, run.index)
            if key not in self._judged:  # judged once, however often a full disk makes us retry
                self._judged[key] = self._judge(task.name, run.index, status, state, None)
            self._finish_run(task.name, run.index, status, reason, state, self._judged[key])
            if self.last_write != "io":
                del self._judged[key]
                self.log(f"{task.name}: run {run.index} ended while no runner watched: {status.value}")
            return
        if alive and state is not None:
            adopted = ActiveRun(task.name, run.index, tuple(run.gpus), state_path, state.supervisor_pid, adopted=True,
                                record=task)
            self.active[task.name] = adopted
            self.outputs.add(task.name, run.index, parse_iso(run.start), resume=True)
            assert self.loop is not None
            adopted.watch = P.ExitWatch(self.loop, state.supervisor_pid, lambda: self._on_exit(adopted))
            if run.pid is None and state.child_pid:
                self._record_pid(adopted, state.child_pid)
            self.log(f"{task.name}: run {run.index} re-adopted (supervisor {state.supervisor_pid})")
            return
        if state is None:
            started = parse_iso(run.start)
            young = started is not None and time.time() - started < ADOPT_WAIT_S
            # a live supervisor whose state file is gone (`.runner/` deleted) writes it again at its end
            if young or P.supervisor_alive(state_path) or self._logs_locked(task.name):
                self._recheck_at = time.monotonic() + 0.2  # its supervisor has not written yet
                return
        if state is not None:
            P.kill_lost_group(state.child_pid, state.started_at)
        self._fail_lost(task.name, run.index, f"{LOST}: the task's process is gone")

    def _fail_lost(self, name: str, index: int | None, reason: str) -> None:
        self.log(f"{name}: {reason}")
        if index is not None:
            self._finish_run(name, index, Status.FAILED, reason, P.RunState.read(self.paths.run_state(name, index)))
            return

        def change(t: Task) -> None:
            if t.status is Status.RUNNING:
                t.set_status(Status.FAILED, reason)

        self._update(name, change)

    def cleanup_state_files(self) -> None:
        """Remove state and lock files of runs that are not running any more (left by a crash)."""
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.paths.runs_dir):
                path = Path(entry.path)
                if entry.name.endswith(".json.lock"):
                    if not Path(entry.path[: -len(".lock")]).exists() and not is_held(path):
                        with contextlib.suppress(OSError):
                            path.unlink()
                    continue
                if not entry.name.endswith(".json"):
                    continue
                state = P.RunState.read(path)
                if state is None or not state.task or state.task in self.active:
                    continue
                if state.run is not None and stat_key(self.layout.task_info(state.task)) is not None and \
                        os.stat(self.layout.task_info(state.task)).st_size == 0:
                    self._recover_emptied(state)
                    continue
                if state.exited or not P.supervisor_alive(path):
                    try:
                        task: Task | None = self.store.get(state.task)
                    except PyrunsError:
                        task = None
                    if task is None or task.status is not Status.RUNNING:
                        for stale in (path, Path(f"{path}.lock")):
                            with contextlib.suppress(OSError):
                                stale.unlink()

    def _recover_emptied(self, state: P.RunState) -> None:
        """A run whose task_info.json is empty (no runner had a copy): record its end, or write
        a running record the next pass adopts."""
        assert state.task is not None and state.run is not None
        if state.exited:
            status, reason = exit_reason(state)
            self._finish_run(state.task, state.run, status, reason, state)
        else:
            self._rebuild(state.task, state.run, lambda t: None, state, None)
            self.request_full_scan()

    def close(self) -> None:
        """Stop watching (the supervisors keep running; the next runner adopts them)."""
        self.outputs.close()
        for run in self.active.values():
            if run.watch is not None:
                run.watch.close()


def _logs_dir_problem(path: Path) -> str | None:
    """Why a task's run_logs folder must not be written to (a link out of the task), or None."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path}: cannot check the log folder: {exc.strerror}"
    if stat.S_ISLNK(mode):
        return f"{path} is a symbolic link; refusing to write the log outside the task (remove the link)"
    if not stat.S_ISDIR(mode):
        return f"{path} is not a folder; remove it so the log can be written"
    return None


def _blocked(task: Task, reason: str | None) -> None:
    if task.status is not Status.QUEUED:
        raise _Skip
    task.unqueue()
    task.reason = reason
