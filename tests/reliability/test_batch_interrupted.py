"""A `gen` cut in the middle of its batch: between the first rename into tasks/ and the queue.

The writer stops itself (SIGSTOP) after a given number of renames (PYRUNS_TUI_TEST_STOP_AT_RENAME),
so every kill point is exact. SIGHUP, SIGINT and SIGTERM wait for the batch to be whole and queued,
then end the command as they would have; SIGKILL cannot wait, and the next command finishes the
batch (moves the rest in, queues it) and says so in one line. A live writer's batch is never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.runner import client
from pyruns_tui.runner.breaker import Pause, write_pause
from pyruns_tui.runner.daemon.scheduler import Scheduler
from pyruns_tui.runner.gpus import NoGpus
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.reliability.harness import cli_env, pyr
from tests.runner.harness import SETTINGS, Project
from tests.waiting import wait_until

COUNT = 12


def hold_the_queue(proj: Project) -> None:
    """Queued tasks stay queued (the runner is paused): what a test looks at stays still."""
    paths = RunnerPaths.of(proj.layout)
    paths.dir.mkdir(parents=True, exist_ok=True)
    write_pause(paths.pause, Pause("held by the test", (), 60.0))


def default_signals() -> None:
    # as in a login shell: a test run under `nohup` (or in the background) passes them down ignored
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def gen_stopped_at(proj: Project, renamed: int | str, *args: str) -> subprocess.Popen[str]:
    """A real `pyr-tui gen` of COUNT tasks (prefix `b`), stopped after `renamed` renames (`3,6`:
    after 3, and again after 6)."""
    spec = proj.dir.parent / "spec.yaml"
    spec.write_text("seed: " + " | ".join(str(i) for i in range(COUNT)) + "\n")
    env = cli_env(proj.dir.parent / "home", {"PYRUNS_TUI_TEST_STOP_AT_RENAME": str(renamed)})
    (proj.dir.parent / "home").mkdir(exist_ok=True)
    gen = subprocess.Popen([sys.executable, "-m", "pyruns_tui", "-C", str(proj.dir), "gen", str(spec), "-n", "b", *args],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=default_signals)
    _, status = os.waitpid(gen.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"gen did not stop after {renamed} renames (exit status {status})"
    return gen


def batch(proj: Project) -> dict[str, Status]:
    """The batch's tasks in tasks/ as they are (a store that finishes nothing)."""
    return {t.name: t.status for t in TaskStore(proj.layout).scan() if t.name.startswith("b_")}


def staging(proj: Project) -> list[str]:
    return [e for e in os.listdir(proj.layout.tasks_dir) if e.startswith(".")]


@pytest.mark.parametrize("renamed", [0, 1, COUNT // 2, COUNT - 1, COUNT])
def test_a_gen_run_killed_mid_batch_is_finished_and_queued_by_the_next_command(argparse_project: Project,
                                                                               renamed: int) -> None:
    proj = argparse_project
    hold_the_queue(proj)
    gen = gen_stopped_at(proj, renamed, "--run")
    gen.kill()
    gen.communicate()
    assert len(batch(proj)) == renamed  # what the kill left: part of the batch in, `pending`
    assert set(batch(proj).values()) <= {Status.PENDING}

    listed = pyr(proj.dir, "ls", "--json")
    assert listed.code == 0, listed.err
    assert {t["name"] for t in listed.json() if t["name"].startswith("b_")} == {f"b_{i}-of-{COUNT}" for i in range(1, COUNT + 1)}
    assert set(batch(proj).values()) == {Status.QUEUED}
    assert staging(proj) == []
    assert listed.err.count("pyr-tui: note: ") == 1
    assert (f"pyr-tui: note: finished a batch of {COUNT} tasks that an interrupted gen left half-written "
            f"({COUNT - renamed} moved in, {COUNT} queued)") in listed.err
    again = pyr(proj.dir, "ls", "--json")
    assert "note" not in again.err  # said once


def test_a_gen_killed_mid_batch_is_finished_by_the_next_gen_without_queueing_it(argparse_project: Project) -> None:
    proj = argparse_project
    gen = gen_stopped_at(proj, 5)
    gen.kill()
    gen.communicate()
    assert len(batch(proj)) == 5
    spec = proj.dir.parent / "one.yaml"
    spec.write_text("seed: 99\n")
    made = pyr(proj.dir, "gen", str(spec), "-n", "one")
    assert made.code == 0, made.err
    assert batch(proj) == {f"b_{i}-of-{COUNT}": Status.PENDING for i in range(1, COUNT + 1)}
    assert f"finished a batch of {COUNT} tasks that an interrupted gen left half-written ({COUNT - 5} moved in)" in made.err
    assert staging(proj) == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGHUP, -signal.SIGHUP), (signal.SIGINT, 130),
                                           (signal.SIGTERM, -signal.SIGTERM)])
