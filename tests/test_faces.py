"""One engine, two faces: the CLI command and the TUI action for the same request agree.

Each test drives the real `pyr-tui` process and the real Textual app (Pilot) on one workspace
and compares what they did (or refused) on disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from pyruns_tui.runner import client, control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.workspace.bootstrap import init_shell_workspace, init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.cli.helpers import SMALL_SCRIPT as SCRIPT
from tests.cli.helpers import pyr
from tests.conftest import Shown
from tests.waiting import wait_for, wait_until


@pytest.fixture
def argparse_ws(tmp_path: Path) -> Layout:
    (tmp_path / "train.py").write_text(SCRIPT)
    return init_workspace(tmp_path, tmp_path / "train.py")


async def generator(pilot: Pilot[None]) -> GeneratorScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, GeneratorScreen))
    screen = pilot.app.screen
    assert isinstance(screen, GeneratorScreen)
    await wait_for(pilot, lambda: screen.preview.data is not None)
    return screen


async def manager(pilot: Pilot[None], *names: str) -> ManagerScreen:
    """The Manager once it lists `names`."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ManagerScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ManagerScreen)
    await wait_for(pilot, lambda: set(names) <= set(screen.browser.index.entries))
    return screen


async def generator_create(layout: Layout, spec_text: str, prefix: str) -> list[str]:
    """Type `spec_text` into the Generator's YAML mode and create; the problems it shows."""
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        gen = await generator(pilot)
        await gen.action_toggle_yaml()
        gen.yaml_editor.load_text(spec_text)
        gen.query_one("#gen-prefix").value = prefix  # type: ignore[attr-defined]
        await pilot.pause()
        _, problems = gen.current_spec()
        gen.start_create(run=False)
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: not gen.creating)
    return problems


def task_records(layout: Layout) -> dict[str, dict[str, Any]]:
    """name -> what both faces decide: the config files, the task kind, the script."""
    out = {}
    for task in TaskStore(layout).scan():
        folder = layout.task_dir(task.name)
        files = {name: (folder / name).read_text() for name in ("config.yaml", "config.sh") if (folder / name).exists()}
        out[task.name] = {"files": files, "kind": task.task_kind, "script": task.script}
    return out


@pytest.mark.parametrize(("spec_text", "shown"), [
    ("lr: abc | 0.1\n", "lr: 'abc' is not a number"),
    ("opt: rmsprop\n", "opt: 'rmsprop' is not one of the choices"),
    ("seed: 1 | 2.5\n", "seed: 2.5 is not an integer"),
])
async def test_gen_refuses_what_the_generator_refuses(argparse_ws: Layout, spec_text: str, shown: str) -> None:
    project = argparse_ws.project_dir
    (project / "spec.yaml").write_text(spec_text)
    cli = pyr(project, "gen", "spec.yaml", "-n", "cli")
    problems = await generator_create(argparse_ws, spec_text, "tui")
    assert any(p.startswith(shown) for p in problems), problems
    assert cli.code == 1 and "Traceback" not in cli.err
    assert cli.err.count("\n") == 1 and shown in cli.err, cli.err
    assert problems[0] in cli.err  # the same check, the same words
    assert pyr(project, "gen", "spec.yaml", "--dry-run").code == 1
    assert TaskStore(argparse_ws).names() == []
    assert [p.name for p in argparse_ws.tasks_dir.iterdir()] == []


LIST_SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--betas", type=float, nargs=2, default=[0.9, 0.999])
p.add_argument("--tags", nargs="*", default=[])
p.add_argument("--layers", type=int, nargs="+", default=[32])
p.add_argument("--data", required=True)
print(vars(p.parse_args()))
"""


@pytest.mark.parametrize(("spec_text", "shown"), [
    ('data: x\ntags: "[a] | [b, --c]"\n',
     "tags: list item '--c' starts with '-' and would be read as a flag (only a list of one such item can be passed)"),
    ('data: x\nbetas: "[0.9, 0.99] | [0.9]"\n', "betas: takes exactly 2 values, got 1"),
    # a lone value said "'fast' is not a list" where the parameter takes integers: what it is not, what it takes
    ("data: x\nlayers: fast | 64\n", "layers: 'fast' is not an integer (expects an integer or a list of them, e.g. [32])"),
    ("data: x\nbetas: 0.5 | [0.9, 0.99]\n", "betas: 0.5 is one value (expects a list of 2 numbers, e.g. [0.9, 0.999])"),
    ("tags: [a]\n", "data: required by the script (--data); set a value"),
])
async def test_gen_refuses_what_every_launch_would_refuse(tmp_path: Path, spec_text: str, shown: str) -> None:
    """A value the launch cannot pass (build_argv) is refused before a task is written, by both
    faces, in the launch's words; before, each such task was created and failed when it ran."""
    (tmp_path / "train.py").write_text(LIST_SCRIPT)
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    (tmp_path / "spec.yaml").write_text(spec_text)
    cli = pyr(tmp_path, "gen", "spec.yaml", "-n", "cli", "--run")
    problems = await generator_create(layout, spec_text, "tui")
    assert cli.code == 1 and "Traceback" not in cli.err
    assert cli.err == f"pyr-tui: error: {shown}\n"
    assert problems and problems[0] == shown
    assert TaskStore(layout).names() == []
    assert [p.name for p in layout.tasks_dir.iterdir()] == []
    good = 'data: x\ntags: "[a] | [b, c]"\nbetas: "[0.9, 0.99] | [1, -2]"\n'
    (tmp_path / "good.yaml").write_text(good)
    assert pyr(tmp_path, "gen", "good.yaml", "-n", "good").code == 0
    assert len(TaskStore(layout).names()) == 4


