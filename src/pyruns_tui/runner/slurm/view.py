"""What the user sees of the cluster: the workspace's jobs (from the task records and the
runner's last poll, no Slurm call) and, for the system panel, the load per partition."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pyruns_tui.errors import PyrunsError
from pyruns_tui.runner.slurm import commands as C
from pyruns_tui.runner.slurm.records import is_slurm_run
from pyruns_tui.runner.slurm.submit import slurm_dir
from pyruns_tui.workspace.fsio import read_json
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Task


@dataclass(frozen=True)
class SlurmJob:
    """One queued or running task on Slurm, as last polled."""

    task: str
    job_id: str | None
    state: str  # squeue's state, or SUBMITTING before sbatch answered
    reason: str | None
    node: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"job": self.job_id, "state": self.state, "reason": self.reason, "node": self.node}


@dataclass(frozen=True)
class ClusterView:
    """The workspace's active Slurm jobs and the runner's last poll."""

    jobs: tuple[SlurmJob, ...]
    polled_at: str | None
    error: str | None

    def to_dict(self) -> dict[str, object]:
        return {"polled_at": self.polled_at, "error": self.error, "jobs": {j.task: j.to_dict() for j in self.jobs}}


def workspace_jobs(layout: Layout, tasks: Iterable[Task]) -> ClusterView:
    """The active Slurm runs of `tasks` with the states of the runner's last poll."""
    polled: dict[str, object] = {}
    with contextlib.suppress(OSError, ValueError):
        polled = read_json(slurm_dir(layout) / "status.json")
    states = polled.get("jobs") if isinstance(polled.get("jobs"), dict) else {}
    jobs = []
    for task in tasks:
        if not is_slurm_run(task):
            continue
        run = task.last_run
        assert run is not None
        seen = states.get(run.slurm_job_id or "") if isinstance(states, dict) else None
        seen = seen if isinstance(seen, dict) else {}
        state = str(seen.get("state") or ("SUBMITTING" if run.slurm_job_id is None else run.status.value.upper()))
        jobs.append(SlurmJob(task.name, run.slurm_job_id, state, seen.get("reason") or None, seen.get("node") or run.node))
    polled_at = polled.get("polled_at")
    error = polled.get("error")
    return ClusterView(tuple(jobs), polled_at if isinstance(polled_at, str) else None, error if isinstance(error, str) else None)


def unanswered(layout: Layout, since: float) -> str | None:
    """Why Slurm did not answer the runner's last poll (`squeue failed: ... Unable to contact
    slurm controller ...`), when that poll ended after `since` (a time.time()); None when it
    answered, or when no poll has ended since."""
    from pyruns_tui.workspace.model import parse_iso

    polled: object = None
    with contextlib.suppress(OSError, ValueError):
        polled = read_json(slurm_dir(layout) / "status.json")
    if not isinstance(polled, dict):
        return None
    error, at = polled.get("error"), polled.get("polled_at")
    ended = parse_iso(at) if isinstance(at, str) else None
    return error if isinstance(error, str) and error and ended is not None and ended >= since else None


@dataclass(frozen=True)
class PartitionLoad:
    """One partition: its nodes and availability (sinfo) and this user's jobs in it (squeue)."""

    name: str
    available: str
    nodes: int
    running: int
    pending: int


def partitions() -> list[PartitionLoad]:
    """Per-partition load: one `sinfo` and one `squeue --me` call (RunnerError when Slurm fails)."""
    jobs: Counter[tuple[str, str]] = Counter()
    for line in C.run(["squeue", "--me", "-h", "-r", "-o", "%P|%T"]).splitlines():
        part, _, state = line.partition("|")
        jobs[(part.strip(), state.strip())] += 1
    found = []
    for line in C.run(["sinfo", "-h", "-o", "%R|%a|%D"]).splitlines():
        parts = line.split("|")
        if len(parts) != 3:
            continue
        name, available, nodes = (p.strip() for p in parts)
        found.append(PartitionLoad(name, available, int(nodes) if nodes.isdigit() else 0,
                                   jobs[(name, "RUNNING")], jobs[(name, "PENDING")]))
    return found


@dataclass(frozen=True)
class ClusterLoad:
    """The system panel's cluster view: the partitions (a fresh sinfo/squeue); `problem` when
    Slurm could not be asked. (The workspace's own tasks are counted by their status, from the
    task records: Slurm's job states of the last poll disagree with them, a stopped task's job
    is CANCELLED or FAILED.)"""

    partitions: tuple[PartitionLoad, ...]
    problem: str | None = None


def cluster_load() -> ClusterLoad:
    """What the system panel shows of the cluster (two Slurm calls; run it off the UI thread)."""
    try:
        return ClusterLoad(tuple(partitions()))
    except PyrunsError as exc:
        return ClusterLoad((), str(exc))
