"""Claims of the docs about running tasks that once did not hold (issue 22), with a real runner."""

from __future__ import annotations

import pytest

from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, project, until  # noqa: F401 - the fixture


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
    until(ready.exists, what="the task to install its handler")
    assert project.cli("stop", name) == 0
    assert project.task(name).status is Status.INTERRUPTED
    assert seen.read_text() == "TERM\n"


def test_ls_and_show_say_runner_lost_when_nobody_looks_after_a_running_task(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
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
    os.killpg(task_pid, signal.SIGKILL)
    until(lambda: not psutil.pid_exists(supervisor.pid) or supervisor.status() == psutil.STATUS_ZOMBIE, what="the supervisor to die")
    until(lambda: project.cli("runner", "status") == 0 and "not running" in capsys.readouterr().out, what="the runner to be gone")
    assert project.cli("ls") == 0
    assert "running (runner lost?)" in capsys.readouterr().out
    assert project.cli("show", name) == 0
    assert "status:  running (runner lost?)" in capsys.readouterr().out
    assert project.task(name).status is Status.RUNNING  # a view changes nothing on disk