TIMM_CONFIG_SCRIPT = """\
import argparse
import yaml
config_parser = argparse.ArgumentParser(add_help=False)
config_parser.add_argument("-c", "--config", default="", type=str)
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=300)
args_config, remaining = config_parser.parse_known_args()
if args_config.config:
    with open(args_config.config) as f:
        cfg = yaml.safe_load(f)
        parser.set_defaults(**cfg)
print(vars(parser.parse_args(remaining)))
"""


async def test_an_empty_file_of_defaults_is_refused_by_both_faces_in_one_line(
        tmp_path: Path, notifications: list[Shown]) -> None:
    """timm's `--config` naming an empty file was accepted, and every run stopped on
    `set_defaults(**None)`: `gen` and the Generator's Create refuse it in the same words."""
    (tmp_path / "train.py").write_text(TIMM_CONFIG_SCRIPT)
    (tmp_path / "empty.yaml").write_text("")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    spec_text = "config: empty.yaml\nepochs: 5 | 6\n"
    (tmp_path / "spec.yaml").write_text(spec_text)
    shown = ("config: empty.yaml is empty: the script gives what it loads to set_defaults(**...), which fails on "
             "an empty file, so every run would stop there; write parameter: value lines in it ({} for none), or "
             "leave config empty")
    cli = pyr(tmp_path, "gen", "spec.yaml", "-n", "cli")
    assert (cli.code, cli.err) == (1, f"pyr-tui: error: {shown}\n")
    assert await generator_create(layout, spec_text, "tui") == []  # each value fits; the file is read at Create
    assert [(n.message, n.severity) for n in notifications if n.title == "Nothing created"] == [(shown, "error")]
    assert TaskStore(layout).names() == []
    (tmp_path / "empty.yaml").write_text("{}\n")  # no defaults, said so: the script runs
    assert pyr(tmp_path, "gen", "spec.yaml", "-n", "cli").code == 0



async def test_a_batch_that_exists_already_is_said_in_the_same_line_by_both_faces(
        argparse_ws: Layout, notifications: list[Shown]) -> None:
    """`gen --skip-existing` and the Generator's Create with *skip configs that already exist*
    create nothing for a spec whose every config a task has, and say so in `gen`'s line."""
    from pyruns_tui.tui.widgets.toggles import Checkbox

    project = argparse_ws.project_dir
    (project / "spec.yaml").write_text("lr: 0.5 | 0.25\n")
    assert pyr(project, "gen", "spec.yaml", "-n", "first").code == 0
    cli = pyr(project, "gen", "spec.yaml", "-n", "again", "--skip-existing")
    assert cli.code == 0, cli.err
    app = PyrunsApp(argparse_ws, watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        gen = await generator(pilot)
        await gen.action_toggle_yaml()
        gen.yaml_editor.load_text("lr: 0.5 | 0.25\n")
        gen.query_one("#gen-prefix").value = "again"  # type: ignore[attr-defined]
        gen.query_one("#gen-skip", Checkbox).value = True
        await pilot.pause()
        notifications.clear()
        gen.start_create(run=False)
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: not gen.creating and bool(notifications))
    assert [n.message for n in notifications] == [cli.out.strip()]
    assert cli.out.strip() == "nothing created: every config already exists (2 identical skipped)"
    assert sorted(TaskStore(argparse_ws).names()) == ["first_1-of-2", "first_2-of-2"]


