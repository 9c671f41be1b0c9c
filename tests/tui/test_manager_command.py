"""Pilot: the Manager's detail pane says the command line a run was started with (a real runner's
run), near the top, wrapped only between arguments (a flag stays with its value), and of its
environment what pyr-tui and the settings set, the rest counted."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyruns_tui.runner import control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import NewTask
from tests.runner.harness import SETTINGS, Project, finish_project, script_project
from tests.tui.manager_helpers import settle, wait_for

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--tag", default="")
for key in "abcde":
    p.add_argument("--" + key, default="")
print(p.parse_args())
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    proj = script_project(tmp_path / "proj", monkeypatch, SCRIPT, SETTINGS + "env:\n  MY_SETTING: 'on'\n")
    yield proj
    finish_project(proj)


async def test_detail_pane_shows_the_command_line_and_the_environment_that_matters(project: Project) -> None:
    project.store.create_tasks([NewTask("a", {"lr": 0.01, "tag": "two words"})], task_kind="argparse",
                               script=str(project.dir / "train.py"))
    control.queue(project.store, ["a"])
    assert project.wait("a")["a"].status is Status.COMPLETED, project.explain("a")
    run = project.task("a").last_run
    assert run is not None
    env = project.store.run_env("a", run)
    command = shlex.join([sys.executable, str(project.dir / "train.py"), "--lr", "0.01", "--tag", "two words"])
    app = PyrunsApp(project.layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(400, 60)) as pilot:  # wide: the command on one line
        screen = await settle(pilot)
        screen.table.move_to("a")
        await wait_for(pilot, lambda: screen.detail.task_name == "a")
        body = screen.detail.query_one("#detail-body")
        lines = ["".join(s.text for s in line).strip(" ▏▕") for line in body.render_lines(body.region.reset_offset)]
    text = "\n".join(lines)
    assert "Command line (run 1)" in lines and command in lines, text
    assert lines.index("Command line (run 1)") < lines.index("Notes")  # near the top
    shown = [line for line in lines if "=" in line and line.split("=", 1)[0] in env]
    assert "MY_SETTING=on" in shown and "PYTHONUNBUFFERED=1" in shown  # the settings', pyr-tui's
    assert any(line.startswith("PYRUNS_TASK_DIR=") for line in shown) and any(line.startswith("PYRUNS_TEST_MARKER=") for line in shown)
    assert not any(line.startswith(("HOME=", "PATH=")) for line in shown)  # inherited: counted
    assert f"+{len(env) - len(shown)} inherited · pyr-tui show a --env" in lines, text


async def test_the_command_line_wraps_between_arguments_never_between_a_flag_and_its_value(project: Project) -> None:
    # a short flag before a long value: wrapped at any space, every line would end with a flag
    values = {key: f"{key * 12}-{i:017d}" for i, key in enumerate("abcde")}
    project.store.create_tasks([NewTask("a", {"lr": 0.5, **values})], task_kind="argparse",
                               script=str(project.dir / "train.py"))
    control.queue(project.store, ["a"])
    assert project.wait("a")["a"].status is Status.COMPLETED, project.explain("a")
    app = PyrunsApp(project.layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        await pilot.press("v")
        screen.table.move_to("a")
        await wait_for(pilot, lambda: screen.detail.task_name == "a")
        body = screen.detail.query_one("#detail-body")
        lines = ["".join(s.text for s in line).strip(" ▏▕") for line in body.render_lines(body.region.reset_offset)]
    top = lines.index("Command line (run 1)") + 1
    command = lines[top:lines.index("Notes", top)]
    assert len(command) > 2, lines  # it does wrap at 80 columns
    for key, value in values.items():
        assert any(f"--{key} {value}" in line for line in command), command
    argv = [sys.executable, str(project.dir / "train.py"), "--lr", "0.5", *(f"--{key}{value}" for key, value in values.items())]
    assert "".join("".join(command).split()) == "".join(argv)  # all of it (a path wider than a line is folded)


def test_a_flag_keeps_its_value_a_negative_number_included() -> None:
    from pyruns_tui.tui.widgets.manager.detail_pane import command_pieces

    argv = ["python", "train.py", "--lr", "-0.5", "--tag", "two words", "--amp", "--name=x", "-v", "--", "-3"]
    assert command_pieces(argv) == ["python", "train.py", "--lr -0.5", "--tag 'two words'", "--amp", "--name=x", "-v",
                                    "--", "-3"]
