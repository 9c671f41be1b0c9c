"""Recovery (part of `Scheduler`): runs marked running that this runner does not watch (adopted,
queued again when no supervisor ever took them, or failed as lost), task records emptied under a
run (rebuilt), state files left by a crash, batches a killed `gen` left half-written (finished).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from pyruns_tui.errors import PyrunsError
from pyruns_tui.runner.daemon import proc as P
from pyruns_tui.runner.daemon.placement import Placement
from pyruns_tui.runner.daemon.runs import LOST, ActiveRun, Skip, exit_reason
from pyruns_tui.runner.locks import remove_unless_held, try_lock, unlock
from pyruns_tui.workspace.layout import RUN_LOGS
from pyruns_tui.workspace.model import Run, Status, Task, now_iso, parse_iso
from pyruns_tui.workspace.store import stat_key

ADOPT_WAIT_S = 5.0  # a run younger than this without a state file may still be starting
NEVER_STARTED = "never started (the runner stopped before a supervisor took it): queued again"


class Recovery(Placement):
    """The `Scheduler` layer for runs no runner watched (adopted or failed as lost) and stale state files."""

    def _recover(self, task: Task) -> Task | None:
        """Adopt, record or fail a run marked running that this runner does not watch; the task
        queued again (returned) when no supervisor ever took its run."""
        run = task.last_run
        if run is None:
            self._fail_lost(task.name, None, f"{LOST}: no run record")
            return None
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
            return None
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
            return None
        if state is None:
            started = parse_iso(run.start)
            young = started is not None and time.time() - started < ADOPT_WAIT_S
            # a live supervisor whose state file is gone (`.runner/` deleted) writes it again at its end
            if young or P.supervisor_alive(state_path) or self._logs_locked(task.name):
                self._recheck_at = time.monotonic() + 0.2  # its supervisor has not written yet
                return None
        if state is None and run.backend is None:
            verdict = self._requeue_unstarted(task.name, run)
            if verdict != "started":
                return verdict if isinstance(verdict, Task) else None
        if state is not None:
            P.kill_lost_group(state.child_pid, state.started_at)
        self._fail_lost(task.name, run.index, f"{LOST}: the task's process is gone")
        return None

    def _requeue_unstarted(self, name: str, run: Run) -> Task | str:
        """A local run with no state file and no live supervisor: queued again (the Task) when no
        supervisor ever took it (a runner killed between marking it running and handing it to its
        supervisor), "started" when one may have (then it is lost), "busy" to look again later.

        A supervisor takes the task folder's `run_logs` flock, then reads task_info.json (it refuses
        the run unless that still says this run is running), then creates the run's log, then starts
        the task. So with that flock held here, no log means no task was started, and none will be:
        the record says otherwise before the flock is given back."""
        logs = self.layout.task_dir(name) / RUN_LOGS
        if not logs.is_dir() or logs.is_symlink():  # (try_lock would make a file of a missing one)
            return "started"
        try:
            fd = try_lock(logs)
        except OSError:
            return "started"
        if fd is None:  # a supervisor holds it: it is alive after all
            self._recheck_at = time.monotonic() + 0.2
            return "busy"
        try:
            try:
                os.lstat(f"run{run.index}.log", dir_fd=fd)
                return "started"
            except FileNotFoundError:
                pass

            def requeue(t: Task) -> None:
                last = t.last_run
                if t.status is not Status.RUNNING or last is None or last.index != run.index or \
                        last.status is not Status.RUNNING:
                    raise Skip
                last.status, last.finish = Status.INTERRUPTED, now_iso()
                last.reason = NEVER_STARTED
                t.retry_pending = last.retry_of
                t.set_status(Status.QUEUED)

            task = self._update(name, requeue)
        finally:
            unlock(fd)
        if task is None:
            return "busy" if self.last_write == "io" else "started"
        self.log(f"{name}: run {run.index} {NEVER_STARTED}")
        return task

    def _fail_lost(self, name: str, index: int | None, reason: str) -> None:
        self.log(f"{name}: {reason}")
        if index is not None:
            self._finish_run(name, index, Status.FAILED, reason, P.RunState.read(self.paths.run_state(name, index)))
            return

        def change(t: Task) -> None:
            if t.status is Status.RUNNING:
                t.set_status(Status.FAILED, reason)

        self._update(name, change)

    def _finish_batches(self, found: list[str]) -> bool:
        """Finish the batches of interrupted writers among the staging folders `found` by the full
        pass's listing (staging.tidy: a live writer's, its record locked, is never touched), and
        say so in the log; whether any was finished. A `gen --run` cut by a dropped SSH link after
        some renames would otherwise leave its tasks pending, and the rest staged, until someone
        types another command; the runner is the process that stays in the workspace."""
        from pyruns_tui.workspace.staging import tidy

        try:
            lines = tidy(self.store, found, start_runner=False)
        except (PyrunsError, OSError) as exc:  # (a full disk, a lock file gone): the next full pass tries again
            self.log(f"cannot finish an interrupted batch: {exc}")
            return False
        for line in lines:
            self.log(line)
        return bool(lines)

    def cleanup_state_files(self) -> None:
        """Remove state and lock files of runs that are not running any more (left by a crash)."""
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.paths.runs_dir):
                path = Path(entry.path)
                if entry.name.endswith(".json.lock"):
                    if not Path(entry.path[: -len(".lock")]).exists():
                        remove_unless_held(path)
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
                        with contextlib.suppress(OSError):
                            path.unlink()
                        remove_unless_held(Path(f"{path}.lock"))

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