@pytest.mark.parametrize("prefix", ["exp ", " exp"])
async def test_a_prefix_with_whitespace_at_an_end_is_refused_by_both_faces(argparse_ws: Layout, prefix: str) -> None:
    """`gen -n 'exp '` refuses the name as typed (`use 'exp'`); the Generator's prefix box took
    it as `exp`, naming the tasks other than as typed."""
    from pyruns_tui.workspace.names import name_problem

    project = argparse_ws.project_dir
    (project / "spec.yaml").write_text("lr: 0.5\n")
    cli = pyr(project, "gen", "spec.yaml", "-n", prefix)
    problem = name_problem(prefix)
    assert cli.code == 1 and problem is not None and problem in cli.err and "use 'exp'" in problem
    app = PyrunsApp(argparse_ws, watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        gen = await generator(pilot)
        gen.query_one("#gen-prefix").value = prefix  # type: ignore[attr-defined]
        await pilot.pause()
        assert gen.update_preview().problems == (f"name prefix: {problem}",)
        gen.start_create(run=False)
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: not gen.creating)
    assert TaskStore(argparse_ws).names() == []

@pytest.mark.parametrize("kind", ["argparse", "shell"])
async def test_gen_and_the_generator_create_the_same_tasks(tmp_path: Path, kind: str) -> None:
    if kind == "shell":
        layout = init_shell_workspace(tmp_path)
        spec_text = "command: echo {x}\nparams:\n  x: 1 | 2\n"
    else:
        (tmp_path / "train.py").write_text(SCRIPT)
        layout = init_workspace(tmp_path, tmp_path / "train.py")
        spec_text = "lr: 0.5 | 0.25\nopt: sgd\n"
    (tmp_path / "spec.yaml").write_text(spec_text)
    args = ("-w", "_shell_") if kind == "shell" else ()
    assert pyr(tmp_path, *args, "gen", "spec.yaml", "-n", "same").code == 0
    problems = await generator_create(layout, spec_text, "same")
    assert problems == []
    records = task_records(layout)
    assert len(records) == 4, sorted(records)
    cli = [records["same_1-of-2"], records["same_2-of-2"]]
    tui = [records[name] for name in sorted(records) if name not in ("same_1-of-2", "same_2-of-2")]
    assert cli == tui


CHILD = """
import asyncio, sys
from pathlib import Path
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from tests.test_faces import generator

async def main() -> None:
    layout = Layout(root=Path(sys.argv[1]), name="_shell_")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        gen = await generator(pilot)
        await gen.action_toggle_yaml()
        gen.yaml_editor.load_text(sys.argv[2])
        gen.query_one("#gen-prefix").value = "big"
        await pilot.pause()
        gen.start_create(run=True)
        await asyncio.sleep(3600)  # killed by the test meanwhile

asyncio.run(main())
"""


def test_create_and_run_leaves_a_running_runner_when_the_tui_is_killed(tmp_path: Path) -> None:
    layout = init_shell_workspace(tmp_path)
    (layout.root / "_pyruns_settings.yaml").write_text("max_concurrency: 8\nrunner_idle_exit_s: 30\n")
    count = 400
    spec = f"command: true {{x}}\nparams:\n  x: 1:{count + 1}\n"
    first = layout.task_info(f"big_1-of-{count}")
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), str(layout.root), spec],
                             cwd=Path(__file__).resolve().parents[1], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def first_queued() -> bool:
            try:
                return json.loads(first.read_bytes()).get("status") in ("queued", "running", "completed")
            except (OSError, ValueError):
                return False

        wait_until(first_queued, timeout=120, what="the first task of the batch to be queued", interval=0.002)
        os.killpg(child.pid, signal.SIGKILL)  # the TUI dies while the queue is being written
        child.wait(timeout=30)
        wait_until(lambda: client.runner_alive(layout), timeout=30, what="a runner after the TUI died")
        store = TaskStore(layout)
        done = control.wait(store, store.names(), timeout_s=300, keep_runner=False)
        assert len(done) == count
        assert {t.status.value for t in done.values()} <= {"completed", "pending"}
        assert any(t.status.value == "completed" for t in done.values())
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        client.stop_runner(layout)


