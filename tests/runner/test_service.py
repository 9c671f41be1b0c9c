"""The runner process: one per workspace, detached, SIGHUP-proof, exits when idle, stops on request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psutil

from pyruns_tui.runner import client, control
from pyruns_tui.runner.paths import RunnerPaths
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.runner.harness import Project, until

ENSURE = (
    "import sys; from pathlib import Path; from pyruns_tui.runner.client import ensure_runner;"
    "from pyruns_tui.workspace.layout import Layout; print(ensure_runner(Layout(Path(sys.argv[1]), '_shell_')))"
)


def test_clients_starting_the_runner_at_once_get_one_runner(project: Project) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", ENSURE, str(project.layout.root)], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    pids = {int(proc.communicate(timeout=60)[0]) for proc in procs}
    runners = [p for p in psutil.process_iter(["cmdline"])
               if "pyruns_tui.runner.daemon.service" in " ".join(p.info["cmdline"] or []) and str(project.dir) in " ".join(p.info["cmdline"] or [])]
    assert len(runners) == 1
    assert pids - {0} == {runners[0].pid}


def test_the_runner_is_detached_and_ignores_sighup(project: Project) -> None:
    pid = client.ensure_runner(project.layout)
    proc = psutil.Process(pid)
    assert os.getsid(pid) != os.getsid(0) and proc.ppid() != os.getpid()
    assert proc.terminal() is None
    os.kill(pid, signal.SIGHUP)
    name = project.add("after-hup", "print('ok')")
    control.queue(project.store, [name])  # a dead runner would be replaced: check it is the same
    assert project.wait(name)[name].status is Status.COMPLETED
    assert client.runner_info(project.layout).pid == pid  # type: ignore[union-attr]


def test_an_idle_runner_exits_on_its_own(project: Project) -> None:
    project.layout.settings_file.write_text("runner_idle_exit_s: 0.2\n")
    name = project.add("quick", "pass")
    control.queue(project.store, [name])
    project.wait(name)
    until(lambda: not client.runner_alive(project.layout), what="the idle runner to exit")
    assert not project.runner_paths.info.exists()


def test_runner_stop_leaves_tasks_running_for_the_next_runner(project: Project) -> None:
    code, release = project.gate("keep")
    name = project.add("keep", code)
    control.queue(project.store, [name])
    until(lambda: project.task(name).status is Status.RUNNING, what="the task to run")
    assert client.stop_runner(project.layout)
    assert not client.runner_alive(project.layout)
    assert project.task(name).status is Status.RUNNING
    release()
    assert project.wait(name)[name].status is Status.COMPLETED  # a new runner picks up the record


def test_run_j_sets_the_concurrency_for_the_runner_session(project: Project) -> None:
    client.set_concurrency(project.layout, 1)
    gates = [project.gate(f"j{i}") for i in range(2)]
    names = [project.add(f"j{i}", code) for i, (code, _) in enumerate(gates)]
    control.queue(project.store, names)
    until(lambda: project.task(names[0]).status is Status.RUNNING, what="the first task")
    assert project.task(names[1]).status is Status.QUEUED
    client.set_concurrency(project.layout, 2)
    client.wake_runner(project.layout)
    until(lambda: project.task(names[1]).status is Status.RUNNING, what="the second task after -j 2")
    for _, release in gates:
        release()
    project.wait(*names)


def test_run_j_again_with_the_same_value_leaves_the_file_alone(project: Project) -> None:
    # `run -j 4` each time a sweep is started: the rename over the file is ~1 ms of the first task's wait
    control_json = RunnerPaths.of(project.layout).control
    client.set_concurrency(project.layout, 4)
    first = os.stat(control_json)
    client.set_concurrency(project.layout, 4)
    assert os.stat(control_json).st_ino == first.st_ino
    client.set_concurrency(project.layout, 2)
    assert os.stat(control_json).st_ino != first.st_ino
    assert json.loads(control_json.read_text()) == {"max_concurrency": 2}
    os.unlink(control_json)
    control_json.write_text('{"max_concurrency": 2, "x": 1}\n')  # anything else there is replaced
    client.set_concurrency(project.layout, 2)
    assert json.loads(control_json.read_text()) == {"max_concurrency": 2}


def test_a_runner_started_while_the_queue_is_written_runs_every_task_once(project: Project) -> None:
    # `run` starts a missing runner first and queues while it starts up: the runner may look
    # before, during and after the writes; the wake-up after the block makes it see the rest
    names = [project.add(f"w{i}", "pass") for i in range(12)]
    client.set_concurrency(project.layout, 3)
    assert not client.runner_alive(project.layout)
    with client.starting_runner(project.layout):
        control.queue(project.store, names[:6], start_runner=False)
        # the new runner starts some of them while spawn.lock is still held by this block
        until(lambda: any(project.task(n).status is not Status.QUEUED for n in names[:6]),
              what="the new runner to start a task of the first half")
        assert client.runner_alive(project.layout)
        control.queue(project.store, names[6:], start_runner=False)
    tasks = project.wait(*names)
    assert all(t.status is Status.COMPLETED and len(t.runs) == 1 for t in tasks.values())
    runners = [p for p in psutil.process_iter(["cmdline"])
               if "pyruns_tui.runner.daemon.service" in " ".join(p.info["cmdline"] or []) and str(project.dir) in " ".join(p.info["cmdline"] or [])]
    assert len(runners) == 1


def test_a_long_queue_lets_the_runner_start_tasks_before_the_rest_is_written(project: Project, monkeypatch) -> None:
    # queueing 10,000 tasks took 5-9 s under the workspace lock: nothing started until the last
    # was written. It is written in parts now, the runner woken after the first; here the second
    # part waits (lock let go) until the runner has started the first task.
    names = [project.add(f"p{i}", "pass") for i in range(5)]
    client.ensure_runner(project.layout)
    monkeypatch.setattr(control, "QUEUE_PART", 2, raising=False)  # (absent before the parts)
    real_lock, real_write = project.store.lock, project.store._write  # (save_all writes each through _write)
    holds = []
    first_status_when_last_written = []

    def lock():  # type: ignore[no-untyped-def]
        holds.append(1)
        if len(holds) == 2:
            until(lambda: project.task(names[0]).runs, what="the runner to start the first part meanwhile")
        return real_lock()

    def write(task, **kwargs):  # type: ignore[no-untyped-def]
        if task.name == names[-1]:
            first_status_when_last_written.append(project.task(names[0]).status)
        return real_write(task, **kwargs)

    monkeypatch.setattr(project.store, "lock", lock)
    monkeypatch.setattr(project.store, "_write", write)
    outcome = control.queue(project.store, names)
    assert outcome.changed == names
    assert first_status_when_last_written and first_status_when_last_written[0] is not Status.QUEUED
    monkeypatch.setattr(project.store, "lock", real_lock)
    tasks = project.wait(*names)
    assert all(t.status is Status.COMPLETED and len(t.runs) == 1 for t in tasks.values())


def test_a_queue_is_written_in_parts_that_start_small(project: Project, monkeypatch) -> None:
    # the runner is woken after the first part: a first part of 64 made a batch of 40 wait for all
    # 40 records (and the runner read all 40) before its first task started
    store = project.store
    names = [n.name for n in store.create_tasks([NewTask(f"q{i}", {}, command="true") for i in range(100)],
                                                 task_kind="shell", script=None)]
    parts: list[int] = []
    real_save_all = store.save_all

    def save_all(tasks, **kwargs):  # type: ignore[no-untyped-def]
        parts.append(len(tasks))
        return real_save_all(tasks, **kwargs)

    monkeypatch.setattr(store, "save_all", save_all)
    outcome = control.queue(store, names, start_runner=False)
    assert outcome.changed == names
    assert parts == [8, 8, 16, 32, 36]
    times = [store.get(name).queued_at for name in names]
    assert times == sorted(times) and len(set(times)) == len(names)  # the queue keeps the given order


def test_starting_runner_with_a_runner_up_only_wakes_it(project: Project) -> None:
    pid = client.ensure_runner(project.layout)
    name = project.add("warm", "pass")
    with client.starting_runner(project.layout):
        control.queue(project.store, [name], start_runner=False)
    assert project.wait(name)[name].status is Status.COMPLETED
    assert project.runner_pid() == pid


def test_the_runner_reads_its_command_line_without_argparse_and_with_it() -> None:
    from pyruns_tui.runner.daemon.service import parse_args

    assert parse_args(["--ready-fd", "7", "/p/_pyruns_", "ws"]) == ("/p/_pyruns_", "ws", 7)
    assert parse_args(["/p/_pyruns_", "ws", "--ready-fd", "7"]) == ("/p/_pyruns_", "ws", 7)
    assert parse_args(["/p/_pyruns_", "ws"]) == ("/p/_pyruns_", "ws", None)


def test_the_first_script_task_queued_to_a_runner_that_is_up_imports_nothing(project: Project, monkeypatch) -> None:
    """What building a launch needs (PyYAML for config.yaml, the argparse model) is imported once
    the runner is ready: the first task queued to it waited ~35 ms for those imports before."""
    from pyruns_tui.workspace.bootstrap import init_workspace

    script = project.dir / "train.py"
    script.write_text("import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float)\n"
                      "print(p.parse_args())\n")
    layout = init_workspace(project.dir, script)
    store = TaskStore(layout)
    name = store.create_tasks([NewTask("a", {"lr": 0.5})], task_kind="argparse", script=str(script))[0].name
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # the runner writes a line per module it imports to its log
    log = RunnerPaths.of(layout).log
    try:
        client.ensure_runner(layout)
        warm = ("pyruns_tui.params.yamlio\n", "pyruns_tui.params.argparse_ast\n", "pyruns_tui.params.argv\n",
                "pyruns_tui.logs.terminal\n")
        until(lambda: all(module in log.read_text() for module in warm), what="the runner to import the launch's modules")
        before = log.stat().st_size
        control.queue(store, [name])
        task = control.wait(store, [name], timeout_s=60)[name]
        assert task.status is Status.COMPLETED, task.reason
        assert layout.run_log(name, 1).read_bytes().endswith(b"Namespace(lr=0.5)\n")
        with log.open("rb") as fh:
            fh.seek(before)
            imported = [line for line in fh.read().decode().splitlines() if line.startswith("import time:")]
        assert imported == []
    finally:
        client.stop_runner(layout)


def test_a_damaged_script_info_fails_the_tasks_not_the_runner(project: Project) -> None:
    """valid JSON that is not a script_info (a list here) made the runner fail at its start, over
    and over, leaving the tasks queued: they fail with the one-line reason and the runner stays."""
    from pyruns_tui.workspace.bootstrap import init_workspace

    script = project.dir / "train.py"
    script.write_text("import argparse\nargparse.ArgumentParser().parse_args()\n")
    layout = init_workspace(project.dir, script)
    store = TaskStore(layout)
    name = store.create_tasks([NewTask("a", {})], task_kind="argparse", script=str(script))[0].name
    layout.script_info.write_text("[]")
    try:
        control.queue(store, [name])
        task = control.wait(store, [name], timeout_s=60)[name]
        assert task.status is Status.FAILED
        assert "script_info.json is damaged (not a JSON object)" in (task.reason or "")
        assert client.runner_alive(layout)
    finally:
        client.stop_runner(layout)


def test_the_runner_starts_without_the_terminal_model() -> None:
    # a runner started by `run` imported rich (~20 ms, through the output watches' terminal
    # model) before it could start the first task; it is imported after the runner is ready
    code = ("import sys; from pyruns_tui.runner.daemon import service, scheduler; "
            "print(sorted(m for m in ('rich', 'pyruns_tui.logs.terminal') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
