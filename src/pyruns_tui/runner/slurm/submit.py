"""What one submission is: the sbatch options, the batch script and the index -> task mapping.

`.runner/slurm/<id>.json` holds the mapping (one launch spec per array index) and, once known,
the array's job id and submit time; `.runner/slurm/<id>.sh` is the batch script, which only
starts the launcher on that file (every value is quoted; the options travel as sbatch argv).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyruns_tui.humanize import plural
from pyruns_tui.workspace.fsio import atomic_write, atomic_write_json, read_json
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.settings import Settings

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

SUBMISSION_VERSION = 1
JOB_NAME_PREFIX = "pyruns-"


def slurm_dir(layout: Layout) -> Path:
    return layout.runner_dir / "slurm"


def new_call_id() -> str:
    """A unique id for one `run` call (one sbatch), sortable by time."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + os.urandom(4).hex()  # (uuid costs `run` 9 ms to import)


@dataclass(frozen=True)
class Request:
    """How a queued task is to be submitted (task.submit on disk), from `run --executor slurm`."""

    call: str
    count: int = 1  # tasks queued by that call: the runner submits them together
    partition: str | None = None
    time: str | None = None
    sbatch_args: tuple[str, ...] = ()
    parallelism: int | None = None  # `run -j N`: the %N of the call's arrays (else the settings')

    def to_dict(self) -> dict[str, Any]:
        return {
            "executor": "slurm",
            "call": self.call,
            "count": self.count,
            "partition": self.partition,
            "time": self.time,
            "sbatch_args": list(self.sbatch_args),
            "parallelism": self.parallelism,
        }

    @classmethod
    def of(cls, task: Task) -> Request | None:
        """The task's request, or None when it is not for Slurm (or unreadable)."""
        data = task.submit
        if not isinstance(data, dict) or data.get("executor") != "slurm" or not isinstance(data.get("call"), str):
            return None
        count, parallel = data.get("count"), data.get("parallelism")
        args = data.get("sbatch_args") or []
        return cls(
            call=data["call"],
            count=count if isinstance(count, int) and count > 0 else 1,
            partition=data.get("partition") if isinstance(data.get("partition"), str) else None,
            time=data.get("time") if isinstance(data.get("time"), str) else None,
            sbatch_args=tuple(a for a in args if isinstance(a, str)) if isinstance(args, list) else (),
            parallelism=parallel if isinstance(parallel, int) and not isinstance(parallel, bool) and parallel > 0 else None,
        )


def gpus_of(task: Task, settings: Settings) -> int:
    """GPUs one array index asks for: the task's own request, else slurm.gpus_per_task, else gpus_per_task."""
    if task.gpus is not None:
        return task.gpus
    if settings.slurm.gpus_per_task is not None:
        return settings.slurm.gpus_per_task
    return settings.gpus_per_task


def sbatch_options(settings: Settings, request: Request, count: int, gpus: int, job_name: str, out: Path) -> list[str]:
    """The sbatch argv for an array of `count` tasks (the command line beats the settings:
    `run -j N` is the array's %N, before slurm.array_parallelism and max_concurrency)."""
    slurm = settings.slurm
    parallel = request.parallelism or slurm.array_parallelism or settings.max_concurrency
    options = [
        f"--array=0-{count - 1}%{parallel}",
        f"--job-name={job_name}",
        f"--output={out}",
        "--requeue",
    ]
    partition = request.partition or slurm.partition
    limit = request.time or slurm.time
    for flag, value in (("--partition", partition), ("--time", limit), ("--mem", slurm.mem), ("--account", slurm.account),
                        ("--qos", slurm.qos), ("--constraint", slurm.constraint)):
        if value:
            options.append(f"{flag}={value}")
    if slurm.cpus_per_task:
        options.append(f"--cpus-per-task={slurm.cpus_per_task}")
    if gpus > 0:
        # (--gpus-per-task needs a task count: Slurm 22.05 refuses it alone)
        options += [f"--gpus-per-task={gpus}", "--ntasks=1"] if slurm.gres_style == "gpus" else [f"--gres=gpu:{gpus}"]
    return [*options, *slurm.extra_args, *request.sbatch_args]


@dataclass
class Submission:
    """One array on disk: `.runner/slurm/<id>.json` (+ `<id>.sh`)."""

    id: str
    dir: Path
    entries: list[dict[str, Any]] = field(default_factory=list)  # one launch spec per index
    sbatch: list[str] = field(default_factory=list)
    job_id: str | None = None
    submit_time: str | None = None  # squeue's %V, checked on adoption

    @property
    def job_name(self) -> str:
        return JOB_NAME_PREFIX + self.id

    @property
    def path(self) -> Path:
        return self.dir / f"{self.id}.json"

    @property
    def script(self) -> Path:
        return self.dir / f"{self.id}.sh"

    def runs(self) -> Iterator[tuple[int, str, int]]:
        """(array index, task name, run index) of each entry; an entry not as we wrote it is skipped."""
        for position, spec in enumerate(self.entries):
            name, index = spec.get("task"), spec.get("run")
            if isinstance(name, str) and isinstance(index, int):
                yield position, name, index

    @property
    def output(self) -> Path:
        return self.dir / f"{self.id}_%a.out"

    def save(self) -> None:
        data = {
            "version": SUBMISSION_VERSION,
            "id": self.id,
            "job_name": self.job_name,
            "job_id": self.job_id,
            "submit_time": self.submit_time,
            "sbatch": self.sbatch,
            "tasks": self.entries,
        }
        atomic_write_json(self.path, data, fsync=False, mode=0o600)

    def write_script(self) -> None:
        """The batch script: the launcher on this submission's file, nothing else as code."""
        lines = [
            "#!/bin/sh",
            f"# pyruns-tui submission {self.id}: {plural(len(self.entries), 'task')}",
            "# sbatch " + json.dumps(self.sbatch),
            "# tasks " + json.dumps([e["task"] for e in self.entries]),
            "exec " + shlex.join([sys.executable, "-m", "pyruns_tui.runner.slurm.launcher", str(self.path)]),
            "",
        ]
        atomic_write(self.script, "\n".join(lines).encode(), fsync=False, mode=0o700)

    @classmethod
    def load(cls, path: Path) -> Submission | None:
        try:
            data = read_json(path)
            return cls(
                id=str(data["id"]),
                dir=path.parent,
                entries=list(data["tasks"]),
                sbatch=list(data.get("sbatch") or []),
                job_id=data.get("job_id"),
                submit_time=data.get("submit_time"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def load_all(layout: Layout) -> list[Submission]:
    found = []
    directory = slurm_dir(layout)
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    for name in names:
        if name.endswith(".json") and not name.startswith("status"):
            sub = Submission.load(directory / name)
            if sub is not None:
                found.append(sub)
    return found


def entry(task: str, run: int, argv: Sequence[str], env: dict[str, str], cwd: Path, log: Path, record: Path,
          grace_s: float, wake: Path | None = None) -> dict[str, Any]:
    """The launch spec of one index (what the launcher hands to the supervisor); `wake`: the
    runner's wake-up FIFO (written to when the job runs on the runner's host, see supervisor.py)."""
    found = {"task": task, "run": run, "argv": list(argv), "env": env, "cwd": str(cwd), "log": str(log),
             "record": str(record), "grace_s": grace_s}
    if wake is not None:
        found["wake"] = str(wake)
    return found
