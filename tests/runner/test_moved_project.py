"""A project directory moved (`mv`, a rename) while its tasks run: every path the runner and
the supervisors were given leads nowhere, or into whatever is there now."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import psutil
import pytest

from pyruns_tui.runner import control
from pyruns_tui.runner.daemon.supervisor import Folder, write_state_retrying
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.runner.harness import Project, shell_project, shut_down, strays, until
from tests.waiting import gate_code


def test_a_project_moved_while_its_task_runs_completes_where_it_is_now(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the runner wrote on at the old path, making `_pyruns_/<ws>/.runner/` and the
    workspace's `.lock` there again (outside the workspace), the supervisor wrote the run's end
    there too, and the moved workspace showed the task running for ever (its runner still held
    the moved directory's lock, so no other could start). Now the runner sees the move and exits
    writing nothing, the supervisor writes the end into the moved directory (it holds its folder
    open), and the next runner (here `wait`'s) records it."""
    old = shell_project(tmp_path / "old", monkeypatch)
    monkeypatch.setenv("PYRUNS_TEST_MARKER", str(tmp_path))  # (the processes' marker: either place)
    gate = tmp_path / "gate"  # outside the project: the task sees it wherever the project is
    name = old.add("long", "print('before', flush=True)\n" + gate_code(gate) + "print('after')")
    control.queue(old.store, [name])
    until(lambda: old.log(name) == b"before\n", 60, "the task to start")
    runner = old.runner_pid()
    (tmp_path / "old").rename(tmp_path / "new")
    layout = Layout(root=tmp_path / "new" / "_pyruns_", name=old.layout.name)
    new = Project(tmp_path / "new", layout, TaskStore(layout))
    try:
        until(lambda: not psutil.pid_exists(runner), 30, "the runner to see its workspace moved and exit")
        gate.touch()
        task = new.wait(name, timeout=60)[name]
        assert task.status is Status.COMPLETED and new.log(name) == b"before\nafter\n", new.explain(name)
        assert not (tmp_path / "old").exists()  # nothing made again at the old place
        log = (layout.runner_dir / "runner.log").read_text()
        assert "was moved or deleted: exiting" in log, log
    finally:
        shut_down(new)
        until(lambda: not strays(str(tmp_path)), 10, "every process of the project to end")


def test_a_state_file_lands_in_its_folder_moved_made_again_or_nowhere(tmp_path: Path) -> None:
    def read(path: Path) -> dict:
        return json.loads(path.read_text())

    state = {"state": "exited", "exit_code": 0}
    (tmp_path / "ws" / ".runner" / "runs").mkdir(parents=True)
    path = str(tmp_path / "ws" / ".runner" / "runs" / "t.json")
    folder = Folder(os.path.dirname(path))
    try:
        (tmp_path / "ws").rename(tmp_path / "moved")  # the whole workspace moved: the folder went with it
        assert write_state_retrying(path, state, 5.0, folder)
        assert read(tmp_path / "moved" / ".runner" / "runs" / "t.json") == state
        assert not (tmp_path / "ws").exists()
        (tmp_path / "moved").rename(tmp_path / "ws")
        for gone in (tmp_path / "ws" / ".runner" / "runs", tmp_path / "ws" / ".runner"):
            shutil.rmtree(gone)  # a user's `rm -r`: made again at its path (two levels at most)
            assert write_state_retrying(path, state, 5.0, folder)
            assert read(Path(path)) == state
        shutil.rmtree(tmp_path / "ws")  # the workspace deleted: given up at once, nothing made again
        assert not write_state_retrying(path, state, 60.0, folder)
        assert not (tmp_path / "ws").exists()
    finally:
        folder.close()


def _script_project(path: Path) -> Path:
    from pyruns_tui.cli import main

    path.mkdir()
    (path / "train.py").write_text("print('ran', __file__)\n")
    assert main(["-C", str(path), "init", "train.py"]) == 0
    (path / "one.yaml").write_text("{}\n")
    assert main(["-C", str(path), "gen", "one.yaml", "-n", "t"]) == 0
    return path


def _run(project: Path, *names: str) -> str:
    """Run the tasks to their end; the last run's log of the first."""
    from pyruns_tui.cli import main

    try:
        assert main(["-C", str(project), "run", *names, "--wait"]) == 0
    finally:
        main(["-C", str(project), "runner", "stop"])
    store = TaskStore(Layout(root=project / "_pyruns_", name="train"))
    task = store.get(names[0])
    return (store.layout.task_dir(names[0]) / task.runs[-1].log).read_text()


def test_a_copied_project_runs_its_own_script_and_a_moved_one_runs_at_all(tmp_path: Path) -> None:
    # the script was recorded as an absolute path only: a copy of the project ran the original's
    # script (edited in the copy, the edit never ran) and `init` there said the workspace belonged
    # to the original; a moved project's tasks failed with "script ... does not exist" for ever
    from pyruns_tui.cli import main

    original = _script_project(tmp_path / "original")
    assert "original/train.py" in _run(original, "t")
    subprocess.run(["cp", "-a", str(original), str(tmp_path / "copy")], check=True)  # (as a user copies it: FIFOs too)
    copy = tmp_path / "copy"
    assert f"ran {copy / 'train.py'}" in _run(copy, "t")
    assert main(["-C", str(copy), "init", "train.py"]) == 0  # not "belongs to .../original/train.py"
    assert main(["-C", str(copy), "gen", "one.yaml", "-n", "u"]) == 0
    assert f"ran {copy / 'train.py'}" in _run(copy, "u")
    (tmp_path / "original").rename(tmp_path / "moved")
    assert f"ran {tmp_path / 'moved' / 'train.py'}" in _run(tmp_path / "moved", "t")


def test_a_task_recorded_before_is_run_from_the_moved_project_once_init_ran_there(tmp_path: Path) -> None:
    from pyruns_tui.cli import main

    project = _script_project(tmp_path / "old")
    info = project / "_pyruns_" / "train" / "tasks" / "t" / "task_info.json"
    record = json.loads(info.read_text())
    del record["script_in_project"]  # as written by earlier versions
    info.write_text(json.dumps(record))
    project.rename(tmp_path / "new")
    new = tmp_path / "new"
    assert main(["-C", str(new), "init", "train.py"]) == 0
    assert f"ran {new / 'train.py'}" in _run(new, "t")
