"""Task keys in `gen` specs: `after:` (every created task waits for the named tasks: the rule of
`run --after`, the same one-line refusals) and `gpu_mem_mb:` (as `run --gpu-mem`), with a real
runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pyruns_tui.runner import control
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, until


def spec_file(project: Project, text: str) -> str:
    path = project.dir / "spec.yaml"
    path.write_text(text)
    return str(path)


def test_gen_after_makes_every_created_task_wait(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, release = project.gate("first")
    first = project.add("first", code)
    control.queue(project.store, [first])
    spec = spec_file(project, f"command: {sys.executable} -c 'print({{x}})'\nparams:\n  x: 1 | 2\nafter: first\n")
    capsys.readouterr()
    assert project.cli("gen", spec, "-n", "then", "--run", "--json") == 0
    names = json.loads(capsys.readouterr().out)["tasks"]
    assert len(names) == 2 and all(project.task(n).after == ["first"] for n in names)
    until(lambda: all(project.task(n).reason == "waiting for first" for n in names), what="the waiting reason")
    assert all(project.task(n).status is Status.QUEUED for n in names)
    release()
    tasks = project.wait(first, *names)
    assert all(t.status is Status.COMPLETED for t in tasks.values())
    assert [project.log(n).strip() for n in names] == [b"1", b"2"]


@pytest.mark.parametrize(("after", "error"), [
    ("nope", "pyr-tui: error: after 'nope': no such task in this workspace (see `pyr-tui ls`)"),
    ("[first, 3]", "pyr-tui: error: after: expected a task name or a list of task names, got ['first', 3]"),
])
def test_gen_refuses_a_bad_after_with_one_line_and_writes_nothing(
        project: Project, capsys: pytest.CaptureFixture[str], after: str, error: str) -> None:
    project.add("first", "pass")
    spec = spec_file(project, f"command: echo {{x}}\nparams:\n  x: 1 | 2\nafter: {after}\n")
    capsys.readouterr()
    for dry in ((), ("--dry-run",)):
        assert project.cli("gen", spec, *dry) == 1
        assert capsys.readouterr().err.strip().splitlines() == [error]
    assert [t.name for t in project.store.scan()] == ["first"]


def test_gen_gpu_mem_mb_is_set_on_every_created_task(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    spec = spec_file(project, "command: echo {x}\nparams:\n  x: 1 | 2\ngpu_mem_mb: 12000\n")
    capsys.readouterr()
    assert project.cli("gen", spec, "--json") == 0
    names = json.loads(capsys.readouterr().out)["tasks"]
    assert [project.task(n).gpu_mem_mb for n in names] == [12000, 12000]
    bad = spec_file(project, "command: echo {x}\nparams:\n  x: 1\ngpu_mem_mb: lots\n")
    assert project.cli("gen", bad) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "pyr-tui: error: gpu_mem_mb: expected a whole number of MB (0 or more), got 'lots'"]


def test_a_script_parameter_named_like_a_task_key_stays_a_parameter(tmp_path: Path) -> None:
    from pyruns_tui.workspace.batch import TaskKeys, split_task_keys
    from pyruns_tui.workspace.bootstrap import ScriptInfo, write_script_info
    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.store import TaskStore

    layout = Layout(root=tmp_path / "_pyruns_", name="train")
    layout.tasks_dir.mkdir(parents=True)
    write_script_info(layout, ScriptInfo(script=str(tmp_path / "train.py"), kind="plain"))
    store = TaskStore(layout)
    assert split_task_keys(store, {"lr": 0.1, "after": ["a", "b"], "gpu_mem_mb": 8}) == (
        {"lr": 0.1}, TaskKeys(("a", "b"), 8))
    layout.config_default.write_text("lr: 0.1\nafter: 5\n")
    assert split_task_keys(store, {"lr": 0.1, "after": 7, "gpu_mem_mb": 0}) == ({"lr": 0.1, "after": 7}, TaskKeys())
