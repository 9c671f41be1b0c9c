"""`stop --all` and `wait --all` without -w in a project with several workspaces: they act in each
workspace and say, a line each, what they did there (`NAME: ...`).

Both refused before ("has several workspaces (...); choose one with -w NAME"), so stopping or
waiting for everything of a project took one command per workspace."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.runner.harness import Project, project, until  # noqa: F401 - the fixture


@pytest.fixture
def two(project: Project) -> Iterator[tuple[Project, Project]]:
    """The project's `_shell_` workspace and a second one, `train`, whose runner is stopped at the end."""
    (project.dir / "train.py").write_text("print('train')\n")
    assert project.cli("init", "train.py") == 0
    layout = Layout(root=project.layout.root, name="train")
    train = Project(project.dir, layout, TaskStore(layout))
    try:
        yield project, train
    finally:
        project.cli("runner", "stop", "--tasks")  # every workspace's tasks and runner


def running(*projects_and_names: tuple[Project, list[str]]) -> None:
    for proj, names in projects_and_names:
        for name in names:
            until(lambda: proj.store.get(name).status.value == "running", what=f"{name} running")  # noqa: B023


def test_stop_all_stops_every_workspace_s_tasks_a_line_each(two: tuple[Project, Project],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    shell, train = two
    code, _ = shell.gate("never")
    here = [shell.add(name, code) for name in ("a", "b")]
    there = [train.add("c", code)]
    assert shell.cli("run", *here) == 0 and shell.cli("-w", "train", "run", *there) == 0
    running((shell, here), (train, there))
    capsys.readouterr()
    assert shell.cli("stop", "--all") == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["_shell_: a: interrupted (stopped by user)",
                                "_shell_: b: interrupted (stopped by user)",
                                "train: c: interrupted (stopped by user)"], (out, err)
    assert shell.cli("stop", "--all") == 0
    assert capsys.readouterr().out.splitlines() == ["_shell_: no task is queued or running",
                                                    "train: no task is queued or running"]


def test_wait_all_waits_in_every_workspace_and_fails_if_any_task_did(two: tuple[Project, Project],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    shell, train = two
    code, release = shell.gate("g")
    here = [shell.add("ok", code), shell.add("bad", code + "raise SystemExit(4)\n")]
    there = [train.add("fine", code)]
    assert shell.cli("run", *here) == 0 and shell.cli("-w", "train", "run", *there) == 0
    running((shell, here), (train, there))
    # its own process: it takes what every workspace has active, then waits in the first one
    # (`_shell_`, where it registers as a waiter); only then are the tasks let go
    waiting = subprocess.Popen([sys.executable, "-m", "pyruns_tui", "-C", str(shell.dir), "wait", "--all"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiters = shell.runner_paths.waiters_dir
    until(lambda: waiting.poll() is not None or (waiters.is_dir() and any(waiters.iterdir())), timeout=30,
          what="wait --all waiting")
    assert waiting.poll() is None, waiting.communicate()
    release()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 1, (out, err)
    assert out.splitlines() == ["_shell_: bad: failed (exit code 4)", "_shell_: 1 of 2 tasks completed",
                                "train: 1 of 1 task completed"], (out, err)
    capsys.readouterr()
    assert shell.cli("wait", "--all") == 0
    assert capsys.readouterr().out.splitlines() == ["_shell_: no task is queued or running",
                                                    "train: no task is queued or running"]
    assert shell.cli("-w", "train", "wait", "--all") == 0  # one workspace: its lines as before, unlabelled
    assert capsys.readouterr().out == "no task is queued or running\n"

