"""A runner killed with SIGKILL: its tasks are re-adopted or failed with a reason, never left running."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from pyruns_tui.runner import client, control
from pyruns_tui.runner.daemon.proc import RunState
from pyruns_tui.runner.daemon.supervisor import OUTPUT_QUIET_S
from pyruns_tui.workspace.model import Status, parse_iso
from pyruns_tui.workspace.progress_file import read_run_progress
from tests.runner.harness import Project, until
from tests.waiting import process_ended


def start_gated(project: Project, name: str) -> tuple[str, object]:
    code, release = project.gate(name)
    task = project.add(name, "print('before', flush=True)\n" + code + "print('after')\n")
    control.queue(project.store, [task])
    until(lambda: project.task(task).status is Status.RUNNING and project.layout.run_log(task, 1).exists()
          and project.log(task) == b"before\n", what="the task to print")
    return task, release


def kill_runner(project: Project) -> None:
    pid = project.runner_pid()
    os.kill(pid, signal.SIGKILL)
    until(lambda: not client.runner_alive(project.layout), what="the runner to die")


def all_json_files_parse(project: Project) -> None:
    for path in project.layout.workspace_dir.rglob("*.json"):
        json.loads(path.read_bytes())


def test_a_new_runner_adopts_a_live_task_whose_log_keeps_growing(project: Project) -> None:
    name, release = start_gated(project, "live")
    kill_runner(project)
    assert project.task(name).status is Status.RUNNING
    client.ensure_runner(project.layout)
    until(lambda: "re-adopted" in project.runner_paths.log.read_text(), what="the adoption")
    release()  # type: ignore[operator]
    task = project.wait(name)[name]
    assert task.status is Status.COMPLETED and len(task.runs) == 1 and task.runs[0].exit_code == 0
    assert project.log(name) == b"before\nafter\n"
    all_json_files_parse(project)


def test_an_adopted_runs_line_after_a_pause_reaches_the_progress_at_once(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The supervisor's channel went with the runner that started the run: the new runner hears
    of output after a pause on its wake-up FIFO. Its periodic look never comes here
    (PYRUNS_TUI_OUTPUT_POLL_S), so only that word can bring the line to the progress sidecar."""
    monkeypatch.setenv("PYRUNS_TUI_OUTPUT_POLL_S", "3600")
    code, release = project.gate("paused")
    second, release_second = project.gate("second")
    name = project.add("paused", "print('epoch 1/4', flush=True)\n" + code + "print('epoch 2/4', flush=True)\n" + second)
    control.queue(project.store, [name])
    until(lambda: project.task(name).status is Status.RUNNING and project.log(name) == b"epoch 1/4\n",
          what="the task to print")
    printed = time.monotonic()
    kill_runner(project)
    client.ensure_runner(project.layout)
    until(lambda: "re-adopted" in project.runner_paths.log.read_text(), what="the adoption")
    # the next line must come after a pause (OUTPUT_QUIET_S) to be told: a quick restart took less
    until(lambda: time.monotonic() - printed > 2 * OUTPUT_QUIET_S, what="a pause after the first line")
    release()  # type: ignore[operator]
    task_dir = project.layout.task_dir(name)
    until(lambda: (p := read_run_progress(task_dir, run=1)) is not None and p.progress_label == "epoch 2/4",
          what="the line after the pause in the progress sidecar")
    release_second()
    assert project.wait(name)[name].status is Status.COMPLETED


def test_a_task_that_ended_while_no_runner_watched_is_finished_from_its_record(project: Project) -> None:
    name, release = start_gated(project, "ended")
    kill_runner(project)
    release()  # type: ignore[operator]
    state = project.runner_paths.run_state(name, 1)
    until(lambda: (s := RunState.read(state)) is not None and s.exited, what="the supervisor's record")
    task = project.wait(name)[name]  # wait() starts a runner again, which reads the record
    assert task.status is Status.COMPLETED and task.runs[0].duration_s is not None
    assert project.log(name) == b"before\nafter\n"
    until(lambda: not state.exists(), what="the consumed record to go")


def test_a_run_that_ended_while_no_runner_watched_finishes_when_it_ended_not_when_recorded(project: Project) -> None:
    # its `finish` was the time the next runner recorded it (here: after the restart; under load
    # seconds late for every run), so a run seemed to last until then and runs seemed to overlap
    name, release = start_gated(project, "ended")
    kill_runner(project)
    release()  # type: ignore[operator]
    path = project.runner_paths.run_state(name, 1)
    until(lambda: (s := RunState.read(path)) is not None and s.exited, what="the supervisor's record")
    state = RunState.read(path)
    assert state is not None and state.finished_at is not None
    before_restart = time.time()
    run = project.wait(name)[name].runs[0]  # wait() starts a runner again, which reads the record
    finish = parse_iso(run.finish)
    assert finish is not None and finish <= before_restart and abs(finish - state.finished_at) < 0.001, run.finish


def test_a_task_whose_supervisor_died_too_is_failed_as_runner_lost(project: Project) -> None:
    name, _ = start_gated(project, "lost")
    state = RunState.read(project.runner_paths.run_state(name, 1))
    assert state is not None and state.child_pid
    kill_runner(project)
    os.kill(state.supervisor_pid, signal.SIGKILL)
    task = project.wait(name)[name]
    assert task.status is Status.FAILED and (task.reason or "").startswith("runner lost")
    assert task.runs[0].status is Status.FAILED
    until(lambda: process_ended(state.child_pid), what="the orphaned task to be gone")
    all_json_files_parse(project)


def test_a_stop_requested_while_the_runner_is_dead_is_carried_out_by_the_next(project: Project) -> None:
    name, _ = start_gated(project, "stopme")
    kill_runner(project)
    outcome = control.stop(project.store, [name])  # starts a runner, which adopts, then stops
    assert outcome.stopping == [name]
    task = project.wait(name)[name]
    assert task.status is Status.INTERRUPTED and task.reason == "stopped by user"


def test_attach_starts_a_runner_only_when_active_tasks_have_none(project: Project) -> None:
    assert control.attach(project.store) is False  # nothing to look after
    name, release = start_gated(project, "attached")
    assert control.attach(project.store) is False  # the runner is alive
    kill_runner(project)
    assert control.attach(project.store) is True
    until(lambda: "re-adopted" in project.runner_paths.log.read_text(), what="the adoption")
    release()  # type: ignore[operator]
    assert project.wait(name)[name].status is Status.COMPLETED


def test_a_run_whose_start_record_a_power_loss_undid_starts_with_an_empty_log(project: Project) -> None:
    """The runner's start record is not synced (docs/workspace.md): after a power loss the task can
    be `queued` again with its run 1 log on disk. The new run 1 must not append to that output."""
    name = project.add("again", "print('second start')")
    log = project.layout.run_log(name, 1)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"first start, cut by the power loss\n")
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.COMPLETED and [r.index for r in task.runs] == [1]
    assert project.log(name) == b"second start\n"
