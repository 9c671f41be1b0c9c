"""`pyr-tui gen` of a spec that sets nothing: one task of the defaults, and the command says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyruns_tui.cli import main
from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout
from pyruns_tui.workspace.store import TaskStore
from tests.cli.helpers import SMALL_SCRIPT, pyr

NOTE = "the spec is empty (sets no parameter): the task gets every default of config_default.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(SMALL_SCRIPT)
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    return tmp_path


@pytest.mark.parametrize(("args", "stdin", "where"), [(("empty.yaml",), None, "empty.yaml"),
                                                      (("-",), "", "<stdin>"),
                                                      (("-",), "# lr: 0.5\n", "<stdin>")])
def test_an_empty_spec_makes_one_task_of_the_defaults_and_says_so(project: Path, args: tuple[str, ...],
                                                                  stdin: str | None, where: str) -> None:
    # an empty file or a closed pipe upstream (`make_spec | pyr-tui gen -`) made a task silently
    (project / "empty.yaml").write_text("")
    done = pyr(project, "gen", *args, "-n", "d", stdin=stdin)
    assert done.code == 0, done.err
    assert done.out == "created 1 task d\n"  # (scripts that rely on it keep working)
    assert done.err == f"pyr-tui: note: {where}: {NOTE}\n"
    config = TaskStore(Layout(root=project / PYRUNS_DIR, name="train")).load_config("d")
    assert config == {"lr": 0.1, "seed": 0, "opt": "adam"}


def test_a_spec_that_sets_something_says_no_note(project: Path) -> None:
    done = pyr(project, "gen", "-", "-n", "s", "--dry-run", stdin="lr: 0.2\n")
    assert (done.code, done.err) == (0, "")
