"""The runner end to end: states, run records, history, order, concurrency, cancel, environment."""

from __future__ import annotations

import json
import os
import stat
import sys

import psutil

from pyruns_tui.runner import client, control
from pyruns_tui.runner.daemon.proc import RunState
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import NewTask
from tests.runner.harness import Project, slow_git, until


def test_a_task_completes_with_a_full_run_record(project: Project, monkeypatch) -> None:
    monkeypatch.setenv("MY_API_TOKEN", "hunter2")
    name = project.add("ok", "print('hello')")
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.COMPLETED and task.reason is None
    run = task.runs[0]
    assert (run.index, run.status, run.exit_code, run.signal) == (1, Status.COMPLETED, 0, None)
    assert run.pid and run.start and run.finish and run.duration_s is not None and run.host
    assert run.python == sys.executable and run.log == "run_logs/run1.log"
    env = project.store.run_env(name, run)
    assert env["MY_API_TOKEN"] == "<redacted>" and "hunter2" not in json.dumps(task.to_dict())
    assert env["PYRUNS_TASK_DIR"] == str(project.layout.task_dir(name).resolve())
    assert not run.env and stat.S_IMODE(os.stat(project.layout.run_env(name, 1)).st_mode) == 0o600
    assert project.log(name) == b"hello\n"
    # the supervisor's record is consumed (removed right after task_info.json is written)
    until(lambda: not any(project.runner_paths.runs_dir.iterdir()), what="the run's state file to go")


