"""Claims of the docs about running tasks that once did not hold (issue 22), with a real runner."""

from __future__ import annotations

import pytest

from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, project, until  # noqa: F401 - the fixture
from tests.waiting import process_ended


def test_log_follow_exits_one_when_the_run_fails(project: Project, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    good = project.add("good", "print('fine')")
    bad = project.add("bad", "print('boom'); raise SystemExit(3)")
    assert project.cli("run", good, bad, "--wait") == 1
    capsysbinary.readouterr()
    assert project.cli("log", good, "-f") == 0
    assert project.cli("log", bad, "-f") == 1
    captured = capsysbinary.readouterr()
    assert b"boom" in captured.out and captured.err.startswith(b"bad: run 1 failed")
    assert project.cli("log", bad) == 0  # printing a log without following is not a verdict


def test_stop_sends_sigterm_once_to_a_task_that_handles_it(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    seen = project.dir / "terms"
    ready = project.dir / "ready"
    code = (
        "import signal, time\n"
        f"signal.signal(signal.SIGTERM, lambda *a: open({str(seen)!r}, 'a').write('TERM\\n'))\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "while True: time.sleep(0.01)\n"  # ignores the request: only the SIGKILL after the grace ends it
    )
    name = project.add("stubborn", code)
    assert project.cli("run", name) == 0
    assert capsys.readouterr().out == "queued 1 task\n"  # not `1 task(s)`
    until(ready.exists, what="the task to install its handler")
    assert project.cli("stop", name) == 0
    assert project.task(name).status is Status.INTERRUPTED
    assert seen.read_text() == "TERM\n"


def test_ls_and_show_say_runner_lost_when_nobody_looks_after_a_running_task(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    import contextlib
    import os
    import signal

    import psutil

    name = project.add("orphan", "import time; time.sleep(300)")
    assert project.cli("run", name) == 0
    until(lambda: project.task(name).status is Status.RUNNING and project.task(name).last_run.pid, what="the task to run")
    assert project.cli("ls") == 0
    assert "running (runner lost?)" not in capsys.readouterr().out
    task_pid = project.task(name).last_run.pid
    supervisor = psutil.Process(task_pid).parent()
    os.kill(project.runner_pid(), signal.SIGKILL)  # a crash: the runner and the supervisor die at once
    supervisor.kill()
    # the task leads the foreground group of its supervisor's terminal: the supervisor's death
    # hangs it up, and it may be gone (reaped) before this kill
    with contextlib.suppress(ProcessLookupError):
        os.killpg(task_pid, signal.SIGKILL)
    until(lambda: process_ended(supervisor.pid), what="the supervisor to die")
    until(lambda: project.cli("runner", "status") == 0 and "not running" in capsys.readouterr().out, what="the runner to be gone")
    assert project.cli("ls") == 0
    assert "running (runner lost?)" in capsys.readouterr().out
    assert project.cli("show", name) == 0
    assert "status:  running (runner lost?)" in capsys.readouterr().out
    assert project.task(name).status is Status.RUNNING  # a view changes nothing on disk


def test_queued_at_is_iso_8601_like_every_other_time(project: Project) -> None:
    import json
    from datetime import datetime

    first, second = project.add("q1", "pass"), project.add("q2", "pass")
    assert project.cli("run", first, second, "--wait") == 0

    gate, release = project.gate("hold")
    blocker = project.add("blocker", gate)
    assert project.cli("run", blocker, "-j", "1") == 0
    until(lambda: project.task(blocker).status is Status.RUNNING, what="the blocker to run")
    assert project.cli("run", second, first) == 0  # reruns, queued behind the blocker
    on_disk = [json.loads(project.layout.task_info(n).read_text())["queued_at"] for n in (second, first)]
    assert all(isinstance(t, str) and datetime.fromisoformat(t).utcoffset() is not None for t in on_disk)
    assert on_disk[0] < on_disk[1]  # as text, in the order they were queued
    release()
    project.wait(first, second, blocker)
    assert project.task(second).runs[-1].start < project.task(first).runs[-1].start  # FIFO


def test_a_task_info_with_epoch_queued_at_still_loads(project: Project) -> None:
    import json

    name = project.add("legacy", "pass")
    path = project.layout.task_info(name)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "status": "queued", "queued_at": 1764845400.25}))
    assert project.task(name).queued_at == "2025-12-04T10:50:00.250000+00:00"
