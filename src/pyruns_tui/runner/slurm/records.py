"""The changes a Slurm run's record goes through (submitting, submitted, running, requeued,
finished), as functions for `TaskStore.update`, and where the launcher's exit record lives."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from pyruns_tui.workspace.fsio import read_json
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status, Task, local_iso, now_iso

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

SUBMITTING = "submitting to Slurm"


class Skip(Exception):
    """The task changed under us (stopped, rerun, finished elsewhere): leave it."""


def is_slurm_run(task: Task) -> bool:
    """Whether the task's current run is a (queued or running) Slurm array index."""
    run = task.last_run
    return run is not None and run.backend == "slurm" and run.status.is_active


def record_path(layout: Layout, name: str, index: int) -> Path:
    """The exit record the launcher writes (the supervisor's state file) in the task folder."""
    return layout.run_log(name, index).with_name(f"run{index}.exit.json")


def read_record(path: Path) -> dict[str, Any] | None:
    with contextlib.suppress(OSError, ValueError):
        data = read_json(path)
        return data if isinstance(data, dict) else None
    return None


def iso(epoch: Any) -> str | None:
    if not isinstance(epoch, (int, float)):
        return None
    return local_iso(epoch)



def mark_submitting(python: str, git: dict[str, Any] | None, env: dict[str, str],
                    argv: list[str]) -> Callable[[Task], None]:
    def change(t: Task) -> None:
        if t.status is not Status.QUEUED or t.stop_requested or is_slurm_run(t):
            raise Skip
        index = max((r.index for r in t.runs), default=0) + 1
        t.runs.append(Run(index=index, status=Status.QUEUED, python=python, git=git, argv=argv, env=env,
                          log=f"run_logs/run{index}.log", backend="slurm", restarts=0))
        t.reason = SUBMITTING
        t.force = False

    return change


def mark_submitted(job_id: str) -> Callable[[Task], None]:
    def change(t: Task) -> None:
        if t.last_run is None or t.last_run.backend != "slurm":
            raise Skip
        t.last_run.slurm_job_id = job_id
        if t.status is Status.QUEUED:
            t.reason = "Slurm: submitted"

    return change


def mark_answered(index: int, job_id: str) -> Callable[[Task], None]:
    """`mark_submitted` for run `index` only, and only while it has no job id (an adoption)."""
    def change(t: Task) -> None:
        if current(t, index).slurm_job_id is not None:
            raise Skip
        mark_submitted(job_id)(t)

    return change


def current(t: Task, index: int) -> Run:
    run = t.last_run
    if run is None or run.index != index or not run.status.is_active:
        raise Skip
    return run


def set_reason(index: int, reason: str) -> Callable[[Task], None]:
    def change(t: Task) -> None:
        current(t, index)
        if t.status is Status.QUEUED:
            t.reason = reason

    return change


def running(index: int, node: str, record: dict[str, Any] | None) -> Callable[[Task], None]:
    def change(t: Task) -> None:
        run = current(t, index)
        run.status = Status.RUNNING
        run.node = (record or {}).get("node") or node or run.node
        run.host = run.node
        run.start = iso((record or {}).get("started_at")) or run.start or now_iso()
        attempt = (record or {}).get("attempt")
        if isinstance(attempt, int) and attempt > (run.restarts or 0):
            run.restarts = attempt
        pid = (record or {}).get("child_pid")
        if isinstance(pid, int):
            run.pid = pid
        cuda = (record or {}).get("cuda_visible_devices")
        if isinstance(cuda, str):
            run.gpus = [int(g) for g in cuda.split(",") if g.strip().isdigit()]
            run.extra["cuda_visible_devices"] = cuda
        if t.status is Status.QUEUED:
            t.set_status(Status.RUNNING)

    return change


def requeued(index: int) -> Callable[[Task], None]:
    def change(t: Task) -> None:
        run = current(t, index)
        run.status = Status.QUEUED
        run.restarts = (run.restarts or 0) + 1
        if t.status is Status.RUNNING:
            t.set_status(Status.QUEUED, f"requeued by Slurm (restart {run.restarts})")

    return change


def finished(index: int, status: Status, reason: str | None, record: dict[str, Any] | None,
             error: tuple[str, int | None] | None = None) -> Callable[[Task], None]:
    """The run ended: `error` is why it failed, read from its log (runner/triage.py)."""

    def change(t: Task) -> None:
        run = current(t, index)
        rec = record or {}
        run.status = status
        run.reason = reason
        if error is not None:
            run.error, run.error_line = error
        run.finish = iso(rec.get("finished_at")) or now_iso()
        run.start = run.start or iso(rec.get("started_at"))
        for key in ("exit_code", "signal", "duration_s"):
            value = rec.get(key)
            if value is not None:
                setattr(run, key, value)
        if isinstance(rec.get("child_pid"), int):
            run.pid = rec["child_pid"]
        run.node = rec.get("node") or run.node
        run.host = run.node or run.host
        attempt = rec.get("attempt")
        if isinstance(attempt, int) and attempt > (run.restarts or 0):
            run.restarts = attempt  # requeued between two polls
        cuda = rec.get("cuda_visible_devices")
        if isinstance(cuda, str):
            run.gpus = [int(g) for g in cuda.split(",") if g.strip().isdigit()]
            run.extra["cuda_visible_devices"] = cuda
        if t.status is Status.QUEUED:
            t.set_status(Status.RUNNING)  # it ran (or was cancelled) between two polls
        if t.status is Status.RUNNING:
            t.set_status(status, reason)
        t.stop_requested = False
        t.force = False

    return change
