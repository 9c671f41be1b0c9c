"""A full disk under the whole workspace (a 2 MB tmpfs, root only): the runner and every
supervisor survive, exit records are written (in place, retried until there is room), the
exit codes are kept, lost log bytes are reported, and every CLI command says it in one line."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from pyruns_tui.runner import client, control
from pyruns_tui.runner.daemon.proc import RunState
from pyruns_tui.workspace.model import Status
from tests.conftest import Shown
from tests.reliability.harness import assert_clean_error, flood_then_wait, open_gate, pyr, small_disk, wait_until
from tests.runner.harness import Project, finish_project, shell_project
from tests.waiting import gate_code

pytestmark = pytest.mark.slow

FILL = (
    "import os\n"
    "chunk = b'x' * 65536\n"
    "with open('fill', 'wb', buffering=0) as fh:\n"
    "    try:\n"
    "        while True:\n"
    "            fh.write(chunk)\n"
    "    except OSError as exc:\n"
    "        print('disk full:', exc.strerror)\n"
    "print('DONE')\n"
)


def talker(gate: Path) -> str:
    """Waits for the disk to be full, then prints 200 kB and DONE, and exits 0."""
    return (
        gate_code(gate)
        + "for i in range(400):\n    print('%04d ' % i + 'z' * 500)\n"
        "print('DONE')\n"
    )


def task_processes(project: Project) -> list[psutil.Process]:
    """The live task processes of `project` (not its runner nor supervisors)."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("PYRUNS_TASK_DIR", "").startswith(str(project.dir)):
                if proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
    return found