def test_a_signal_to_gen_run_mid_batch_waits_for_the_whole_batch_queued(argparse_project: Project,
                                                                        sig: signal.Signals, code: int) -> None:
    proj = argparse_project
    hold_the_queue(proj)
    gen = gen_stopped_at(proj, 4, "--run")
    gen.send_signal(sig)
    gen.send_signal(signal.SIGCONT)
    _, err = gen.communicate(timeout=60)
    assert gen.returncode == code, err
    assert batch(proj) == {f"b_{i}-of-{COUNT}": Status.QUEUED for i in range(1, COUNT + 1)}
    assert staging(proj) == []
    if sig != signal.SIGHUP:  # (a hang-up has no terminal to say it on)
        assert err.startswith(f"pyr-tui: finishing the batch ({COUNT} tasks) before stopping"), err


def test_a_second_ctrl_c_does_not_cut_the_batch_and_says_so(argparse_project: Project) -> None:
    proj = argparse_project
    hold_the_queue(proj)
    gen = gen_stopped_at(proj, "3,6", "--run")
    gen.send_signal(signal.SIGINT)
    gen.send_signal(signal.SIGCONT)
    _, status = os.waitpid(gen.pid, os.WUNTRACED)  # stopped again, after 6 renames
    assert os.WIFSTOPPED(status)
    gen.send_signal(signal.SIGINT)
    gen.send_signal(signal.SIGCONT)
    _, err = gen.communicate(timeout=60)
    assert gen.returncode == 130, err
    assert batch(proj) == {f"b_{i}-of-{COUNT}": Status.QUEUED for i in range(1, COUNT + 1)}
    lines = err.splitlines()
    assert lines[0] == f"pyr-tui: finishing the batch ({COUNT} tasks) before stopping…", err
    assert lines[1].startswith(f"pyr-tui: still finishing the batch ({COUNT} tasks); it stops right after"), err


def test_a_live_writers_batch_is_never_touched(argparse_project: Project) -> None:
    proj = argparse_project
    hold_the_queue(proj)
    gen = gen_stopped_at(proj, 5, "--run")
    try:
        before = staging(proj)
        listed = pyr(proj.dir, "ls", "--json")
        assert listed.code == 0, listed.err
        assert "note" not in listed.err
        assert len(batch(proj)) == 5
        assert staging(proj) == before and len(before) == 1
        assert sorted(os.listdir(Path(proj.layout.tasks_dir) / before[0]))[0] == ".batch.json"
    finally:
        gen.send_signal(signal.SIGCONT)
        out, err = gen.communicate(timeout=60)
    assert gen.returncode == 0, err
    assert batch(proj) == {f"b_{i}-of-{COUNT}": Status.QUEUED for i in range(1, COUNT + 1)}
    assert staging(proj) == []


def runner_up(proj: Project) -> int:
    """A real runner that stays up while the test looks (no idle exit); its pid."""
    proj.layout.settings_file.write_text(SETTINGS.replace("runner_idle_exit_s: 20", "runner_idle_exit_s: 600"))
    client.ensure_runner(proj.layout)
    return proj.runner_pid()


@pytest.mark.parametrize("renamed", [0, COUNT // 2, COUNT])
def test_a_gen_run_killed_mid_batch_is_finished_queued_and_run_by_the_runner_alone(argparse_project: Project,
                                                                                  renamed: int) -> None:
    # gen --run cut by a dropped SSH link while the runner is up, and no command typed after it
    proj = argparse_project
    runner = runner_up(proj)
    gen = gen_stopped_at(proj, renamed, "--run")
    gen.kill()
    gen.communicate()
    every = {f"b_{i}-of-{COUNT}" for i in range(1, COUNT + 1)}
    wait_until(lambda: (b := batch(proj)).keys() == every and set(b.values()) == {Status.COMPLETED}, 60,
               "the runner to finish, queue and run the batch", interval=0.05)
    assert staging(proj) == []
    assert proj.runner_pid() == runner  # that runner, no other started meanwhile
    log = (proj.layout.runner_dir / "runner.log").read_text()
    assert log.count("finished a batch of") == 1
    assert (f"finished a batch of {COUNT} tasks that an interrupted gen left half-written "
            f"({COUNT - renamed} moved in, {COUNT} queued)") in log


def test_the_runners_full_pass_never_touches_a_live_writers_batch_nor_waits_for_it(argparse_project: Project) -> None:
    proj = argparse_project
    gen = gen_stopped_at(proj, 5, "--run")  # alive, stopped: it holds its record's lock and the workspace's
    sched = Scheduler(proj.layout, NoGpus())
    try:
        before = staging(proj)
        sched.request_full_scan()
        sched.tick()  # returns: the record's lock is tried, never waited for
        assert sched._staged == before and len(before) == 1
        assert len(batch(proj)) == 5 and staging(proj) == before
        assert sorted(os.listdir(Path(proj.layout.tasks_dir) / before[0]))[0] == ".batch.json"
    finally:
        sched.close()
        gen.send_signal(signal.SIGCONT)
        _, err = gen.communicate(timeout=60)
    assert gen.returncode == 0, err
    assert staging(proj) == []
    assert len(batch(proj)) == COUNT
