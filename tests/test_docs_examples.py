"""Every fenced shell example of README.md and docs/*.md marked runnable runs as written.

A block opened with ```` ```bash runnable ```` is run with `bash -euo pipefail` (a
```` ```console runnable ```` block: its `$ ` lines only); the blocks of one document run in
order in one temporary project holding a copy of demo_scripts/, with `pyr-tui` on PATH.
Every block must exit 0. See docs/contributing.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout, list_workspaces
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import DEMO, REPO, environ_without_pyruns
from tests.runner.harness import Project, shut_down

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>\w+)?(?P<info>[^`\n]*)$")
BLOCK_TIMEOUT_S = 300


@dataclass(frozen=True)
class Example:
    """One runnable block: where it starts (1-based line of its fence) and its shell text."""

    doc: Path
    line: int
    script: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


def runnable_examples(doc: Path) -> list[Example]:
    """The blocks of `doc` whose fence says `bash runnable`, `sh runnable` or `console runnable`."""
    examples: list[Example] = []
    lines = doc.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
        body = lines[i + 1 : end]
        if "runnable" in match.group("info").split():
            if match.group("lang") == "console":
                body = [line[2:] for line in body if line.startswith("$ ")]
            examples.append(Example(doc, i + 1, "\n".join(body) + "\n"))
        i = end + 1
    return examples


def test_the_harness_finds_marked_blocks_only(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("```bash\nnot me\n```\n```bash runnable\necho a\n```\n```console runnable\n$ echo b\nb\n```\n")
    assert [(e.line, e.script) for e in runnable_examples(doc)] == [(4, "echo a\n"), (7, "echo b\n")]


def _pyr_tui_on_path(bin_dir: Path) -> None:
    bin_dir.mkdir()
    wrapper = bin_dir / "pyr-tui"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m pyruns_tui "$@"\n')
    wrapper.chmod(0o755)


def _stop_everything(project: Path) -> None:
    root = project / PYRUNS_DIR
    for name in list_workspaces(root) if root.is_dir() else []:
        layout = Layout(root=root, name=name)
        shut_down(Project(project, layout, TaskStore(layout)))


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """An empty project holding a copy of demo_scripts/; its tasks and runners end with the test."""
    project = tmp_path / "project"
    shutil.copytree(DEMO, project / "demo_scripts", ignore=shutil.ignore_patterns("__pycache__"))
    yield project
    _stop_everything(project)


def run_examples(project: Path, examples: list[Example]) -> None:
    """Run each example in `project` in order; fail at the first that does not exit 0."""
    bin_dir = project.parent / "bin"
    if not bin_dir.exists():
        _pyr_tui_on_path(bin_dir)
    env = environ_without_pyruns()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYRUNS_TEST_MARKER"] = str(project)  # the runner harness finds strays by it
    for example in examples:
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", example.script], cwd=project, env=env,
                              capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
        assert proc.returncode == 0, (
            f"{example.where}: the example exited {proc.returncode}\n{example.script}\n"
            f"stdout (end): {proc.stdout[-1500:]}\nstderr (end): {proc.stderr[-1500:]}"
        )


@pytest.mark.parametrize("doc", [d for d in DOCS if runnable_examples(d)], ids=lambda d: d.name)
def test_runnable_examples_exit_zero(doc: Path, project: Path) -> None:
    run_examples(project, runnable_examples(doc))


def test_the_examples_of_export_help_exit_zero(project: Path) -> None:
    from pyruns_tui.cli.commands.export import EPILOG

    lines = EPILOG.split("examples:\n", 1)[1].splitlines()
    commands = [re.split(r"\s{2,}", line.strip())[0] for line in lines if line.strip().startswith("pyr-tui ")]
    assert len(commands) >= 3
    setup = runnable_examples(REPO / "docs" / "export.md")[0]  # two finished demo tasks
    run_examples(project, [setup, *(Example(REPO / "src/pyruns_tui/cli/commands/export.py", 0, c) for c in commands)])
    assert sorted(p.name for p in project.iterdir()) == ["_pyruns_", "demo_scripts", "runs.csv"]
