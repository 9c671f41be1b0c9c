"""`gen` refuses tasks whose values the script's argparse refuses together (a mutually exclusive
group), before writing anything; the launch of a config edited by hand names the conflict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyruns_tui.workspace.batch import exclusive_check, exclusive_conflict, exclusive_conflicts
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.cli.helpers import pyr, spec_file
from tests.runner.harness import Project, finish_project, shell_project

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
precision = p.add_mutually_exclusive_group()
precision.add_argument("--fp16", action="store_true")
precision.add_argument("--bf16", action="store_true")
print(vars(p.parse_args()))
"""
CONFLICT = "fp16: true and bf16: true cannot both be set (--fp16 and --bf16 are mutually exclusive in train.py); change one"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(SCRIPT)
    assert pyr(tmp_path, "init", "train.py").code == 0
    return tmp_path


def tasks(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "_pyruns_" / "train" / "tasks").iterdir())


def test_gen_refuses_two_flags_of_one_exclusive_group_and_writes_nothing(project: Path) -> None:
    result = pyr(project, "gen", "-", "-n", "both", stdin="fp16: true\nbf16: true\n")
    assert result.code == 1 and result.out == ""
    assert result.err == f"pyr-tui: error: {CONFLICT}\n"
    assert tasks(project) == []
    result = pyr(project, "gen", "-", "-n", "ok", "--json", stdin="fp16: true | false\nlr: 0.1 | 0.2\n")
    assert result.code == 0, result.err  # one of the two is what argparse accepts
    assert json.loads(result.out)["tasks"] == [f"ok_{i}-of-4" for i in range(1, 5)]


@pytest.mark.parametrize("extra", [(), ("--dry-run",), ("--run",)])
def test_gen_of_a_grid_names_the_first_conflicting_task_and_how_many(project: Path, extra: tuple[str, ...]) -> None:
    spec = "lr: 0.1 | 0.2\nfp16: false | true\nbf16: true\n"
    result = pyr(project, "gen", "-", "-n", "g", *extra, stdin=spec)
    assert result.code == 1 and result.out == ""
    assert result.err == f"pyr-tui: error: task 2 of 4 (g_2-of-4): {CONFLICT} (conflicting: 2 of 4 tasks)\n"
    assert tasks(project) == []
    assert not (project / "_pyruns_" / "train" / ".runner").exists()  # `--run` started no runner


def test_exclusive_conflict_is_the_line_create_refuses_with_and_the_preview_shows(project: Path) -> None:
    """The one check both faces ask (gen/Create raise it, the Generator's preview shows it):
    asked per config it tells `fp16: 1` (not passed as --fp16) from `fp16: true`."""
    check = exclusive_check(Layout(root=project / "_pyruns_", name="train"))
    assert check is not None
    configs = [{"fp16": 1, "bf16": True}, {"fp16": True, "bf16": True}, {"fp16": 1, "bf16": True},
               {"fp16": True, "bf16": True}, {"fp16": False, "bf16": True}]
    assert exclusive_conflict(check, configs) == f"task 2 of 5: {CONFLICT} (conflicting: 2 of 5 tasks)"
    assert exclusive_conflict(check, configs, list("abcde")) == f"task 2 of 5 (b): {CONFLICT} (conflicting: 2 of 5 tasks)"
    assert exclusive_conflict(check, configs[3:4]) == CONFLICT
    assert exclusive_conflict(check, configs[:1] + configs[4:]) is None
    assert exclusive_conflict(check, []) is None