async def test_delete_is_all_or_nothing_in_both_faces(tmp_path: Path) -> None:
    from pyruns_tui.tui.screens.manager import ManagerScreen
    from pyruns_tui.workspace.store import NewTask

    layout = init_shell_workspace(tmp_path)
    store = TaskStore(layout)
    store.create_tasks([NewTask(name, {}, command="true") for name in ("del_a", "del_b", "other")],
                       task_kind="shell", script=None)
    control.queue(store, ["del_b"], start_runner=False)  # active: may not be deleted
    cli = pyr(tmp_path, "-w", "_shell_", "rm", "del_a", "del_b")
    assert cli.code == 1 and "del_b" in cli.err and "Traceback" not in cli.err
    assert sorted(TaskStore(layout).names()) == ["del_a", "del_b", "other"]
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerScreen))
        screen = app.screen
        assert isinstance(screen, ManagerScreen)
        await wait_for(pilot, lambda: {"del_a", "del_b"} <= set(screen.browser.index.entries))
        screen.table.selected.update({"del_a", "del_b"})
        await pilot.press("d")
        if not isinstance(app.screen, ManagerScreen):
            await pilot.press("y")  # the old TUI asked to delete the rest
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert sorted(TaskStore(layout).names()) == ["del_a", "del_b", "other"]



@pytest.mark.parametrize("active", [["del_b"], ["del_b", "del_c"]])
async def test_delete_of_an_active_task_is_refused_in_the_same_line_by_both_faces(
        tmp_path: Path, notifications: list[Shown], active: list[str]) -> None:
    """`rm` and the Manager's `d` refuse a queued task with one rule and one line (the key asks
    before its confirmation, `rm` when it writes)."""
    from pyruns_tui.workspace.store import NewTask

    layout = init_shell_workspace(tmp_path)
    store = TaskStore(layout)
    store.create_tasks([NewTask(name, {}, command="true") for name in ("del_a", "del_b", "del_c")],
                       task_kind="shell", script=None)
    control.queue(store, active, start_runner=False)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        screen = await manager(pilot, "del_a", *active)
        screen.table.selected.update({"del_a", *active})
        targets = screen.browser.targets()  # (in the table's order: `rm` is given them so)
        await pilot.press("d")
        assert isinstance(app.screen, ManagerScreen)  # refused before the confirmation
    cli = pyr(tmp_path, "-w", "_shell_", "rm", *targets)
    assert cli.code == 1, cli.err
    assert [n.message for n in notifications if n.severity == "warning"] == [
        cli.err.strip().removeprefix("pyr-tui: error: ")]
    assert sorted(TaskStore(layout).names()) == ["del_a", "del_b", "del_c"]


async def test_a_stop_of_a_finished_task_is_refused_in_the_same_line_by_both_faces(
        tmp_path: Path, notifications: list[Shown]) -> None:
    """`stop` said `idle: is pending, nothing to stop`, the `s` key `idle: is pending`: one reason
    now, the engine's (`control.stop`)."""
    from pyruns_tui.workspace.store import NewTask

    layout = init_shell_workspace(tmp_path)
    TaskStore(layout).create_tasks([NewTask("idle", {}, command="true")], task_kind="shell", script=None)
    cli = pyr(tmp_path, "-w", "_shell_", "stop", "idle")
    assert cli.code == 0 and cli.err == "idle: is pending, nothing to stop\n", cli.err
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        screen = await manager(pilot, "idle")
        screen.table.move_to("idle")
        await pilot.press("s")
        await wait_for(pilot, lambda: bool(notifications))
    assert [n.message for n in notifications] == [cli.err.strip()]


def test_compare_uses_one_value_rule_in_both_faces(tmp_path: Path) -> None:
    from pyruns_tui.tui.widgets.manager.compare import compare_params
    from pyruns_tui.tui.widgets.monitor.charts import differing_params
    from pyruns_tui.workspace.query import TaskView, flatten
    from pyruns_tui.workspace.store import NewTask

    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    a = {"lr": 1, "tag": "1", "amp": True, "wd": 0.5, "nan": float("nan")}
    b = {"lr": 1.0, "tag": 1, "amp": 1, "wd": 0.25, "nan": float("nan")}
    store = TaskStore(layout)
    store.create_tasks([NewTask("a", a), NewTask("b", b)], task_kind="pyruns_load", script=None)
    cli = pyr(tmp_path, "compare", "a", "b", "--json")
    assert cli.code == 0, cli.err
    cli_differ = set(cli.json()["config"]["different"])
    views = [TaskView(task, flatten(store.load_config(task.name)), {}) for task in (store.get("a"), store.get("b"))]
    tui_differ = {row.key for row in compare_params(*views) if row.differs}
    chart_differ = {part.split("=")[0] for part in differing_params({"a": a, "b": b})["a"].split()}
    assert cli_differ == tui_differ == chart_differ == {"tag", "amp", "wd"}


