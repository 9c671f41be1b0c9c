"""The end of a run: its exit judged (failure triage, circuit breaker, retries) and its record written (part of `Scheduler`).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from pyruns_tui.runner.breaker import write_pause
from pyruns_tui.runner.daemon import proc as P
from pyruns_tui.runner.daemon.retry import should_retry
from pyruns_tui.runner.daemon.runs import Failure, Skip
from pyruns_tui.runner.daemon.state import SchedulerState
from pyruns_tui.runner.daemon.triage import oom_kills, read_failure
from pyruns_tui.workspace.model import Status, Task, local_iso, now_iso, parse_iso, queue_times
from pyruns_tui.workspace.store import stat_key


class Ending(SchedulerState):
    """The `Scheduler` layer that judges a run's end (failure triage, circuit breaker, retries) and writes its record."""

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
        # the supervisor's time of the end, not this record's: the runner records ends late under
        # load (seconds, or a restart later for a run that ended while no runner watched)
        finished = local_iso(state.finished_at) if state is not None and state.finished_at else now_iso()
        settings = self.settings

        def change(t: Task) -> None:
            run = next((r for r in t.runs if r.index == index), None)
            if run is None:
                raise Skip
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
            for path in (state_path, f"{state_path}.lock"):
                with contextlib.suppress(OSError):
                    os.unlink(path)