def test_a_config_edited_by_hand_fails_at_launch_naming_the_conflict(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shell = shell_project(tmp_path / "proj", monkeypatch)  # its processes carry the stray marker
    (shell.dir / "train.py").write_text(SCRIPT)
    layout = init_workspace(shell.dir, shell.dir / "train.py")
    train = Project(shell.dir, layout, TaskStore(layout))  # a real runner, stopped at the end
    try:
        assert shell.cli("-w", "train", "gen", str(spec_file(shell.dir, "fp16: true\n")), "-n", "edited") == 0
        config = shell.dir / "_pyruns_" / "train" / "tasks" / "edited" / "config.yaml"
        config.write_text(config.read_text().replace("bf16: false", "bf16: true"))
        capsys.readouterr()
        assert shell.cli("-w", "train", "run", "edited", "--wait") == 1
        assert f"edited: failed (config.yaml: {CONFLICT})" in capsys.readouterr().out
    finally:
        finish_project(train)


TWO_GROUPS = SCRIPT.replace("print(", """mode = p.add_mutually_exclusive_group(required=True)
mode.add_argument("--train", action="store_true")
mode.add_argument("--evaluate", action="store_true")
print(""")
NONE = ("none of train, evaluate is set, and train.py requires one of --train or --evaluate "
        "(a required mutually exclusive group); set one")


def test_gen_names_the_problem_of_every_exclusive_group_in_one_line(tmp_path: Path) -> None:
    # it named the first group's problem only: fixing it, the user met the next
    (tmp_path / "train.py").write_text(TWO_GROUPS)
    assert pyr(tmp_path, "init", "train.py").code == 0
    result = pyr(tmp_path, "gen", "-", "-n", "g", stdin="fp16: true\nbf16: true\n")
    assert result.code == 1 and result.err == f"pyr-tui: error: {CONFLICT}; also {NONE}\n"
    result = pyr(tmp_path, "gen", "-", "-n", "g", stdin="lr: 0.1 | 0.2\nfp16: false | true\nbf16: true\n")
    assert result.code == 1
    assert result.err == (f"pyr-tui: error: task 2 of 4 (g_2-of-4): {CONFLICT} (conflicting: 2 of 4 tasks); "
                          f"also task 1 of 4 (g_1-of-4): {NONE} (conflicting: 4 of 4 tasks)\n")
    check = exclusive_check(Layout(root=tmp_path / "_pyruns_", name="train"))
    assert check is not None
    configs = [{"fp16": True, "bf16": True, "train": True}, {"fp16": False, "bf16": True}]
    assert exclusive_conflicts(check, configs) == (f"task 1 of 2: {CONFLICT} (conflicting: 1 of 2 tasks)",
                                                   f"task 2 of 2: {NONE} (conflicting: 1 of 2 tasks)")
    assert exclusive_conflicts(check, configs[1:]) == (NONE,)
    assert not list(tmp_path.glob("_pyruns_/train/tasks/g*"))


ORDERED = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--tags", nargs="*", default=[])
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("opts", nargs=argparse.REMAINDER)
print(vars(p.parse_args()))
"""
UNENDED = ("key 'tags' (--tags, which is a list that ends only at the next flag) cannot be passed before the items "
           "of 'opts': argparse would read the items of 'opts' as part of it; give 'tags' one item, or set an "
           "option that takes one value too")


def test_gen_refuses_values_no_command_line_passes_and_writes_nothing(tmp_path: Path) -> None:
    """detectron2-like: a list option then a REMAINDER positional. `tags: [a, b]` with nothing after the
    list to end it would launch `--tags a b X` (tags a, b, X; opts empty): `gen` refuses it before
    writing, naming the task; a grid where another option ends the list, or one item, passes."""
    (tmp_path / "train.py").write_text(ORDERED)
    assert pyr(tmp_path, "init", "train.py").code == 0
    result = pyr(tmp_path, "gen", "-", "-n", "g", stdin="tags: [a, b]\nlr: 0.1 | 0.2\nopts: [X]\n")
    assert result.code == 1 and result.out == ""
    assert result.err == f"pyr-tui: error: task 1 of 2 (g_1-of-2): {UNENDED} (conflicting: 1 of 2 tasks)\n"
    assert not list(tmp_path.glob("_pyruns_/train/tasks/g*"))
    result = pyr(tmp_path, "gen", "-", "-n", "ok", "--json", stdin="tags: '[a, b] | [a]'\nlr: 0.2\nopts: [X]\n")
    assert result.code == 0, result.err
    assert json.loads(result.out)["tasks"] == ["ok_1-of-2", "ok_2-of-2"]
