"""Fixtures of the real-terminal tests: a project with the demo workspace and a tmux terminal."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.conftest import DEMO, require_backend
from tests.e2e.terminal import PYR_TUI, TMUX, Terminal


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder holding a copy of the demo script (the workspace is made by `pyr-tui`)."""
    (tmp_path / "train.py").write_text((DEMO / "train.py").read_text())
    return tmp_path


@pytest.fixture
def terminal(project: Path) -> Iterator[Callable[..., Terminal]]:
    """`terminal(*args, size=(80, 24), colors="truecolor")`: `pyr-tui *args` in a fresh tmux window."""
    require_backend("tmux", TMUX is not None, "the real-terminal tests drive pyr-tui inside tmux")
    opened: list[Terminal] = []

    def start(*args: str, size: tuple[int, int] = (80, 24), colors: str = "truecolor") -> Terminal:
        socket = f"pyrtest-{os.getpid()}-{len(opened)}-{project.name}"
        term = Terminal(socket, [PYR_TUI, *args], project, size=size, colors=colors)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()


@pytest.fixture
def demo_tasks(project: Path) -> TaskStore:
    """The demo workspace of `project` with three pending tasks `t1`..`t3` (lr 0.1, 0.01, 0.001)."""
    layout = init_workspace(project, project / "train.py")
    store = TaskStore(layout)
    store.create_tasks([NewTask(f"t{i}", {"lr": lr}) for i, lr in enumerate((0.1, 0.01, 0.001), 1)],
                       task_kind="argparse", script=str(project / "train.py"))
    return store
