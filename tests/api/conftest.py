"""Fixtures for the script-side API: a task folder, the task environment, real scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyruns_tui.script import api


@pytest.fixture
def task_dir(tmp_path: Path) -> Path:
    """An empty task folder, as the runner creates it."""
    folder = tmp_path / "_pyruns_" / "train" / "tasks" / "t1"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def in_task(task_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test process behaves as a script running inside the task at `task_dir`."""
    monkeypatch.setenv("PYRUNS_TASK_DIR", str(task_dir))
    api._reset_for_tests()
    yield task_dir
    api._reset_for_tests()


@pytest.fixture(autouse=True)
def _fresh_api_state() -> Iterator[None]:
    api._reset_for_tests()
    yield
    api._reset_for_tests()


def task_env(task_dir: Path | None, config: Path | None = None) -> dict[str, str]:
    """The environment of a script started by the runner for `task_dir` (None: no task)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYRUNS_TASK_DIR", "__PYRUNS_CONFIG__")}
    if task_dir is not None:
        env["PYRUNS_TASK_DIR"] = str(task_dir)
    if config is not None:
        env["__PYRUNS_CONFIG__"] = str(config)
    return env


def write_script(folder: Path, source: str, name: str = "script.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def run_script(
    script: Path,
    env: dict[str, str],
    *args: str,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        cwd=cwd or script.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def metric_rows(task_dir: Path) -> list[dict]:
    """Every line of metrics.jsonl parsed strictly (a torn or non-JSON line fails the test)."""
    text = (task_dir / "metrics.jsonl").read_text()
    assert text == "" or text.endswith("\n"), "metrics.jsonl ends inside a line"

    def no_constants(name: str) -> None:
        raise AssertionError(f"non-strict JSON constant {name} in metrics.jsonl")

    return [json.loads(line, parse_constant=no_constants) for line in text.splitlines()]
