"""Fixtures of the reliability suite: real projects with real runners, always cleaned up.

`project` (a shell workspace, from the runner tests' harness) and `argparse_project` (a
workspace of a real argparse script) both stop every task and the runner at the end and fail
the test if any process that belongs to the project is still alive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.store import TaskStore
from tests.reliability.harness import ARGPARSE_SCRIPT
from tests.runner.harness import SETTINGS, Project, finish_project, project  # noqa: F401


@pytest.fixture
def argparse_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """`tmp_path/proj` with train.py (argparse: --lr --seed --opt --tag) and its workspace."""
    directory = tmp_path / "proj"
    directory.mkdir()
    (directory / "train.py").write_text(ARGPARSE_SCRIPT)
    layout = init_workspace(directory, directory / "train.py")
    layout.settings_file.write_text(SETTINGS)
    monkeypatch.setenv("PYRUNS_TEST_MARKER", str(directory))
    proj = Project(directory, layout, TaskStore(layout))
    yield proj
    finish_project(proj)
