"""An SSH drop with the TUI open: the terminal (a tmux server) is killed while tasks run and wait.

The TUI is started in a real pty by a private tmux server, queues six tasks itself (Manager:
select all, run) with two allowed at once, and the tmux server is then killed, which hangs up
the TUI's terminal (SIGHUP). Every task must still complete, `ls --json` must show it, the logs
must be whole, and a reopened TUI must show the final state.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator

import psutil
import pytest

from pyruns_tui.runner import client
from pyruns_tui.runner.breaker import Pause, write_pause
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.model import Status
from tests.reliability.harness import pyr, wait_until
from tests.runner.harness import Project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    """A private tmux server (its own socket) running one command in a 100x30 window."""

    def __init__(self) -> None:
        self.socket = f"pyruns-rel-{uuid.uuid4().hex[:12]}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        return done.stdout

    def start(self, command: list[str]) -> int:
        """Start `command` in a new session; returns the pid of the process in the pane."""
        self("new-session", "-d", "-x", "100", "-y", "30", "-s", "pyr", shlex.join(command))
        return int(self("list-panes", "-t", "pyr", "-F", "#{pane_pid}").strip())

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "pyr")

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "pyr", *keys)

    def kill_server(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux()
    yield server
    server.kill_server()


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_killing_the_terminal_of_the_tui_leaves_every_task_to_complete(project: Project, tmux: Tmux) -> None:
    project.layout.settings_file.write_text(project.layout.settings_file.read_text().replace(
        "max_concurrency: 4", "max_concurrency: 2"))
    gates = [project.gate(f"h{i}") for i in range(6)]
    names = [project.add(f"h{i}", "print('start', flush=True)\n" + code + "print('end')\n")
             for i, (code, _) in enumerate(gates)]
    tui = [sys.executable, "-m", "pyruns_tui", "-C", str(project.dir), "-w", "_shell_"]
    pane = tmux.start(tui)  # opens on the Manager: the workspace has tasks
    wait_until(lambda: all(n in tmux.screen() for n in names), 20, "the Manager to list the tasks")
    tmux.keys("a")
    tmux.keys("r")
    wait_until(lambda: sum(project.task(n).status is Status.RUNNING for n in names) == 2, 30, "two tasks running")
    assert sum(project.task(n).status is Status.QUEUED for n in names) == 4
    runner = client.runner_info(project.layout)
    assert runner is not None and runner.pid

    tmux.kill_server()  # the SSH link drops: the pty closes and the TUI gets SIGHUP
    wait_until(lambda: gone(pane), 20, "the TUI to exit on hang-up")
    assert client.runner_alive(project.layout), "the runner died with the terminal"

    for _, release in gates:
        release()
    wait_until(lambda: all(project.task(n).status.is_finished for n in names), 60, "every task to finish")

    listed = pyr(project.dir, "ls", "--json", home=project.dir.parent / "home")
    assert listed.code == 0, listed.err
    assert {t["name"]: t["status"] for t in listed.json()} == {n: "completed" for n in names}
    assert all(project.log(n) == b"start\nend\n" for n in names)
    assert (client.runner_info(project.layout) or runner).pid == runner.pid, "the runner was replaced"

    reopened = Tmux()
    try:
        reopened.start(tui)
        wait_until(lambda: all(n in reopened.screen() for n in names), 30, "the reopened TUI to list the tasks")
        rows = {n: line for line in reopened.screen().splitlines() for n in names if f" {n} " in line}
        assert all("completed" in rows[n] for n in names), rows
    finally:
        reopened.kill_server()


def test_a_hang_up_during_create_and_run_creates_and_queues_the_whole_batch(argparse_project: Project,
                                                                           tmux: Tmux) -> None:
    """An SSH drop just after ctrl+r: the TUI exits once the batch is created and queued. The
    default SIGHUP ended it between two renames: 108 of 200 tasks in, `pending`, the rest lost."""
    proj = argparse_project
    paths = RunnerPaths.of(proj.layout)
    paths.dir.mkdir(parents=True, exist_ok=True)
    write_pause(paths.pause, Pause("held by the test", (), 60.0))  # queued tasks stay queued
    count = 2000
    spec = proj.dir.parent / "spec.yaml"
    spec.write_text("seed: " + " | ".join(str(i) for i in range(count)) + "\n")
    pane = tmux.start([sys.executable, "-m", "pyruns_tui", "-C", str(proj.dir), "train.py", str(spec)])
    wait_until(lambda: f"{count} tasks" in tmux.screen(), 30, "the Generator to preview the batch")
    tmux.keys("C-r")
    wait_until(lambda: f"creating {count} tasks" in tmux.screen(), 30, "the Generator to start creating")
    tmux.kill_server()  # the SSH link drops mid-batch: the TUI gets SIGHUP
    wait_until(lambda: gone(pane), 60, "the TUI to exit on hang-up")

    tasks = proj.store.scan()
    assert len(tasks) == count, f"{len(tasks)} of {count} tasks created"
    assert {t.status for t in tasks} == {Status.QUEUED}
    assert [e for e in os.listdir(proj.layout.tasks_dir) if e.startswith(".")] == []
