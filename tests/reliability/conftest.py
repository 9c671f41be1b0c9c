"""Fixtures of the reliability suite: real projects with real runners, always cleaned up.

`project` (a shell workspace, from the runner tests' harness) and `argparse_project` (a
workspace of a real argparse script) both stop every task and the runner at the end and fail
the test if any process that belongs to the project is still alive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import ARGPARSE_SCRIPT
from tests.runner.harness import SETTINGS, Project, finish_project, project, script_project  # noqa: F401


@pytest.fixture
def argparse_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """`tmp_path/proj` with train.py (argparse: --lr --seed --opt --tag) and its workspace."""
    proj = script_project(tmp_path / "proj", monkeypatch, ARGPARSE_SCRIPT)
    yield proj
    finish_project(proj)