async def test_run_starts_the_runner_before_writing_the_queue_in_both_faces(tmp_path: Path,
                                                                            notifications: list[Shown]) -> None:
    """A runner that cannot start (`.runner` is a file) refuses `run` and the `r` key alike, and
    neither queues anything: both start the runner before they write."""
    from pyruns_tui.tui.screens.manager import ManagerScreen
    from pyruns_tui.workspace.model import Status
    from pyruns_tui.workspace.store import NewTask

    layout = init_shell_workspace(tmp_path)
    store = TaskStore(layout)
    store.create_tasks([NewTask(name, {}, command="true") for name in ("by_cli", "by_key")], task_kind="shell",
                       script=None)
    layout.runner_dir.write_text("not a folder\n")
    cli = pyr(tmp_path, "-w", "_shell_", "run", "by_cli")
    assert cli.code == 1 and "not a plain directory" in cli.err and "Traceback" not in cli.err
    assert TaskStore(layout).get("by_cli").status is Status.PENDING
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerScreen))
        screen = app.screen
        assert isinstance(screen, ManagerScreen)
        await wait_for(pilot, lambda: "by_key" in screen.browser.index.entries)
        screen.table.move_to("by_key")
        await pilot.press("r")
        await wait_for(pilot, lambda: any("not a plain directory" in n.message for n in notifications))
        await app.workers.wait_for_complete()
    assert TaskStore(layout).get("by_key").status is Status.PENDING


def test_skip_existing_search_and_compare_agree_on_equal_values(tmp_path: Path) -> None:
    """lr 1 is lr 1.0 and NaN is NaN for `compare`, `gen --skip-existing` and search alike; true is
    not 1 for any of them."""
    from pyruns_tui.workspace.store import NewTask

    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    store = TaskStore(layout)
    store.create_tasks([NewTask("old", {"lr": 1.0, "amp": True, "x": float("nan")})], task_kind="pyruns_load",
                       script=None)
    (tmp_path / "same.yaml").write_text("lr: 1\namp: true\nx: .nan\n")
    (tmp_path / "other.yaml").write_text("lr: 1\namp: 1\nx: .nan\n")
    same = pyr(tmp_path, "gen", "same.yaml", "-n", "same", "--skip-existing")
    assert same.code == 0, same.err
    other = pyr(tmp_path, "gen", "other.yaml", "-n", "other", "--skip-existing")
    assert other.code == 0, other.err
    assert sorted(TaskStore(layout).names()) == ["old", "other"]  # `same` was the config of `old`
    cli = pyr(tmp_path, "compare", "old", "other", "--json")
    assert cli.code == 0, cli.err
    assert set(cli.json()["config"]["different"]) == {"amp"}
    for query, found in (("lr:1", ["old", "other"]), ("x:nan", ["old", "other"]), ("amp:1", ["other"]),
                         ("lr=1.0", ["old", "other"]), ("amp=true", ["old"])):
        listed = pyr(tmp_path, "ls", query, "--json")
        assert listed.code == 0, listed.err
        assert sorted(row["name"] for row in listed.json()) == found, query


@pytest.mark.parametrize("typed", ["x  ", "line one  \n\t indented, spaces after  \n\n  \n", "  lead kept\n"])
async def test_a_note_is_stored_alike_by_note_note_stdin_and_the_notes_editor(tmp_path: Path, typed: str) -> None:
    """One rule (`notes.normalized`): whitespace at the end of a note is dropped, every line before
    kept as typed. Before, `note TASK "x  "` kept the spaces, `note TASK -` dropped only
    newlines, and the Manager's `n` dropped all whitespace at the end."""
    from textual.widgets import TextArea

    from pyruns_tui.tui.widgets.manager.dialogs import NotesDialog
    from pyruns_tui.workspace.store import NewTask

    layout = init_shell_workspace(tmp_path)
    names = ("by_arg", "by_stdin", "by_key", "appended")
    TaskStore(layout).create_tasks([NewTask(name, {}, command="true") for name in names],
                                   task_kind="shell", script=None)
    assert pyr(tmp_path, "-w", "_shell_", "note", "by_arg", typed).code == 0
    assert pyr(tmp_path, "-w", "_shell_", "note", "by_stdin", "-", stdin=typed).code == 0
    assert pyr(tmp_path, "-w", "_shell_", "note", "appended", "first").code == 0
    assert pyr(tmp_path, "-w", "_shell_", "note", "-a", "appended", typed).code == 0
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(110, 32)) as pilot:
        screen = await manager(pilot, "by_key")
        screen.table.move_to("by_key")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NotesDialog))
        app.screen.query_one(TextArea).text = typed
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, NotesDialog))
        await app.workers.wait_for_complete()
    stored = {name: TaskStore(layout).get(name).notes for name in names}
    assert stored["by_arg"] == stored["by_stdin"] == stored["by_key"] == typed.rstrip(), stored
    assert stored["appended"] == "first\n" + typed.rstrip()
