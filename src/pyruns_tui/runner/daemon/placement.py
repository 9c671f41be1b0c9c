"""Placing queued tasks: slots, GPUs, and starting a run under its supervisor (part of `Scheduler`).
"""

from __future__ import annotations

import contextlib
import time

from pyruns_tui.errors import PyrunsError
from pyruns_tui.runner import gpus as G
from pyruns_tui.runner.daemon import proc as P
from pyruns_tui.runner.daemon.ending import Ending
from pyruns_tui.runner.daemon.kept_queue import take_out
from pyruns_tui.runner.daemon.launch import build_launch, workspace_repo_dir
from pyruns_tui.runner.daemon.record import host_name, resolve_python
from pyruns_tui.runner.daemon.runs import (
    IO_RETRY_S,
    LOST,
    ActiveRun,
    End,
    Skip,
    exit_reason,
    logs_dir_problem,
    queue_order,
)
from pyruns_tui.runner.daemon.triage import oom_kills
from pyruns_tui.runner.locks import is_held
from pyruns_tui.runner.redact import redact_argv, redacted_env_json
from pyruns_tui.workspace.fsio import atomic_write
from pyruns_tui.workspace.layout import RUN_LOGS
from pyruns_tui.workspace.model import Run, Status, Task, now_iso

PID_WRITE_DELAY_S = 0.5
GPU_SAMPLE_S = 1.0  # per-run GPU accounting: one snapshot of every device a second


