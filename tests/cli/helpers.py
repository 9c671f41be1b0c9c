"""Running the real `pyr-tui` command line in tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# a three-parameter argparse script (float, int, choices): what the CLI and TUI checks need
SMALL_SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--opt", choices=["adam", "sgd"], default="adam")
print(vars(p.parse_args()))
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def pyr(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 60) -> Result:
    """Run `python -m pyruns_tui ARGS` in `cwd` as a real process."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "pyruns_tui", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, env=full_env, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def record_run(project: Path, task: str, status: str, start: float, workspace: str = "train",
               task_status: str | None = None) -> None:
    """Append to `task` a run that started at epoch `start` and is now in `status` (as the
    runner records one; a finished one lasted 1 s), and give the task that status (or
    `task_status`: `queued` for a rerun asked for)."""
    from datetime import datetime, timezone

    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.model import Run, Status, Task
    from pyruns_tui.workspace.store import TaskStore

    state = Status(status)

    def iso(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")

    def change(record: Task) -> None:
        finished = state.is_finished
        record.runs.append(Run(index=len(record.runs) + 1, status=state, start=iso(start),
                               finish=iso(start + 1) if finished else None, duration_s=1.0 if finished else None,
                               exit_code={Status.COMPLETED: 0, Status.FAILED: 1}.get(state), pid=4242))
        record.status = Status(task_status) if task_status else state

    TaskStore(Layout(root=project / "_pyruns_", name=workspace)).update(task, change)


def api_project(project: Path, defaults: str = "lr: 0.1\n") -> Path:
    """`project` with a `train.py` that reads its config through the script API (`pr.load()`),
    its `train.yaml` of `defaults`, and the workspace `init` makes of it."""
    from pyruns_tui.cli import main

    (project / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    (project / "train.yaml").write_text(defaults)
    assert main(["-C", str(project), "init", "train.py"]) == 0
    return project


def log_rows(project: Path, task: str, *rows: dict[str, Any], workspace: str = "train") -> None:
    """Append rows to a task's metrics.jsonl as `pr.log` writes them (each with its time `t`)."""
    path = project / "_pyruns_" / workspace / "tasks" / task / "metrics.jsonl"
    with open(path, "a", encoding="utf-8") as stream:
        stream.write("".join(json.dumps(row) + "\n" for row in rows))


def spec_file(directory: Path, text: str) -> Path:
    """A grid spec `spec.yaml` in `directory` holding `text`, for `gen`."""
    path = directory / "spec.yaml"
    path.write_text(text)
    return path
