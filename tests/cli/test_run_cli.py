"""`pyr-tui run / stop / wait / log / runner / metrics` against a real runner."""

from __future__ import annotations

import json

import pytest

from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, project, until  # noqa: F401 - the fixture
from tests.waiting import process_ended


def test_run_wait_exits_zero_when_all_complete_and_one_otherwise(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    good = [project.add(f"ok{i}", "print('fine')") for i in range(3)]
    bad = project.add("bad", "raise SystemExit(2)")
    assert project.cli("run", *good, "-j", "2", "--wait") == 0
    assert "3 of 3 tasks completed" in capsys.readouterr().out
    assert project.cli("run", bad, "--wait") == 1
    assert "bad: failed (exit code 2)" in capsys.readouterr().out


def test_log_of_a_task_that_could_not_start_says_why(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    name = project.add("empty", command=" ")
    assert project.cli("run", name, "--wait") == 1
    capsys.readouterr()
    assert project.cli("log", name) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has not run yet (status failed: " in err and "config.sh is empty" in err, err


def test_a_task_that_failed_before_a_run_counts_in_by_error_and_error_search(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # it had a reason but no run, so no `error`: `ls --by-error` said "(no failed task with an error)"
    names = [project.add(f"empty{i}", command=" ") for i in range(2)]
    assert project.cli("run", *names, "--wait") == 1
    capsys.readouterr()
    assert project.cli("ls", "--by-error", "--json") == 0
    groups = json.loads(capsys.readouterr().out)
    assert groups == [{"cause": "config.sh is empty; nothing to run", "count": 2, "tasks": names}], groups
    assert project.cli("ls", "error:empty", "--json") == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)] == names


def test_log_of_a_run_whose_log_was_deleted_says_so(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # it printed nothing and exited 0, as if the run had printed nothing
    name = project.add("gone", "print('hello')")
    assert project.cli("run", name, "--wait") == 0
    project.layout.run_log(name, 1).unlink()
    capsys.readouterr()
    for args in ((), ("--plain",), ("-f",)):
        assert project.cli("log", name, *args) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "the log of run 1 of 'gone' is missing" in err, err


def test_run_of_an_unknown_task_is_an_error(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert project.cli("run", "nope") == 1
    assert "no task named 'nope'" in capsys.readouterr().err


def test_stop_interrupts_running_tasks_kills_grandchildren_and_cancels_queued(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    pid_file = project.dir / "grandchild"
    code = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(300)\n"
    )
    running = project.add("long", code)
    queued = project.add("later", "print('never')")
    assert project.cli("run", running, "-j", "1") == 0
    assert project.cli("run", queued) == 0
    until(lambda: pid_file.exists() and pid_file.read_text(), what="the grandchild")
    assert project.task(queued).status is Status.QUEUED
    capsys.readouterr()
    assert project.cli("stop", running, queued) == 0
    out = capsys.readouterr().out
    assert "later: cancelled (pending)" in out and "long: interrupted (stopped by user)" in out
    assert project.task(queued).status is Status.PENDING
    grandchild = int(pid_file.read_text())
    until(lambda: process_ended(grandchild), what="the grandchild to be killed")


def test_wait_reports_each_task(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    names = [project.add("w1", "pass"), project.add("w2", "raise SystemExit(1)")]
    project.cli("run", *names)
    capsys.readouterr()
    assert project.cli("wait", *names) == 1
    assert capsys.readouterr().out.splitlines() == ["w2: failed (exit code 1)", "1 of 2 tasks completed"]


def test_log_prints_raw_bytes_of_any_run_and_follows(project: Project, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    name = project.add("colour", "import sys; print('\\x1b[31mred\\x1b[0m'); sys.stdout.write('a\\rb\\n')")
    project.cli("run", name, "--wait")
    project.cli("run", name, "--wait")
    capsysbinary.readouterr()
    assert project.cli("log", name) == 0
    assert capsysbinary.readouterr().out == b"\x1b[31mred\x1b[0m\na\rb\n"
    assert project.cli("log", name, "--run", "1", "--plain") == 0
    assert capsysbinary.readouterr().out == b"red\nb\n"
    assert project.cli("log", name, "--run", "3") == 1

    code, release = project.gate("follow")
    follow = project.add("follow", "print('one', flush=True)\n" + code + "print('two')\n")
    project.cli("run", follow)
    until(lambda: project.log(follow) == b"one\n", what="the first line")
    release()
    assert project.cli("log", follow, "-f") == 0  # returns when the run ends, with everything
    assert capsysbinary.readouterr().out.endswith(b"one\ntwo\n")


def test_log_f_of_a_task_queued_with_no_runner_starts_one_and_says_what_it_waits_for(
        project: Project, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """`log -f` of a queued task waited for ever when no runner was up (after `runner stop`, a
    runner killed): nothing started the task. It now keeps a runner up as `wait` does, and says on
    stderr that it waits and why."""
    import threading

    from pyruns_tui.runner import client, control

    name = project.add("later", "print('hello from later')")
    control.queue(project.store, [name], start_runner=False)
    assert not client.runner_alive(project.layout) and project.task(name).status.value == "queued"
    codes: list[int] = []
    follower = threading.Thread(target=lambda: codes.append(project.cli("log", name, "-f")), daemon=True)
    follower.start()
    follower.join(timeout=60)
    assert codes == [0], "log -f still waiting after 60 s: no runner started the queued task"
    captured = capsysbinary.readouterr()
    assert captured.out.endswith(b"hello from later\n")
    assert captured.err.decode().startswith(f"pyr-tui: {name} is queued")


def test_log_plain_of_real_tqdm_output_matches_a_vt100_emulator(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    pyte = pytest.importorskip("pyte")
    pytest.importorskip("tqdm")
    code = (
        "from tqdm import tqdm\n"
        "print('\\x1b[1;32mtraining\\x1b[0m')\n"
        "for _ in tqdm(range(40), mininterval=0, desc='epoch'): pass\n"
        "for _ in tqdm(range(7), mininterval=0, desc='eval', ncols=60): pass\n"
        "print('done')\n"
    )
    name = project.add("bars", code)
    assert project.cli("run", name, "--wait") == 0
    raw = project.log(name)
    assert raw.count(b"\r") > 20  # tqdm did redraw in place, as on a terminal
    screen = pyte.Screen(160, 50)
    screen.set_mode(pyte.modes.LNM)  # "\n" starts a new line: the pty keeps the program's bytes
    pyte.ByteStream(screen).feed(raw)
    expected = [line.rstrip() for line in screen.display]
    while expected and not expected[-1]:
        expected.pop()
    capsys.readouterr()
    assert project.cli("log", name, "--plain") == 0
    assert capsys.readouterr().out.splitlines() == expected
    assert expected[0] == "training" and expected[-1] == "done" and expected[1].startswith("epoch: 100%")


def test_runner_status_json_and_stop(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert project.cli("runner", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["running"] is False and status["tasks"] == {"running": [], "queued": [], "waiting": {}}
    code, release = project.gate("st")
    name = project.add("st", code)
    project.cli("run", name, "-j", "3")
    until(lambda: project.task(name).status is Status.RUNNING, what="the task")
    capsys.readouterr()
    assert project.cli("runner", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["running"] is True and status["runner"]["pid"] == project.runner_pid()
    assert status["max_concurrency"] == 3 and status["tasks"]["running"] == [name]
    release()
    project.wait(name)
    assert project.cli("runner", "stop") == 0
    assert "runner stopped" in capsys.readouterr().out


def test_metrics_json_snapshot_with_fake_gpus(project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "2")
    assert project.cli("metrics", "--json") == 0
    snap = json.loads(capsys.readouterr().out)
    assert snap["cpu_count"] >= 1 and 0 <= snap["cpu_percent"] <= 100 and snap["mem_total_mb"] > 0
    assert [g["index"] for g in snap["gpus"]] == [0, 1]
    assert {"util_pct", "mem_used_mb", "mem_total_mb", "processes"} <= set(snap["gpus"][0])
    assert project.cli("metrics") == 0
    assert "gpu1:" in capsys.readouterr().out


def test_runner_status_shows_the_limit_of_the_executor_in_use(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # on a Slurm workspace it said `limit: 4 at once` (max_concurrency, the local limit) while the
    # arrays ran `slurm.array_parallelism` (8) indices at once
    project.layout.settings_file.write_text("max_concurrency: 4\nexecutor: slurm\nslurm: {array_parallelism: 8}\n")
    capsys.readouterr()
    assert project.cli("runner", "status") == 0
    out = capsys.readouterr().out
    assert "limit:  8 at once per Slurm array (run -j N sets it for that call)\n" in out, out
    assert project.cli("runner", "status", "--json") == 0
    limits = json.loads(capsys.readouterr().out)["limits"]
    assert limits == {"executor": "slurm", "applies": 8, "local": 4, "local_set_by_run_j": False, "slurm_array": 8}
    code, release = project.gate("local")
    name = project.add("local", code)
    try:  # a local task on the Slurm workspace: both limits apply
        assert project.cli("run", name, "--executor", "local", "-j", "3") == 0
        until(lambda: project.task(name).status is Status.RUNNING, what="the local task")
        capsys.readouterr()
        assert project.cli("runner", "status") == 0
        out = capsys.readouterr().out
        assert "limit:  8 at once per Slurm array (run -j N sets it for that call); local tasks 3 at once (set by run -j)\n" in out, out
    finally:
        release()
    project.wait(name)


def test_run_of_a_queued_task_says_the_priority_and_after_it_set(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # the line was "already queued", as if nothing had happened, though the new priority was kept
    first, second, waiting = (project.add(name, "print('x')") for name in ("first", "second", "waiting"))
    assert project.cli("run", waiting, "--after", first) == 0  # first is never run: waiting stays queued
    capsys.readouterr()
    assert project.cli("run", waiting, "--priority", "5") == 0
    assert capsys.readouterr().err == "waiting: already queued; priority now 5\n"
    assert project.cli("run", waiting, "--after", second) == 0
    assert capsys.readouterr().err == "waiting: already queued; after second\n"
    assert project.cli("run", waiting) == 0
    assert capsys.readouterr().err == "waiting: already queued\n"
    assert project.task(waiting).priority == 5 and project.task(waiting).after == [second]
    project.cli("stop", waiting)


def test_runner_status_without_a_runner_says_how_to_start_it_when_tasks_wait(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # after `runner stop` it said "not running (it starts when tasks are queued)" with a task
    # queued: nothing starts it by itself then (`ls` and `show` do not)
    assert project.cli("runner", "status") == 0
    assert "runner: not running (`pyr-tui run` starts it when it queues tasks)\n" in capsys.readouterr().out
    first, waiting = project.add("first", "print('x')"), project.add("waiting", "print('x')")
    assert project.cli("run", waiting, "--after", first) == 0  # first is never run: waiting stays queued
    assert project.cli("runner", "stop") == 0
    assert project.cli("ls") == 0
    capsys.readouterr()
    assert project.cli("runner", "status") == 0
    out = capsys.readouterr().out
    assert "runner: not running; 1 task waits for a runner: `pyr-tui runner start` starts one" in out, out
    from pyruns_tui.runner import client

    assert not client.runner_alive(project.layout)  # ls and status started none