@pytest.fixture
def full_disk_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A shell project on its own 2 MB tmpfs (unmounted at the end)."""
    with small_disk(tmp_path / "disk", "2m") as disk:
        proj = shell_project(disk / "proj", monkeypatch)
        yield proj
        with contextlib.suppress(OSError):
            (proj.dir / "fill").unlink()
        finish_project(proj)


def test_a_full_disk_loses_no_exit_record_and_no_process(full_disk_project: Project, tmp_path: Path) -> None:
    project = full_disk_project
    gate = tmp_path / "gate"  # outside the tmpfs: it can be made while the disk is full
    other = project.dir.parent / "other"  # a project to `init` once the disk is full
    other.mkdir()
    (other / "train.py").write_text("import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr')\n")
    fill = project.add("fill", FILL)
    talkers = [project.add(f"talk{i}", talker(gate)) for i in range(3)]
    idle = project.add("idle", "print('never run')")
    control.queue(project.store, [fill, *talkers])
    runner = project.runner_pid()
    state = project.runner_paths.run_state(fill, 1)
    wait_until(lambda: (s := RunState.read(state)) is not None and s.exited, 60, "the filler to end")
    gate.touch()
    wait_until(lambda: not task_processes(project), 60, "every task to end")

    assert client.runner_alive(project.layout) and project.runner_pid() == runner
    spec = tmp_path / "spec.yaml"
    spec.write_text("command: echo {n}\nparams:\n  n: 1 | 2\n")
    home = tmp_path / "home"
    for args in (("note", idle, "hello"), ("note", "-a", idle, "more"), ("pin", idle), ("rm", idle),
                 ("run", idle), ("gen", str(spec), "-n", "new"), ("-C", str(other), "init", "train.py")):
        result = pyr(project.dir, *args, home=home)
        assert_clean_error(result, 1)
        assert "No space left on device" in result.err or "disk is full" in result.err, result.err

    (project.dir / "fill").unlink()
    tasks = project.wait(fill, *talkers, timeout=60)
    truncated = []
    for name, task in tasks.items():
        run = task.last_run
        assert run is not None and run.exit_code == 0, (name, task.reason)  # the exit code is kept
        if task.status is Status.COMPLETED:  # its output found room (space comes and goes)
            assert project.log(name).endswith(b"DONE\n")
        else:
            assert task.status is Status.FAILED and (task.reason or "").startswith("log truncated: disk full ("), \
                (name, task.reason)
            truncated.append(name)
    assert fill in truncated
    assert not project.runner_paths.pause.exists()  # a full disk is not a broken batch: no pause
    assert not [p for p in project.layout.workspace_dir.rglob("*") if p.name.endswith(".tmp")]
    assert project.runner_pid() == runner
    after = project.add("after", "print('after')")
    control.queue(project.store, [after])
    assert project.wait(after, timeout=60)[after].status is Status.COMPLETED


def fill_disk(path: Path) -> None:
    """Write `path` until the file system is full."""
    chunk = b"x" * 65536
    with open(path, "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(chunk)


async def test_the_tui_shows_a_banner_while_the_disk_is_full(full_disk_project: Project, notifications: list[Shown]) -> None:
    from pyruns_tui.tui.app import PyrunsApp

    project = full_disk_project
    project.add("one", "print(1)")
    app = PyrunsApp(project.layout, start_mode="manager")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not app.disk_full
        fill_disk(project.dir / "fill")
        await wait_for(pilot, lambda: app.disk_full, "the banner")
        assert any(n.title == "Disk full" for n in notifications)
        (project.dir / "fill").unlink()
        await wait_for(pilot, lambda: not app.disk_full, "the banner to go")
        assert not any(n.title == "Disk full" for n in notifications)


async def wait_for(pilot: object, predicate: object, what: str, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)  # type: ignore[attr-defined]


@pytest.mark.parametrize("runner_up", [True, False], ids=["runner-up", "runner-started-by-run"])
def test_a_disk_that_fills_during_a_long_run_says_which_tasks_were_queued(full_disk_project: Project, monkeypatch,
                                                                          capsys, runner_up: bool) -> None:
    """`run` writes a long queue in parts (the runner starts the first meanwhile): a disk that
    fills after the first part leaves those tasks queued and the rest pending, and the one error
    line says so (not that the runner `run` started could not write its runner.json on the full
    disk). The queued ones run once there is room again (`wait` starts a runner for them where
    none could start); nothing is half-written."""
    project = full_disk_project
    names = [project.add(f"t{i:02d}", "print('ran')") for i in range(20)]
    real_wake = control.wake_runner

    def fill_then_wake(layout, queued=()):  # type: ignore[no-untyped-def]
        fill_disk(project.dir / "fill")  # after the first part is written
        return real_wake(layout, queued)

    if runner_up:
        client.ensure_runner(project.layout)
    monkeypatch.setattr(control, "wake_runner", fill_then_wake)
    assert project.cli("run", *names) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pyr-tui: error: "), err
    assert "No space left on device" in err or "disk is full" in err, err
    assert "8 of 20 tasks were queued before it" in err and "the other 12 are as they were" in err, err
    statuses = {name: project.task(name).status for name in names}
    assert all(statuses[n] is not Status.PENDING for n in names[:8]), statuses
    assert all(statuses[n] is Status.PENDING for n in names[8:]), statuses
    (project.dir / "fill").unlink()
    tasks = project.wait(*names[:8], timeout=60)
    assert all(t.status is Status.COMPLETED and project.log(t.name) == b"ran\n" for t in tasks.values())
    assert all(project.task(n).status is Status.PENDING and not project.task(n).runs for n in names[8:])
    assert not [p for p in project.layout.workspace_dir.rglob("*") if p.name.endswith(".tmp")]


def test_a_runner_that_cannot_start_on_a_full_disk_says_so_in_words(full_disk_project: Project, tmp_path: Path) -> None:
    """The runner reports why it did not start: an OSError in the words every other command uses
    (`<file>: the disk is full; ...`), not Python's `[Errno 28] No space left on device: '<file>'`."""
    project = full_disk_project
    fill_disk(project.dir / "fill")
    result = pyr(project.dir, "runner", "start", home=tmp_path / "home")
    assert_clean_error(result, 1)
    assert "did not start" in result.err and "runner.json: the disk is full" in result.err, result.err
    assert "[Errno" not in result.err, result.err


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 kB tmpfs (unmounted at the end), filled up but for old reports: `old.csv` (rows), `old.txt`
    (`--best`)."""
    with small_disk(tmp_path / "full", "200k") as disk:
        for old in ("old.csv", "old.txt"):
            (disk / old).write_text("name\nold\n")
        with open(disk / "fill", "wb", buffering=0) as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"x" * 4096)
        yield disk


@pytest.mark.parametrize("target", ["new.json", "old"])
@pytest.mark.parametrize("best", [(), ("--best", "seed")], ids=["rows", "best"])
def test_an_export_to_a_full_disk_says_how_to_fix_it_and_loses_no_old_report(
        full_disk: Path, tmp_path: Path, target: str, best: tuple[str, ...]) -> None:
    from tests.reliability.harness import fake_finished_run, make_project

    if target == "old":  # an old report of the kind this export writes (a table: CSV; --best: text)
        target = "old.txt" if best else "old.csv"
    proj = make_project(tmp_path, tasks=1)
    fake_finished_run(proj, "t", b"done\n")
    result = pyr(proj, "export", *best, "-o", str(full_disk / target))
    assert_clean_error(result, 1)
    assert result.err == (f"pyr-tui: error: cannot write {full_disk / target}: the disk is full; free some space "
                          "and retry\n")  # (it said: No space left on device, and nothing of what to do)
    assert sorted(p.name for p in full_disk.iterdir()) == ["fill", "old.csv", "old.txt"]  # no temp file left behind
    assert (full_disk / "old.csv").read_text() == (full_disk / "old.txt").read_text() == "name\nold\n"


def test_a_log_cut_by_a_full_disk_is_said_while_the_task_runs_on(full_disk_project: Project, tmp_path: Path) -> None:
    """The supervisor cuts the log at the first write the full disk refuses; the task runs on. Until
    it ends, `ls` and `show` said only `running` (the Monitor stood still): they say the cut now,
    where the log stops and that the task goes on unlogged, from the state file the supervisor
    writes in place at the cut. At its end the run is `failed: log truncated`, the log as cut."""
    project = full_disk_project
    fifo = tmp_path / "gate.fifo"  # outside the tmpfs
    name = project.add("flood", flood_then_wait(fifo))
    control.queue(project.store, [name])
    home = tmp_path / "home"

    def row() -> str:
        return next((line for line in pyr(project.dir, "ls", home=home).out.splitlines() if name in line), "")

    line = wait_until(lambda: "log cut" in (found := row()) and found, 30, "ls to say the log was cut")
    assert line.startswith("running (log cut at ") and "disk full)" in line, line
    show = pyr(project.dir, "show", name, home=home)
    status = next(s for s in show.out.splitlines() if s.startswith("status:"))
    assert status.startswith("status:  running (log cut at ") and "disk full; the task runs on" in status, status
    assert "will end failed" in status, status
    listed = pyr(project.dir, "ls", "--json", home=home).json()
    cut = next(t for t in listed if t["name"] == name)["log_cut"]
    assert cut["why"] == "disk full" and cut["size"] == len(project.log(name)), (cut, len(project.log(name)))
    assert project.task(name).status is Status.RUNNING and task_processes(project)  # it runs on, waiting for us

    (project.dir / "fill").unlink()
    open_gate(fifo)
    task = project.wait(name, timeout=60)[name]
    assert task.status is Status.FAILED and (task.reason or "").startswith("log truncated: disk full ("), \
        project.explain(name)
    assert len(project.log(name)) == cut["size"]  # the log ends where it was cut, even with room again
    assert "log cut" not in row() and row().startswith("failed")
