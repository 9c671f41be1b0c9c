"""A real project with a shell workspace and a real runner, for runner and CLI tests.

Tasks are tiny `python -c` programs. The `project` fixture stops every task and the runner at
the end and fails the test if any process that belongs to it is still alive.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from pyruns_tui.cli import main as cli_main
from pyruns_tui.runner import client, control
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.bootstrap import init_shell_workspace, init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.waiting import gate_code, wait_until

until = wait_until  # the name the runner tests wait with

SETTINGS = """\
max_concurrency: 4
stop_grace_s: 1
runner_idle_exit_s: 20
"""


def py(code: str) -> str:
    """A shell command line running `code` with this interpreter.

    `exec` makes the interpreter the task's process whatever the shell: bash execs a lone
    command itself, dash (/bin/sh on Debian, used when SHELL is unset) does not, and a signal
    that kills a shell's child reaches the runner only as the shell's exit code 128+N.
    """
    return f"exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` as a neutral user (no config of ours read); its output."""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


@dataclass
class SlowGit:
    """Two script folders, `slow` (a git repository at `head`) and `quick` (none), and a `git` on
    PATH that hangs on `slow` until `gate` exists (a large repository on a network filesystem);
    it writes its pid to `asked` when it starts hanging."""

    slow: Path
    quick: Path
    head: str
    gate: Path
    asked: Path


def slow_git(directory: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> SlowGit:
    """Set up `SlowGit` with the folders in `directory` and the gate and shim in `scratch`."""
    real_git = shutil.which("git")
    if real_git is None:
        pytest.skip("git is not installed")
    slow, quick = directory / "slow", directory / "quick"
    for folder in (slow, quick):
        folder.mkdir()
        (folder / "main.py").write_text(f"print('ran in {folder.name}')\n")
    for args in (["init", "-q"], ["add", "main.py"], ["commit", "-q", "-m", "one"]):
        git(slow, *args)
    head = git(slow, "rev-parse", "HEAD").strip()
    gate, asked, shim = scratch / "git-may-answer", scratch / "git-asked", scratch / "bin"
    shim.mkdir()
    q = shlex.quote
    (shim / "git").write_text(
        "#!/bin/sh\n"
        f'if [ "$2" = {q(str(slow))} ]; then\n'
        f"  echo $$ > {q(str(asked))}.tmp && mv {q(str(asked))}.tmp {q(str(asked))}\n"
        f"  i=0; while [ ! -e {q(str(gate))} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\n"
        "fi\n"
        f'exec {q(real_git)} "$@"\n')
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    return SlowGit(slow, quick, head, gate, asked)


@dataclass
class Project:
    """A project dir with the `_shell_` workspace; tasks are shell command lines."""

    dir: Path
    layout: Layout
    store: TaskStore

    def add(self, name: str, code: str | None = None, *, command: str | None = None, gpus: int | None = None) -> str:
        """Create a task running python `code` (or a shell `command`); returns its name."""
        line = command if command is not None else py(code or "pass")
        task = self.store.create_tasks([NewTask(name, {}, command=line)], task_kind="shell", script=None)[0]
        if gpus is not None:
            self.store.update(task.name, lambda t: setattr(t, "gpus", gpus))
        return task.name

    def gate(self, name: str) -> tuple[str, Callable[[], None]]:
        """Python code that blocks until `release()` is called (see `gate_code`)."""
        path = self.dir / f"gate-{name}"
        code = gate_code(path)
        return code, lambda: path.touch()

    def task(self, name: str) -> Task:
        return self.store.get(name)

    def log(self, name: str, index: int = 1) -> bytes:
        """The run's log (empty while it does not exist yet)."""
        path = self.layout.run_log(name, index)
        return path.read_bytes() if path.exists() else b""

    def explain(self, name: str) -> str:
        """What a failed assertion about task `name` should show: its record, last log, runner log."""
        task = self.task(name)
        runs = [(r.index, r.status.value, r.reason, r.exit_code, r.signal, r.error) for r in task.runs]
        runner_log = self.layout.runner_dir / "runner.log"
        tail = runner_log.read_text(errors="replace")[-2000:] if runner_log.exists() else "(none)"
        return (f"{name}: {task.status.value} ({task.reason}); runs {runs}; "
                f"log {self.log(name, len(task.runs) or 1)!r}; runner.log ends: {tail}")

    def wait(self, *names: str, timeout: float = 60) -> dict[str, Task]:
        return control.wait(self.store, list(names), timeout_s=timeout)

    def cli(self, *args: str) -> int:
        """Run `pyr-tui -C DIR ARGS` in this process; returns the exit code."""
        return cli_main(["-C", str(self.dir), *args])

    @property
    def runner_paths(self) -> RunnerPaths:
        return RunnerPaths.of(self.layout)

    def runner_pid(self) -> int:
        info = client.runner_info(self.layout)
        assert info is not None and info.pid, "no runner is running"
        return info.pid


def _belongs(proc: psutil.Process, marker: str) -> bool:
    with contextlib.suppress(psutil.Error, OSError):
        if any(marker in part for part in proc.cmdline()):
            return True
        env = proc.environ()
        return any(marker in env.get(key, "") for key in ("PYRUNS_TASK_DIR", "PYRUNS_TEST_MARKER"))
    return False


def strays(marker: str) -> list[psutil.Process]:
    """Live processes (not zombies) started for the project under `marker`."""
    me = os.getpid()
    found = []
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.status() != psutil.STATUS_ZOMBIE and _belongs(proc, marker):
                found.append(proc)
    return found


def shut_down(project: Project) -> None:
    """Stop every task and the runner; kill and report anything left."""
    with contextlib.suppress(Exception):
        if any(t.status.is_active for t in project.store.scan()):
            outcome = control.stop_all(project.store)
            control.wait(project.store, outcome.stopping, timeout_s=30)
    with contextlib.suppress(Exception):
        client.stop_runner(project.layout)


def shell_project(directory: Path, monkeypatch: pytest.MonkeyPatch, settings: str = SETTINGS) -> Project:
    """A shell workspace made in the new folder `directory`; its processes carry the stray marker."""
    directory.mkdir()
    layout = init_shell_workspace(directory)
    layout.settings_file.write_text(settings)
    monkeypatch.setenv("PYRUNS_TEST_MARKER", str(directory))
    return Project(directory, layout, TaskStore(layout))


def script_project(directory: Path, monkeypatch: pytest.MonkeyPatch, script: str, settings: str = SETTINGS) -> Project:
    """An argparse (or any script) workspace made in the new folder `directory` for `train.py`
    holding `script`; its processes carry the stray marker."""
    directory.mkdir()
    (directory / "train.py").write_text(script)
    layout = init_workspace(directory, directory / "train.py")
    layout.settings_file.write_text(settings)
    monkeypatch.setenv("PYRUNS_TEST_MARKER", str(directory))
    return Project(directory, layout, TaskStore(layout))


def finish_project(proj: Project) -> None:
    """Stop everything of `proj`; kill and report any process left behind."""
    shut_down(proj)
    deadline = time.monotonic() + 5  # a runner that just released its lock is still exiting
    while (left := strays(str(proj.dir))) and time.monotonic() < deadline:
        time.sleep(0.05)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGKILL)
    assert not left, f"processes left running: {[(p.pid, p.cmdline()) for p in left]}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    proj = shell_project(tmp_path / "proj", monkeypatch)
    yield proj
    finish_project(proj)
