"""What every figure gets: sizes and repeats for the mode, the tools, scratch space and cleanup."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from suite.harness import BenchError, bench_env, run_cmd
from suite.peers import Ours, Peers, Pyruns

# pyruns runs only scripts that use argparse (or pyruns.load()), so every task script takes --i.
TASK_ARGS = """\
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--i", type=int, default=0)
parser.parse_args()
"""

# A parser-only script: tasks made from it are never run by figures 1 and 2; figure 7 runs them
# one at a time with the rest queued, so it sleeps instead of exiting.
SWEEP_SCRIPT = """\
import argparse
import time

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--batch", type=int, default=32)
parser.parse_args()
time.sleep(3600)
"""


@dataclass(frozen=True)
class Mode:
    """Sizes and repeats of a run (full or --quick)."""

    quick: bool
    repeats: int
    sizes: tuple[int, int]           # tasks for figures 1, 2 and 7 (small, large)
    sleep_batch: tuple[int, int, float]   # tasks, -j, seconds each
    noop_batch: tuple[int, int]      # tasks, -j
    flood_mb: int
    window_s: float                  # idle-cost sampling window
    peer_budget_s: float             # a peer's samples stop once they used this much time

    @classmethod
    def of(cls, quick: bool, repeats: int | None) -> Mode:
        if quick:
            return cls(True, repeats or 3, (100, 200), (12, 4, 0.2), (24, 8), 20, 1.0, 45.0)
        return cls(False, repeats or 5, (1_000, 10_000), (40, 4, 0.2), (200, 8), 200, 3.0, 90.0)


@dataclass
class Context:
    """Shared state of one benchmark run."""

    mode: Mode
    ours: Ours
    peers: Peers
    scratch: Path
    log: Callable[[str], None] = print
    fixtures: dict[tuple[str, int], Path] = field(default_factory=dict)
    _counter: int = 0
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def pyruns(self) -> Pyruns | None:
        return self.peers.pyruns

    def fresh_dir(self, label: str) -> Path:
        """A new empty folder under the scratch space."""
        self._counter += 1
        path = self.scratch / f"{self._counter:03d}-{label}"
        path.mkdir(parents=True)
        return path

    def on_exit(self, fn: Callable[[], None]) -> None:
        self._cleanups.append(fn)

    def cleanup(self) -> None:
        for fn in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                fn()
        self._cleanups.clear()

    # Workspaces made through each tool's own CLI

    def ours_workspace(self, label: str, script_name: str, script_text: str) -> Path:
        root = self.fresh_dir(label)
        (root / script_name).write_text(script_text)
        run_cmd(self.ours.cmd(root, "init", script_name))
        self.on_exit(lambda: stop_our_runner(self, root))
        return root

    def ours_gen(self, root: Path, spec: str, prefix: str) -> list[str]:
        (root / f"{prefix}.yaml").write_text(spec)
        out = run_cmd(self.ours.cmd(root, "gen", f"{prefix}.yaml", "-n", prefix, "--json"))
        return list(json.loads(out)["tasks"])

    def pyruns_workspace(self, label: str, script_name: str, script_text: str) -> Path:
        assert self.pyruns is not None
        root = self.fresh_dir(label)
        (root / script_name).write_text(script_text)
        run_cmd(self.pyruns.cmd(root, None, "init", script_name))
        self.on_exit(lambda: kill_pyruns_runners(root))
        return root

    def pyruns_add(self, root: Path, workspace: str, spec: str, prefix: str) -> list[str]:
        assert self.pyruns is not None
        (root / f"{prefix}.yaml").write_text(spec)
        out = run_cmd(self.pyruns.cmd(root, workspace, "add", str(root / f"{prefix}.yaml"),
                                      "-n", prefix, "--json"))
        return [row["name"] for row in json.loads(out)["created"]]

    def sweep_fixture(self, tool: str, count: int) -> Path:
        """A workspace 'sweep' with `count` pending tasks made by `tool` (kept from figure 1)."""
        key = (tool, count)
        if key not in self.fixtures:
            self.log(f"  (building a {count}-task {tool} workspace, untimed)")
            if tool == "ours":
                root = self.ours_workspace(f"ours-fixture-{count}", "sweep.py", SWEEP_SCRIPT)
                self.ours_gen(root, ours_sweep_spec(count), "s")
            else:
                root = self.pyruns_workspace(f"pyruns-fixture-{count}", "sweep.py", SWEEP_SCRIPT)
                self.pyruns_add(root, "sweep", pyruns_sweep_spec(count), "s")
            self.fixtures[key] = root
        return self.fixtures[key]

    def keep_fixture(self, tool: str, count: int, root: Path) -> None:
        """Make `root` the fixture for (tool, count); the one it replaces stays until the run ends.

        Deleting it here put the harness's own cost into the next sample: on ext4 without a
        journal (this machine's disk), every new inode skips, one by one, the inodes of its block
        group freed in the last minute (six while their table block is dirty), so the next
        `gen` in the same scratch folder paid for the previous sample's 3,000 deleted inodes
        (perf: most of its CPU in `recently_deleted`; 0.5 s -> 4 s per sample). The scratch
        folder is removed after the run.
        """
        self.fixtures[(tool, count)] = root


def ours_sweep_spec(count: int) -> str:
    """A grid of `count` tasks (4 learning rates x count/4 seeds) in our grid syntax."""
    assert count % 4 == 0
    return f"lr: 0.1 | 0.01 | 0.001 | 0.0001\nseed: 0:{count // 4}\nbatch: 64\n"


def pyruns_sweep_spec(count: int) -> str:
    """The same grid in pyruns' syntax (its integer range is `(start, stop)`)."""
    assert count % 4 == 0
    return f"lr: '0.1 | 0.01 | 0.001 | 0.0001'\nseed: '(0, {count // 4})'\nbatch: 64\n"


def count_task_dirs(tasks_dir: Path) -> int:
    return sum(1 for p in tasks_dir.iterdir() if not p.name.startswith("."))


def runner_status(ctx: Context, root: Path) -> dict:
    return json.loads(run_cmd(ctx.ours.cmd(root, "runner", "status", "--json")))


def stop_our_runner(ctx: Context, root: Path, tasks: bool = True) -> None:
    """Stop the workspace's runner (and, with tasks, its running and queued tasks)."""
    if not (root / "_pyruns_").exists():
        return
    args = ["runner", "stop", *(["--tasks"] if tasks else [])]
    subprocess.run(ctx.ours.cmd(root, *args), env=bench_env(), capture_output=True, timeout=300)


def pyruns_runner_procs(root: Path) -> list[psutil.Process]:
    """pyruns' hidden runner processes working on workspaces under `root`."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = proc.info.get("cmdline") or []
        if "pyruns.cli.detached_runner" in cmdline and str(root) in " ".join(cmdline + [proc.info.get("cwd") or ""]):
            found.append(proc)
    return found


def kill_pyruns_runners(root: Path) -> None:
    """Kill pyruns runners this benchmark started under `root`, and their task process trees."""
    for proc in pyruns_runner_procs(root):
        with contextlib.suppress(psutil.Error):
            tree = [proc, *proc.children(recursive=True)]
            for p in tree:
                with contextlib.suppress(psutil.Error):
                    p.kill()
            psutil.wait_procs(tree, timeout=5)


def tree_rss_mb(proc: psutil.Process, children: bool) -> float:
    """RSS of a process (plus its direct children) in MiB."""
    procs = [proc, *(proc.children() if children else [])]
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


def wait_runner_state(ctx: Context, root: Path, running: int, queued: int, timeout_s: float) -> dict:
    """Poll `runner status --json` until it reports `running` running and `queued` queued tasks."""
    deadline = time.monotonic() + timeout_s
    status: dict = {}
    while time.monotonic() < deadline:
        status = runner_status(ctx, root)
        tasks = status.get("tasks", {})
        if len(tasks.get("running", [])) >= running and len(tasks.get("queued", [])) >= queued:
            return status
        time.sleep(0.2)
    raise BenchError(f"runner never reported {running} running / {queued} queued "
                     f"(last: {len(status.get('tasks', {}).get('running', []))} running, "
                     f"{len(status.get('tasks', {}).get('queued', []))} queued)")
