"""`pyr-tui ls NAME` in a project with several workspaces finds the workspace that has the task
NAME, as `show NAME` and `run NAME` do (workspace/named.py through `Context`); a query naming no
task still needs -w, and a name two workspaces have is one error line naming both."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import pyr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for script in ("train.py", "other.py"):
        (tmp_path / script).write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
        (tmp_path / script.replace(".py", ".yaml")).write_text("lr: 0.1\n")
        assert main(["-C", str(tmp_path), "init", script]) == 0
    for workspace, name in (("train", "Mine"), ("other", "theirs"), ("train", "both"), ("other", "both")):
        assert pyr(tmp_path, "-w", workspace, "gen", "-", "-n", name, stdin="lr: 0.2\n").code == 0
    return tmp_path


def test_ls_of_a_task_name_finds_its_workspace(project: Path) -> None:
    for name in ("Mine", "theirs"):
        listed = pyr(project, "ls", "--names", name)
        assert (listed.code, listed.out, listed.err) == (0, f"{name}\n", ""), name
    assert [t["name"] for t in pyr(project, "ls", "--json", "theirs", "status:pending").json()] == ["theirs"]


def test_ls_of_a_name_in_two_workspaces_names_both(project: Path) -> None:
    both = pyr(project, "ls", "both")
    assert both.code == 1 and both.out == "" and both.err.count("\n") == 1
    assert "workspaces other, train" in both.err and "'both'" in both.err and "-w NAME" in both.err


def test_ls_of_what_names_no_task_still_needs_w(project: Path) -> None:
    for query in (("lr:0.2",), ("nosuch",), ()):
        listed = pyr(project, "ls", *query)
        assert listed.code == 1 and "several workspaces" in listed.err and "-w NAME" in listed.err, query
    assert pyr(project, "-w", "other", "ls", "--names", "Mine").out == ""  # -w decides, as before


def test_export_of_a_task_name_finds_its_workspace_as_ls_does(project: Path) -> None:
    exported = pyr(project, "export", "--json", "theirs")
    assert exported.code == 0, exported.err
    assert [row["name"] for row in exported.json()] == ["theirs"]
    both = pyr(project, "export", "both")
    assert both.code == 1 and both.out == "" and "workspaces other, train" in both.err
    assert "several workspaces" in pyr(project, "export", "lr:0.2").err  # a query naming no task: -w


def test_w_after_the_command_chooses_the_workspace_as_before_it(project: Path) -> None:
    """Where a user types it after "choose one with -w NAME": `ls lr:0.2 -w other` took `-w other`
    for two more search terms (and said "several workspaces" again); `runner status -w train` and
    `serve -w train` were refused. Not given after it, the -w before it holds."""
    for argv in (("ls", "--names", "lr:0.2", "-w", "other"), ("ls", "-w", "other", "--names"),
                 ("ls", "--names", "--workspace=other")):
        listed = pyr(project, *argv)
        assert (listed.code, listed.out, listed.err) == (0, "theirs\nboth\n", ""), argv
    assert pyr(project, "-w", "other", "ls", "--names").out == "theirs\nboth\n"
    assert pyr(project, "-w", "train", "ls", "--names", "-w", "other").out == "theirs\nboth\n"  # the last one given
    status = pyr(project, "runner", "status", "-w", "train")
    assert status.code == 0 and status.out.startswith("runner: not running"), status.err
    debug = pyr(project, "show", "nosuch", "-w", "train", "--debug")
    assert debug.code != 0 and "Traceback" in debug.err
