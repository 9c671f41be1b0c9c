"""`pyr-tui show` says the command line each run was started with, with a real runner: what
the script received, in a form to copy and paste (secrets redacted as in the environment)."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyruns_tui.workspace.store import NewTask
from tests.runner.harness import SETTINGS, Project, finish_project, project, script_project  # noqa: F401 - the fixture

# prints what it received, as JSON
ECHO_SCRIPT = """\
import argparse, json, sys
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--tag", default="")
p.add_argument("--api_key", default="")
p.add_argument("--max_tokens", type=int, default=16)
p.add_argument("--amp", action="store_true")
p.parse_args()
print("ARGV=" + json.dumps(sys.argv))
"""
SECRET = "sk-0123456789abcdefghijklmnop"


@pytest.fixture
def argparse_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    proj = script_project(tmp_path / "proj", monkeypatch, ECHO_SCRIPT)
    yield proj
    finish_project(proj)


def _received(project: Project, name: str) -> list[str]:
    line = next(x for x in project.log(name).decode().splitlines() if x.startswith("ARGV="))
    return json.loads(line[len("ARGV="):])


def _command(out: str) -> list[str]:
    """The argv of the `command:` lines `show` printed, one per run."""
    return [shlex.split(line.split("command: ", 1)[1]) for line in out.splitlines() if line.strip().startswith("command: ")]


def test_show_prints_the_command_line_the_script_received(argparse_project: Project,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    project = argparse_project
    script = str(project.dir / "train.py")
    configs = {"plain": {"lr": 0.01, "epochs": 3, "amp": True, "max_tokens": 2048},
               "quoted": {"lr": 1e-4, "tag": "it's a \"run\" $HOME ;x", "epochs": 5}}
    names = [t.name for t in project.store.create_tasks([NewTask(n, c) for n, c in configs.items()],
                                                        task_kind="argparse", script=script)]
    assert project.cli("run", *names, "--wait") == 0
    for name in names:
        capsys.readouterr()
        assert project.cli("show", name) == 0
        out = capsys.readouterr().out
        (argv,) = _command(out)
        assert argv[1:] == _received(project, name), out  # the copy-pasted line gives the script the same argv
        assert argv[0] == sys.executable  # the runner's interpreter (no `python:` setting)
        assert f"runs:    1  (started in {project.dir})" in out
        assert project.cli("show", name, "--json") == 0
        assert json.loads(capsys.readouterr().out)["runs"][0]["argv"] == argv
    assert "--lr 0.01" in shlex.join(_command_of(project, "plain")) and "--amp" in _command_of(project, "plain")
    assert "--max_tokens 2048" in shlex.join(_command_of(project, "plain"))  # a parameter, not a secret
    assert project.cli("run", "plain", "--wait") == 0  # a rerun: a line for each run
    capsys.readouterr()
    assert project.cli("show", "plain") == 0
    assert len(_command(capsys.readouterr().out)) == 2


def _command_of(project: Project, name: str) -> list[str]:
    argv = project.task(name).last_run.argv
    assert argv is not None
    return argv


def test_a_secret_parameter_is_redacted_in_the_recorded_command(argparse_project: Project,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project = argparse_project
    project.store.create_tasks([NewTask("keyed", {"lr": 0.5, "api_key": SECRET})], task_kind="argparse",
                               script=str(project.dir / "train.py"))
    assert project.cli("run", "keyed", "--wait") == 0
    assert _received(project, "keyed")[-2:] == ["--api_key", SECRET]  # the script got it
    assert SECRET not in project.layout.task_info("keyed").read_text()  # the record (group-readable) has not
    capsys.readouterr()
    assert project.cli("show", "keyed") == 0
    (argv,) = _command(capsys.readouterr().out)
    assert argv[2:] == ["--lr", "0.5", "--api_key", "<redacted>"]


def test_show_prints_the_shell_command_of_a_shell_task(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    line = f"{shlex.quote(sys.executable)} -c 'print(1)' --x 'a b'"
    name = project.add("sh", command=line)
    assert project.cli("run", name, "--wait") == 0
    capsys.readouterr()
    assert project.cli("show", name) == 0
    assert _command(capsys.readouterr().out) == [[os.environ.get("SHELL") or "/bin/sh", "-c", line]]


def test_show_env_prints_the_whole_environment_of_the_last_run(project: Project,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    name = project.add("envy", "print('hi')")
    assert project.cli("show", name, "--env") == 1  # no run yet: one line saying so
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has not run yet" in err, err
    assert project.cli("run", name, "--wait") == 0
    capsys.readouterr()
    assert project.cli("show", name, "--env") == 0
    lines = capsys.readouterr().out.splitlines()
    task_dir = os.path.realpath(project.layout.task_dir(name))
    assert f"PYRUNS_TASK_DIR={task_dir}" in lines and "PYTHONUNBUFFERED=1" in lines
    assert f"PYRUNS_TEST_MARKER={project.dir}" in lines  # inherited from the shell that started the runner
    assert lines == sorted(lines)
    assert project.cli("show", name, "--env", "--json") == 0
    env = json.loads(capsys.readouterr().out)
    assert env["PYRUNS_TASK_DIR"] == task_dir and len(env) == len(lines)


def test_a_value_starting_with_a_prefix_char_of_the_parser_reaches_the_script(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `prefix_chars="-+"` parser: `name: +x` must be passed as `--name=+x` (as a separate item
    argparse reads `+x` as an option and fails: "expected one argument"); the parser's prefix
    characters were dropped on their way to script_info.json, so the launch did not know."""
    proj = script_project(tmp_path / "proj", monkeypatch,
                          "import argparse, json, sys\n"
                          "p = argparse.ArgumentParser(prefix_chars='-+')\n"
                          "p.add_argument('--name', default='a')\n"
                          "p.add_argument('+v', '--verbose', action='store_true')\n"
                          "print('GOT=' + json.dumps(vars(p.parse_args())))\n")
    try:
        proj.store.create_tasks([NewTask("plus", {"name": "+x", "verbose": True})], task_kind="argparse",
                                script=str(proj.dir / "train.py"))
        assert proj.cli("run", "plus", "--wait") == 0
        assert proj.task("plus").status.value == "completed", proj.log("plus")
        line = next(x for x in proj.log("plus").decode().splitlines() if x.startswith("GOT="))
        assert json.loads(line[len("GOT="):]) == {"name": "+x", "verbose": True}
    finally:
        finish_project(proj)


def test_show_and_the_detail_pane_name_a_slurm_runs_job_and_node(project: Project,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # `show` printed `pid 31160 ... gpus 0` for a Slurm run, a pid on a node it did not name and no
    # job id to give `sacct`/`scontrol`; the Manager's detail pane named the node only
    from rich.console import Console

    from pyruns_tui.tui.widgets.manager.detail_pane import detail_renderable
    from pyruns_tui.workspace.model import Run, Status

    name = project.add("on_slurm", "print(1)")

    def ran(task) -> None:  # type: ignore[no-untyped-def]
        task.runs.append(Run(index=1, status=Status.COMPLETED, pid=31160, exit_code=0, host="node12",
                             backend="slurm", slurm_job_id="174_0", node="node12", restarts=0))
        task.status = Status.COMPLETED

    project.store.update(name, ran)
    assert project.cli("show", name) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("run1:")]
    assert "pid 31160" in line and line.endswith("gpus -  Slurm job 174_0 on node12"), line
    console = Console(width=100, record=True)
    console.print(detail_renderable(project.task(name), "Config", ""))
    assert "pid 31160 · Slurm job 174_0 on node12" in console.export_text()