class Placement(Ending):
    """The `Scheduler` layer that places queued tasks (slots, GPUs), starts runs and hears of their exits."""

    def warm_up(self) -> None:
        """Make the first launch as quick as the next ones (see ScriptParamsCache.warm_up): the
        git state its record needs is read meanwhile (GitCache.prefetch), and the terminal model
        its output watch needs is imported (left out of the runner's start-up: ~20 ms)."""
        repo = workspace_repo_dir(self.layout)
        if repo is not None:
            self._git.prefetch(repo, self.loop, self.wake)
        import pyruns_tui.logs.terminal  # noqa: F401  (what each run's output watch needs: output_watch._model)

        self._params.warm_up()

    def _start_what_fits(self, queued: list[Task], *, recheck: bool = False) -> list[Task]:
        """Start the queued tasks (in order) that fit; returns those still waiting, in order: the
        list `queued` itself, the entries that left it (started, failed, dropped) taken out in place.
        With `recheck` (`queued` is the kept queue, as when a run ends), each task reached is
        looked at again, one `stat`: one whose file changed since this runner read or wrote it
        (stopped, cancelled, edited) is left out, unopened, for the next pass to read
        (`_reread`), where trying to start it cost a launch build and a locked read (a stop of
        10,000 queued tasks made each run's end try all 10,000: ~2 s per end); an entry left
        behind by a task put elsewhere in the queue since (`_place`) is dropped. The queue is
        walked only as far as it starts tasks, so a pass after a run ended costs the same for 10
        or 100,000 queued tasks. With free slots and a GPU task that must wait, no GPU task behind
        it may start (they start in order): once the first `budget` of those waiting have their
        reason, such a pass goes from one task that needs no GPU to the next (`_no_gpu`),
        past the GPU tasks between, not looked at (with 10,000 GPU tasks waiting for busy GPUs
        and -j 8, each end `stat`ed all 10,000). A task among those that can never start (more
        GPUs, or more memory, than the machine has) fails when a walk reaches it: a full pass,
        which walks the whole queue (its tasks just read: no `stat`), or once the GPUs free up."""
        if self.settings_held_since is not None:  # the settings file is being written: nothing starts
            return queued
        if recheck and self.has_gpus and self._no_gpu.rule != self.settings.gpus_per_task:
            self._index_no_gpu(queued)  # what a task needs changed with the settings
        slots = self.concurrency - len(self.active)
        devices: list[G.GpuDevice] | None = None
        gpu_blocked = False
        budget = max(slots, 0)  # how many waiting tasks get a visible reason
        left: list[int] = []  # the positions of the entries that leave the queue
        position = 0
        while position < len(queued):
            task = queued[position]
            # forced tasks come first; the rest waits for a slot, or for a resume when paused
            if not task.force and (slots <= 0 or self.pause is not None):
                break
            if gpu_blocked and not budget and recheck and not self._may_pass_gpu_tasks(task):
                # on to the next task that needs no GPU (none forced is behind: they come first)
                ahead = self._no_gpu.next(queued, position, self._may_pass_gpu_tasks)
                if ahead != position:
                    position = ahead
                    continue
            here = position
            position += 1
            if recheck:
                fresh = self._as_known(task.name)[1]
                if fresh is None:  # changed since: may not be queued now
                    self._reread.add(task.name)
                    self._recheck_at = time.monotonic()
                    left.append(here)
                    continue
                if fresh.status is not Status.QUEUED or fresh.stop_requested or queue_order(fresh) != queue_order(task):
                    left.append(here)
                    continue  # started, or moved in the queue (its entry there is the one kept)
                if fresh is not task:
                    queued[here] = task = fresh  # (its place in the queue is the same)
                    self._note_no_gpu(task)
            need = self._gpus_needed(task)
            if need == 0:
                started = self._start(task, [] if self.has_gpus else None)
                slots -= started
                if started:
                    left.append(here)
                continue
            if devices is None:
                devices = G.usable(self.backend.devices(), self.settings.gpu_ids)
            if need > len(devices) and not task.force:
                self._fail_unstartable(task, f"needs {need} GPUs but only {len(devices)} can be used (gpu_ids)")
                left.append(here)
                continue
            too_big = _memory_never_fits(devices, need, task.gpu_mem_mb)
            if too_big is not None and not task.force:  # it would wait for ever, and hold back the GPU queue
                self._fail_unstartable(task, too_big)
                left.append(here)
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
                continue
            started = self._start(task, picked)
            slots -= started
            if started:
                left.append(here)
        take_out(queued, left)
        return queued

    def _index_no_gpu(self, queued: list[Task]) -> None:
        """Make `_no_gpu` anew for the queue `queued` (in order)."""
        self._no_gpu.make(queued if self.has_gpus else [], self._may_pass_gpu_tasks, self.settings.gpus_per_task)

    def _note_no_gpu(self, task: Task) -> None:
        """Add to `_no_gpu` a task put in the kept queue, if it may start while GPU tasks wait
        (without GPUs no task waits for one; with other settings it is made anew before its next use)."""
        if self.has_gpus and self._no_gpu.rule == self.settings.gpus_per_task and self._may_pass_gpu_tasks(task):
            self._no_gpu.add(task)

    def _may_pass_gpu_tasks(self, task: Task) -> bool:
        """Whether `task` may start while the GPU tasks before it wait: it needs no GPU, or is forced."""
        return task.force or self._gpus_needed(task) == 0

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

    def _start(self, task: Task, gpus: list[int] | None) -> bool:
        """Start a run of `task` with these GPUs; False when it did not start (the slot is free)."""
        name = task.name
        try:
            launch = build_launch(self.store, task, self.settings, gpus, self._params, self._base_env)
        except PyrunsError as exc:
            self._fail_unstartable(task, str(exc))
            return False
        problem = logs_dir_problem(self.layout.task_dir(name) / RUN_LOGS)
        if problem:
            self._fail_unstartable(task, problem)
            return False
        busy = self._previous_run_alive(task)
        if busy:
            self._set_reason(task, busy)
            self._recheck_at = time.monotonic() + IO_RETRY_S
            return False
        known, git = self._git.read(launch.repo_dir, self.loop, self.wake)
        if not known:  # a slow git: the pass after its read starts the task (the slot stays free)
            return False
        python = resolve_python(self.settings.python_executable)
        argv = redact_argv(launch.argv)  # (out of the lock's hold)
        index_box: list[int] = []

        def mark_running(t: Task) -> None:
            if t.status is not Status.QUEUED or t.stop_requested:
                raise Skip
            index = max((r.index for r in t.runs), default=0) + 1
            index_box.append(index)
            # the environment (secrets redacted, yet private) goes to an owner-only file beside the
            # log: task_info.json then follows the umask and can be shared with a group
            env_path = self.layout.run_env(name, index)
            env_path.parent.mkdir(exist_ok=True)
            atomic_write(env_path, redacted_env_json(launch.env), fsync=False, mode=0o600)
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
                    argv=argv,
                    log=f"run_logs/run{index}.log",
                )
            )
            t.set_status(Status.RUNNING)
            t.force = False
            t.stop_requested = False
            t.retry_pending = None

        record = self._update(name, mark_running, known=True)
        if record is None:
            return False
        index = index_box[0]
        log_path = self.layout.run_log(name, index)
        state_path = self.paths.run_state(name, index)
        try:  # (run_logs was made, or found a folder, as the run's env file was written there)
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
                spawner=self.spawner,
                on_spawn_failed=self._spawn_failed,
                wake=self.paths.fifo,
                record=self.layout.task_info(name),
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
        run.watch = P.ExitWatch(self.loop, started.pid, lambda: self._on_exit(run), popen=started.popen,
                                channel=started.channel, on_output=lambda: self.outputs.output_came(name))
        return True

    def _spawn_failed(self, why: str) -> None:
        if why not in self._spawn_failures:  # once per cause (a huge environment fails every run)
            self._spawn_failures.add(why)
            self.log(f"spawner: {why}; starting the supervisor from the runner")

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
        if task.name in self.active or any(end.run.name == task.name for end in self._ends):
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
                raise Skip
            last.pid = pid

        self._update(run.name, change)

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
        # The freed slot goes to the next waiting task first; the record of this end is written
        # after every end heard in this turn of the loop has handed on its slot (`write_ends`, soon,
        # and first thing in every pass): four tasks that end together start four successors
        # before the four records (a task_info.json write each, ~1-6 ms) are written. The next
        # pass, which write_ends wakes, re-reads everything as usual; a waiting task that changed
        # meanwhile is checked again when it is marked running.
        self._ends.append(End(run, status, reason, state, failure, usage))  # a new run of this name waits
        self._turn_open = True  # the writes until write_ends share one hold of the lock
        if len(self._ends) == 1 and self.loop is not None:
            self.loop.call_soon(self.write_ends)
        try:
            self._waiting = self._start_what_fits(self._waiting, recheck=True)
        finally:
            if self.loop is None:
                self.write_ends()

    def write_ends(self) -> None:
        """Write the records of the runs that ended since the last call (see `_on_exit`); an end
        leaves `_ends` as its record is written."""
        wrote = bool(self._ends)
        try:
            while self._ends:
                end = self._ends.pop(0)
                run, status, reason = end.run, end.status, end.reason
                self.outputs.finish(run.name)
                self._finish_run(run.name, run.index, status, reason, end.state, end.failure, end.usage, run.record)
                if self.last_write == "io":
                    self._judged[(run.name, run.index)] = end.failure
                self.log(f"{run.name}: run {run.index} {status.value}" + (f" ({reason})" if reason else ""))
        finally:
            self.release_turn()
        if wrote:
            self.wake()


def _memory_never_fits(devices: list[G.GpuDevice], need: int, need_mem_mb: int | None) -> str | None:
    """Why `need` GPUs with `need_mem_mb` free each can never be found among `devices` (fewer of them
    have that much memory at all: `--gpu-mem 100000` on 24 GB cards, MB taken for GB), or None.
    Devices whose size is unknown (0) may fit."""
    if not need_mem_mb or any(d.mem_total_mb <= 0 for d in devices):
        return None
    if sum(1 for d in devices if d.mem_total_mb >= need_mem_mb) >= need:
        return None
    largest = max((d.mem_total_mb for d in devices), default=0.0)
    gpus = f"{need} GPU{'s' if need > 1 else ''}"
    return f"needs {gpus} with {need_mem_mb} MB free (gpu_mem_mb) but the largest usable GPU has {largest:.0f} MB"