def test_failure_by_exit_code_and_by_signal(project: Project) -> None:
    code = project.add("code", "raise SystemExit(3)")
    killed = project.add("killed", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    control.queue(project.store, [code, killed])
    tasks = project.wait(code, killed)
    assert tasks[code].status is Status.FAILED and tasks[code].reason == "exit code 3"
    assert tasks[code].runs[0].exit_code == 3
    assert tasks[killed].status is Status.FAILED and tasks[killed].runs[0].signal == 9
    assert tasks[killed].reason == "killed by signal 9 (SIGKILL)"


def test_rerun_appends_a_run_and_keeps_earlier_logs(project: Project) -> None:
    counter = project.dir / "count"
    name = project.add("again", f"import pathlib; p = pathlib.Path({str(counter)!r}); n = len(p.read_text()) if p.exists() else 0; p.write_text('x' * (n + 1)); print('run', n + 1)")
    control.queue(project.store, [name])
    project.wait(name)
    assert control.rerun(project.store, [name]).changed == [name]
    task = project.wait(name)[name]
    assert [r.index for r in task.runs] == [1, 2] and all(r.status is Status.COMPLETED for r in task.runs)
    assert project.log(name, 1) == b"run 1\n" and project.log(name, 2) == b"run 2\n"
    assert task.runs[0].pid != task.runs[1].pid


def test_queue_order_is_fifo_with_force_first_and_the_limit_holds(project: Project) -> None:
    client.set_concurrency(project.layout, 1)
    order = project.dir / "order"
    blocker_code, release = project.gate("first")
    first = project.add("first", blocker_code)
    names = [project.add(f"n{i}", f"open({str(order)!r}, 'a').write('n{i} ')") for i in range(4)]
    control.queue(project.store, [first])
    until(lambda: project.task(first).status is Status.RUNNING, what="the first task to run")
    control.queue(project.store, names)
    control.force_start(project.store, ["n3"])  # jumps the queue and ignores the limit
    until(lambda: project.task("n3").status is Status.COMPLETED, what="the forced task")
    assert all(project.task(n).status is Status.QUEUED for n in names[:3])
    release()
    project.wait(first, *names)
    assert order.read_text().split() == ["n3", "n0", "n1", "n2"]


def test_concurrency_limit_is_never_exceeded(project: Project) -> None:
    client.set_concurrency(project.layout, 2)
    live = project.dir / "live"
    live.mkdir()
    code = (
        "import os, time\n"
        f"d = {str(live)!r}; me = os.path.join(d, str(os.getpid())); open(me, 'w').close()\n"
        "peak = len(os.listdir(d)); time.sleep(0.05); os.unlink(me); print(peak)\n"
    )
    names = [project.add(f"c{i}", code) for i in range(6)]
    control.queue(project.store, names)
    project.wait(*names)
    peaks = [int(project.log(n)) for n in names]
    assert max(peaks) <= 2


def test_cancel_takes_a_queued_task_back_to_pending(project: Project) -> None:
    client.set_concurrency(project.layout, 1)
    code, release = project.gate("busy")
    busy = project.add("busy", code)
    waiting = project.add("waiting", "print('should not run')")
    control.queue(project.store, [busy, waiting])
    until(lambda: project.task(busy).status is Status.RUNNING, what="busy to run")
    assert control.cancel(project.store, [waiting]).changed == [waiting]
    release()
    project.wait(busy)
    task = project.task(waiting)
    assert task.status is Status.PENDING and not task.runs and task.queued_at is None


def test_environment_and_working_directory_of_a_task(project: Project) -> None:
    project.layout.settings_file.write_text(project.layout.settings_file.read_text() + "env: {EXTRA: 'yes'}\n")
    code = "import os, sys; print(os.getcwd()); print(os.environ['__PYRUNS_CONFIG__']); print(os.environ['EXTRA'], os.environ['PYTHONUNBUFFERED'], os.environ['TERM'])"
    name = project.add("env", code)
    control.queue(project.store, [name])
    assert project.wait(name)[name].status is Status.COMPLETED, project.explain(name)
    cwd, config, rest = project.log(name).decode().splitlines()
    assert cwd == str(project.dir.resolve())
    assert config == str(project.layout.task_config(name).resolve())
    assert rest == "yes 1 xterm-256color"


def test_python_script_tasks_get_their_config_as_argv(project: Project, tmp_path) -> None:
    script = project.dir / "train.py"
    script.write_text("import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\n"
                      "p.add_argument('--fast', action='store_true')\nprint(p.parse_args())\n")
    from pyruns_tui.workspace.bootstrap import init_workspace
    from pyruns_tui.workspace.store import TaskStore

    layout = init_workspace(project.dir, script)
    store = TaskStore(layout)
    created = store.create_tasks([NewTask("a", {"lr": 0.5, "fast": True})], task_kind="argparse", script=str(script))
    try:
        control.queue(store, [created[0].name])
        task = control.wait(store, ["a"], timeout_s=60)["a"]
        assert task.status is Status.COMPLETED, task.reason
        assert layout.run_log("a", 1).read_bytes() == b"Namespace(lr=0.5, fast=True)\n"
    finally:
        client.stop_runner(layout)


def test_a_task_that_cannot_be_built_fails_with_the_reason(project: Project) -> None:
    name = project.add("empty", command="  ")
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.FAILED and "config.sh is empty" in (task.reason or "")


def test_supervisors_started_as_new_interpreters_work_the_same(project: Project, monkeypatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_EXEC_SUPERVISOR", "1")  # the runner's fallback when it has threads
    done = project.add("done", "print('exec mode')")
    code, _ = project.gate("never")
    stopped = project.add("stopped", code)
    control.queue(project.store, [done, stopped])
    until(lambda: project.task(stopped).status is Status.RUNNING, what="the gated task")
    state_path = project.runner_paths.run_state(stopped, 1)
    until(lambda: RunState.read(state_path) is not None, what="its supervisor")
    supervisor = psutil.Process(RunState.read(state_path).supervisor_pid)  # type: ignore[union-attr]
    assert any(part.endswith("supervisor.py") for part in supervisor.cmdline())
    control.stop(project.store, [stopped])
    tasks = project.wait(done, stopped)
    assert tasks[done].status is Status.COMPLETED and project.log(done) == b"exec mode\n"
    assert tasks[done].runs[0].pid
    assert tasks[stopped].status is Status.INTERRUPTED


def test_a_run_whose_log_could_not_be_written_failed_whatever_its_exit_code() -> None:
    from pyruns_tui.runner.daemon.runs import exit_reason

    def state(**kw: object) -> RunState:
        base = dict(task="t", run=1, supervisor_pid=1, child_pid=2, started_at=0.0, exited=True, exit_code=0,
                    signal=None, stopped=False, finished_at=1.0, duration_s=1.0, error=None)
        return RunState(**{**base, **kw})  # type: ignore[arg-type]

    full = "cannot write the log: No space left on device"
    assert exit_reason(state()) == (Status.COMPLETED, None)
    assert exit_reason(state(error=full)) == (Status.FAILED, full)
    assert exit_reason(state(exit_code=2, error=full)) == (Status.FAILED, f"exit code 2; {full}")
    assert exit_reason(state(stopped=True, error=full)) == (Status.INTERRUPTED, "stopped by user")


def test_a_symlinked_run_logs_folder_is_refused(project: Project, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    name = project.add("linked", "print('secret output')")
    logs = project.layout.task_dir(name) / "run_logs"
    if logs.exists():
        logs.rmdir()
    logs.symlink_to(outside)
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.FAILED and "symbolic link" in (task.reason or "")
    assert not any(outside.iterdir())


def test_the_first_pass_over_many_tasks_leaves_to_the_scan_index_what_it_settles(project: Project) -> None:
    from pyruns_tui.runner.daemon.scheduler import INDEX_AFTER, Scheduler
    from pyruns_tui.runner.gpus import NoGpus
    from pyruns_tui.workspace.fsio import atomic_write

    created = project.store.create_tasks([NewTask(f"p{i}", {}, command="true") for i in range(INDEX_AFTER + 200)],
                                         task_kind="shell", script=None)
    names = [t.name for t in created]
    queued = names[:2]
    control.queue(project.store, queued, start_runner=False)
    by_hand = names[2]  # rewritten behind the index's back: its row no longer matches, it is read
    info = project.layout.task_info(by_hand)
    atomic_write(info, info.read_bytes().replace(b'"pending"', b'"queued"'))
    scheduler = Scheduler(project.layout, NoGpus())
    parsed: list[str] = []
    read = scheduler.store.read_uncached

    def counting(name: str):  # the real read, counted
        parsed.append(name)
        return read(name)

    scheduler.store.read_uncached = counting  # type: ignore[method-assign]
    try:
        active = scheduler._active_tasks()
        first = sorted(parsed)
        parsed.clear()
        scheduler._active_tasks()
    finally:
        scheduler.close()
        if scheduler.spawner is not None:
            scheduler.spawner.proc.wait(10)
    assert sorted(t.name for t in active) == sorted([*queued, by_hand])
    # INDEX_AFTER files are parsed before the index is read; after that only the three it cannot
    # settle (queued, or changed behind its back) are
    assert {*queued, by_hand} <= set(first) and len(first) <= INDEX_AFTER + 3
    assert parsed == []  # and from then on every task is remembered by its stat


def test_a_slow_git_holds_only_the_tasks_of_its_folder(project: Project, tmp_path, monkeypatch) -> None:
    """The git state a run records is read in a thread: while `git` hangs on one folder (a large
    repository on a network filesystem), a task of another folder starts and ends, and the
    waiting task starts once its git state is known, with it. The runner used to wait for git
    in its loop, give up after 2 s and start the task with no git state."""
    from pyruns_tui.workspace.bootstrap import init_workspace
    from pyruns_tui.workspace.store import TaskStore

    hang = slow_git(project.dir, tmp_path, monkeypatch)
    slow, quick, head, gate = hang.slow, hang.quick, hang.head, hang.gate
    layout = init_workspace(project.dir, slow / "main.py")
    store = TaskStore(layout)
    waits = store.create_tasks([NewTask("waits", {})], task_kind="plain", script=str(slow / "main.py"))[0].name
    runs = store.create_tasks([NewTask("runs", {})], task_kind="plain", script=str(quick / "main.py"))[0].name
    try:
        control.queue(store, [waits, runs])
        done = control.wait(store, [runs], timeout_s=60)[runs]
        assert done.status is Status.COMPLETED and layout.run_log(runs, 1).read_bytes() == b"ran in quick\n"
        assert done.runs[0].git is None  # `quick` is no repository
        assert store.get(waits).status is Status.QUEUED  # its git state is not known yet
        gate.touch()
        task = control.wait(store, [waits], timeout_s=60)[waits]
        assert task.status is Status.COMPLETED and layout.run_log(waits, 1).read_bytes() == b"ran in slow\n"
        assert task.runs[0].git is not None and task.runs[0].git["commit"] == head
    finally:
        gate.touch()
        client.stop_runner(layout)


def test_the_runner_reads_its_workspaces_git_state_as_it_starts(project: Project, tmp_path, monkeypatch) -> None:
    """The first task queued to a runner waited for `git rev-parse` and `git status` of its
    script's folder (2-10 ms; a large repository much longer) before it started. The runner
    reads that folder's git state as it starts, in a thread, with no task queued; a task queued
    meanwhile waits for that read and records its result."""
    from pyruns_tui.workspace.bootstrap import init_workspace
    from pyruns_tui.workspace.store import TaskStore

    hang = slow_git(project.dir, tmp_path, monkeypatch)
    layout = init_workspace(project.dir, hang.slow / "main.py")
    store = TaskStore(layout)
    try:
        client.ensure_runner(layout)
        until(hang.asked.exists, timeout=10, what="the runner to ask git with no task queued")
        name = store.create_tasks([NewTask("first", {})], task_kind="plain", script=str(hang.slow / "main.py"))[0].name
        control.queue(store, [name])
        hang.gate.touch()
        task = control.wait(store, [name], timeout_s=60)[name]
        assert task.status is Status.COMPLETED and layout.run_log(name, 1).read_bytes() == b"ran in slow\n"
        assert task.runs[0].git is not None and task.runs[0].git["commit"] == hang.head
    finally:
        hang.gate.touch()
        client.stop_runner(layout)


def test_runner_status_counts_no_run_whose_end_is_being_recorded(project: Project, capsys) -> None:
    """A freed slot goes to the next queued task before the ended run's record is written (the
    test above), so for a few milliseconds task_info.json shows more running tasks than the
    limit, and `runner status` listed them all: 6 running under `run -j 4`. The processes never
    exceeded the limit. Here the runner is held at that moment: at -j 1, `a` ended and its slot
    went to `b`, `a`'s record not written yet; status lists `b` alone."""
    import asyncio

    from pyruns_tui.runner.daemon.scheduler import Scheduler
    from pyruns_tui.runner.gpus import NoGpus
    from pyruns_tui.runner.liveness import running

    client.set_concurrency(project.layout, 1)
    gates = {name: project.gate(name) for name in ("a", "b")}
    a, b = (project.add(name, code) for name, (code, _) in gates.items())
    control.queue(project.store, [a, b], start_runner=False)
    loop = asyncio.new_event_loop()  # never run: the test plays the runner's loop, one step at a time
    scheduler = Scheduler(project.layout, NoGpus())
    scheduler.loop = loop

    def end(name: str) -> None:  # what the loop does when a run ends, up to its record (owed)
        state = project.runner_paths.run_state(name, 1)
        until(lambda: (s := RunState.read(state)) is not None and s.exited, what=f"{name} to end")
        run = scheduler.active[name]
        assert run.watch is not None
        run.watch.close()
        scheduler._on_exit(run)

    def status() -> dict:
        assert project.cli("runner", "status", "--json") == 0
        return json.loads(capsys.readouterr().out)

    try:
        until(lambda: (scheduler.tick(), a in scheduler.active)[1], what="a to start")
        gates["a"][1]()
        end(a)
        assert list(scheduler.active) == [b] and project.task(a).status is Status.RUNNING  # the record is owed
        shown = status()
        assert shown["max_concurrency"] == 1 and shown["tasks"]["running"] == [b], shown
        assert project.cli("runner", "status") == 0
        assert "tasks:  1 running, 0 queued" in capsys.readouterr().out
        read_before = project.store.scan()  # records read just before `a`'s is written (status reads them one by one)
        scheduler.write_ends()
        assert project.task(a).status is Status.COMPLETED and status()["tasks"]["running"] == [b]
        assert not project.runner_paths.run_state(a, 1).exists()  # (copied into the record: gone)
        assert running(project.layout, read_before) == [b]
        gates["b"][1]()
        end(b)
        scheduler.write_ends()
        assert project.task(b).status is Status.COMPLETED and status()["tasks"]["running"] == []
    finally:
        for _, release in gates.values():
            release()
        scheduler.close()
        if scheduler.spawner is not None:
            scheduler.spawner.proc.wait(10)
        loop.close()


def test_a_runs_end_does_not_try_tasks_stopped_since_the_last_pass(project: Project, monkeypatch) -> None:
    """When a run ends, its slot goes to the tasks the last pass left waiting. Tasks stopped since
    (a `stop` of a whole queue) are left for the next pass unopened: each was tried as a launch
    (its config read, a locked read of its record), ~0.2 ms each, so with 10,000 of them every
    end of a run took ~2 s."""
    from pyruns_tui.runner.daemon import placement
    from pyruns_tui.runner.daemon.runs import ActiveRun
    from pyruns_tui.runner.daemon.scheduler import Scheduler
    from pyruns_tui.runner.gpus import NoGpus
    from pyruns_tui.workspace.model import Run

    project.layout.settings_file.write_text("max_concurrency: 1\n")
    busy = project.add("busy")
    names = [project.add(f"q{i}") for i in range(30)]
    control.queue(project.store, names, start_runner=False)

    def running(t):
        t.runs.append(Run(index=1, status=Status.RUNNING, start="2026-01-01T00:00:00.000+00:00"))
        t.set_status(Status.QUEUED)
        t.set_status(Status.RUNNING)

    project.store.update(busy, running)
    scheduler = Scheduler(project.layout, NoGpus())
    try:
        scheduler.active[busy] = ActiveRun(busy, 1, (), scheduler.paths.run_state(busy, 1), 0)
        queued = [t for t in scheduler._active_tasks() if t.status is Status.QUEUED]
        scheduler._waiting = scheduler._start_what_fits(queued)  # the pass: no slot is free
        assert sorted(t.name for t in scheduler._waiting) == sorted(names)
        control.stop(project.store, names, start_runner=False)  # all back to pending
        built: list[str] = []
        real = placement.build_launch

        def counting(store, task, *args, **kwargs):  # the real launch build, counted
            built.append(task.name)
            return real(store, task, *args, **kwargs)

        monkeypatch.setattr(placement, "build_launch", counting)
        scheduler._on_exit(scheduler.active[busy])  # the run ends (it left no state file: lost)
        assert built == [] and scheduler._waiting == []
    finally:
        scheduler.close()
        if scheduler.spawner is not None:
            scheduler.spawner.proc.wait(10)
    assert all(project.task(n).status is Status.PENDING for n in names)
    assert project.task(busy).status is Status.FAILED


def test_runs_that_end_together_hand_on_their_slots_before_their_records_are_written(project: Project,
                                                                                      monkeypatch) -> None:
    """Each end's record (a task_info.json write, 1-6 ms on a busy disk) was written before the
    next end was looked at: with four tasks ending at once, the fourth successor started after
    three records. Now every end heard in one turn of the runner's loop starts its successor
    first. Two runs end while the runner is stopped (SIGSTOP), so that it hears both at once."""
    monkeypatch.setenv("PYRUNS_TUI_EXEC_SUPERVISOR", "1")  # one process per run: its exit is its end
    client.set_concurrency(project.layout, 2)
    code, release = project.gate("both")
    first = [project.add(f"a{i}", code) for i in range(2)]
    then = [project.add(f"b{i}", "pass") for i in range(2)]
    control.queue(project.store, first + then)
    until(lambda: all(project.task(n).status is Status.RUNNING for n in first), what="the first two")
    paths = [project.runner_paths.run_state(n, 1) for n in first]
    until(lambda: all(RunState.read(p) is not None for p in paths), what="their supervisors")
    supervisors = [psutil.Process(RunState.read(p).supervisor_pid) for p in paths]  # type: ignore[union-attr]
    runner = psutil.Process(project.runner_pid())
    runner.suspend()
    try:
        release()
        until(lambda: all(s.status() == psutil.STATUS_ZOMBIE for s in supervisors),
              what="both supervisors to end while the runner is stopped")
    finally:
        runner.resume()
    tasks = project.wait(*first, *then)
    assert all(t.status is Status.COMPLETED for t in tasks.values())
    lines = (project.layout.runner_dir / "runner.log").read_text().splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    assert max(at(f"{n}: run 1 started") for n in then) < min(at(f"{n}: run 1 completed") for n in first), lines[-12:]
