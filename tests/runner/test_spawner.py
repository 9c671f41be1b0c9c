"""The spawner: the small process that starts every supervisor (pooled workers it forks and
reuses), so the ~45 MB runner never forks."""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pyruns_tui.runner import control
from pyruns_tui.runner.daemon.proc import RunState, supervisor_alive
from pyruns_tui.runner.daemon.spawner import SpawnerClient, SpawnFailed
from pyruns_tui.runner.daemon.supervisor import OUTPUT_MESSAGE, OUTPUT_QUIET_S
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, until
from tests.waiting import gate_code

pytestmark = pytest.mark.skipif(not SpawnerClient.available(), reason="the spawner needs Linux (SCM_RIGHTS, /proc)")


def spawner_of(runner_pid: int) -> psutil.Process:
    found = [p for p in psutil.Process(runner_pid).children() if any(a.endswith("spawner.py") for a in p.cmdline())]
    assert len(found) == 1, [p.cmdline() for p in psutil.Process(runner_pid).children()]
    return found[0]


def gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def supervisor_of(project: Project, name: str) -> psutil.Process:
    path = project.runner_paths.run_state(name, 1)
    until(lambda: RunState.read(path) is not None, what=f"the supervisor of {name}")
    return psutil.Process(RunState.read(path).supervisor_pid)  # type: ignore[union-attr]


def running_gated(project: Project, name: str) -> tuple[str, Callable[[], None]]:
    """A task that runs until `release()`: queued, and seen running."""
    code, release = project.gate(name)
    task = project.add(name, code)
    control.queue(project.store, [task])
    until(lambda: project.task(task).status is Status.RUNNING, what=f"{name} to run")
    return task, release


def test_supervisors_are_forked_by_the_spawner_not_by_the_runner(project: Project) -> None:
    name, release = running_gated(project, "held")
    runner = project.runner_pid()
    spawner = spawner_of(runner)
    supervisor = supervisor_of(project, name)
    assert supervisor.ppid() == spawner.pid != runner
    control.stop(project.store, [name])  # asked through the run's control channel
    assert project.wait(name)[name].status is Status.INTERRUPTED
    release()


def test_a_killed_spawner_leaves_the_runner_starting_supervisors_itself(project: Project) -> None:
    first = project.add("first", "print('one')")
    control.queue(project.store, [first])
    assert project.wait(first)[first].status is Status.COMPLETED
    runner = project.runner_pid()
    spawner = spawner_of(runner)
    spawner.kill()
    until(lambda: gone(spawner), what="the killed spawner")  # a zombie until the runner notices
    second, release = running_gated(project, "second")  # started after the spawner died
    assert supervisor_of(project, second).ppid() == runner
    release()
    task = project.wait(second)[second]
    assert task.status is Status.COMPLETED, project.explain(second)
    runner_log = (project.layout.runner_dir / "runner.log").read_text()
    assert "spawner:" in runner_log and "starting the supervisor from the runner" in runner_log


def test_the_spawner_ends_with_its_runner_and_the_task_runs_on(project: Project) -> None:
    name, release = running_gated(project, "survivor")
    runner = project.runner_pid()
    spawner = spawner_of(runner)
    supervisor = supervisor_of(project, name)
    os.kill(runner, signal.SIGKILL)
    until(lambda: gone(spawner), what="the spawner to exit after its runner")
    assert supervisor.is_running()
    release()
    assert project.wait(name)[name].status is Status.COMPLETED  # a new runner adopts the run
    until(lambda: gone(supervisor), what="the worker to exit after the run (its runner is gone)")


def spec_for(tmp_path: Path, run: str, code: str) -> tuple[str, dict[str, object], Path]:
    """(state file, spec, log) of a run `run` executing python `code` under the spawner."""
    log = tmp_path / run / "run_logs" / "run1.log"
    log.parent.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-c", code], "env": dict(os.environ), "cwd": str(tmp_path),
            "log": str(log), "grace_s": 1, "task": run, "run": 1}
    return str(tmp_path / f"{run}.json"), spec, log


def ended(channel: int, timeout: float = 30) -> None:
    """Wait for the end-of-file on a run's control channel (the run is over); the worker's
    `output` messages before it are all it may say."""
    while True:
        assert select.select([channel], [], [], timeout)[0], "the run did not end"
        message = os.read(channel, 64)
        if not message:
            break
        assert message == OUTPUT_MESSAGE
    os.close(channel)


def test_a_worker_says_when_its_task_prints_after_a_pause(tmp_path: Path) -> None:
    """The runner reads a run's log at once when its worker says `output` (the header of a
    Monitor shows an epoch's progress as it is printed, not up to a second or two later): the
    task prints, then waits until the test has that message; output after another pause says
    it again."""
    gate = tmp_path / "gate"
    # one write each (an unbuffered `print` writes the line and its end apart)
    code = gate_code(gate, 60) + "_os.write(1, b'epoch 2/3\\n')\n"
    state, spec, log = spec_for(tmp_path, "t", "import os; os.write(1, b'epoch 1/3\\n')\n" + code)
    spawner = SpawnerClient()
    try:
        pid, channel = spawner.spawn(state, spec)
        assert select.select([channel], [], [], 30)[0], "the worker never said its task printed"
        assert os.read(channel, 64) == OUTPUT_MESSAGE
        assert log.read_bytes() == b"epoch 1/3\n"  # said once that line was in the log
        time.sleep(OUTPUT_QUIET_S)  # the pause itself (not a wait for anything): the next line is news
        gate.touch()
        assert select.select([channel], [], [], 30)[0], "the worker never said its task printed again"
        assert os.read(channel, 64) == OUTPUT_MESSAGE
        ended(channel)
        assert log.read_bytes() == b"epoch 1/3\nepoch 2/3\n"
    finally:
        spawner.close()


def worker_fds(pid: int) -> list[str]:
    return sorted(os.listdir(f"/proc/{pid}/fd"), key=int)


def test_the_spawner_protocol(tmp_path: Path) -> None:
    spawner = SpawnerClient()
    try:
        state, spec, log = spec_for(tmp_path, "t", "print('spawned')")
        pid, channel = spawner.spawn(state, spec)
        ended(channel)
        record = RunState.read(Path(state))
        assert record is not None and record.supervisor_pid == pid and record.exit_code == 0
        assert log.read_bytes() == b"spawned\n"
        assert spawner.sock is not None
        spawner.sock.send(b"not json")
        assert b"error: bad request" in spawner.sock.recv(512)
        with pytest.raises(SpawnFailed, match="too large"):
            spawner.spawn(state, dict(spec, env={"X": "x" * (1 << 18)}))
        assert spawner.alive
    finally:
        spawner.close()
    assert spawner.proc.wait(10) == 0  # it read the end of the socket and exited
    until(lambda: not psutil.pid_exists(pid), what="the idle worker to exit with its spawner")
    assert not spawner.alive
    with pytest.raises(SpawnFailed, match="closed"):
        spawner.spawn("x", {})


TERMINAL_FACTS = ("import os; t = os.open('/dev/tty', os.O_RDWR); "
                  "print('run {i}', os.getsid(0) == os.getppid(), os.getpgrp() == os.getpid(), os.tcgetpgrp(t) == os.getpgrp())")


def test_a_worker_supervises_run_after_run_and_keeps_nothing_of_them(tmp_path: Path) -> None:
    """Each run's task has its pty as controlling terminal, leads its process group, the
    terminal's foreground one, in its worker's session: the worker gives each terminal up after
    its run and takes the next (a task in the worker's scheduling group: the log path's speed)."""
    spawner = SpawnerClient()
    try:
        workers = set()
        for i in range(5):
            state, spec, log = spec_for(tmp_path, f"r{i}", TERMINAL_FACTS.format(i=i))
            pid, channel = spawner.spawn(state, spec)
            ended(channel)
            workers.add(pid)
            # at the end-of-file the record is written and the run's lock is free
            record = RunState.read(Path(state))
            assert record is not None and record.exited and record.exit_code == 0 and record.supervisor_pid == pid
            assert not supervisor_alive(Path(state))
            assert log.read_bytes() == f"run {i} True True True\n".encode()
            # idle again: nothing of the run stays open in it (stdin, stdout, the runner log, its pool socket)
            until(lambda: worker_fds(pid) == ["0", "1", "2", "3"], what=f"worker {pid} to hold only its own fds")
            assert psutil.Process(pid).children() == []
            assert psutil.Process(pid).cwd() == "/"
            assert psutil.Process(pid).name() == "pyruns-super"  # what top and pgrep show
        assert len(workers) == 1, f"one run after another took {len(workers)} workers"
    finally:
        spawner.close()


def test_a_stop_meant_for_an_ended_run_never_reaches_the_next_one(tmp_path: Path) -> None:
    """With a signal, a stop sent as a run ends would hit the worker's next run; the channel of
    an ended run is closed."""
    spawner = SpawnerClient()
    try:
        first, spec, _ = spec_for(tmp_path, "first", "pass")
        pid, old = spawner.spawn(first, spec)
        assert select.select([old], [], [], 30)[0], "the first run did not end"
        second, spec, log = spec_for(tmp_path, "second", "import time; time.sleep(0.5); print('whole')")
        again, channel = spawner.spawn(second, spec)
        assert again == pid
        with pytest.raises(OSError):
            os.write(old, b"stop")  # the late stop: refused, not delivered to the worker
        os.close(old)
        ended(channel)
        record = RunState.read(Path(second))
        assert record is not None and record.exit_code == 0 and not record.stopped
        assert log.read_bytes() == b"whole\n"
        # a stop on the live run's own channel does stop it
        third, spec, _ = spec_for(tmp_path, "third", "import time; time.sleep(60)")
        again, channel = spawner.spawn(third, spec)
        assert again == pid
        until(lambda: getattr(RunState.read(Path(third)), "child_pid", None) is not None, what="the third run to start")
        os.write(channel, b"stop")
        ended(channel)
        record = RunState.read(Path(third))
        assert record is not None and record.stopped and record.signal == signal.SIGTERM
    finally:
        spawner.close()


def test_a_killed_worker_loses_only_its_run(project: Project) -> None:
    name, release = running_gated(project, "victim")
    worker = supervisor_of(project, name)
    worker.kill()
    task = project.wait(name)[name]
    assert task.status is Status.FAILED and "supervisor ended without a record" in (task.reason or ""), project.explain(name)
    release()
    after = project.add("after", "print('fine')")
    control.queue(project.store, [after])
    task = project.wait(after)[after]
    assert task.status is Status.COMPLETED and project.log(after) == b"fine\n", project.explain(after)
    assert spawner_of(project.runner_pid()).is_running()


def test_a_launch_too_large_for_the_spawner_is_started_by_the_runner(project: Project) -> None:
    # an environment over the spawner's message size, each value under the kernel's 128 KiB per
    # string; long values also once made the runner's secret redaction take quadratic time (a hang)
    big = "".join(f"  BIG{i}: {'x' * 130_000}\n" for i in range(5))
    project.layout.settings_file.write_text(project.layout.settings_file.read_text() + f"env:\n{big}")
    code = "import os; print(sum(len(os.environ[f'BIG{i}']) for i in range(5)))"
    names = [project.add(f"big{i}", code) for i in range(2)]
    control.queue(project.store, names)
    tasks = project.wait(*names)
    for name in names:
        assert tasks[name].status is Status.COMPLETED, project.explain(name)
        assert project.log(name) == b"650000\n"
    runner_log = (project.layout.runner_dir / "runner.log").read_text()
    assert runner_log.count("too large for it") == 1  # said once, not at every run
    assert spawner_of(project.runner_pid()).is_running()  # still used for the next ordinary launch


def test_a_flooding_run_is_stopped_on_its_channel_and_its_worker_goes_on(tmp_path: Path) -> None:
    """The pump writes each read of the pty at once and hands back to the loop when a read
    would block (at the latest every PUMP_MAX bytes): a stop on the channel is still read under
    a flood, and the worker, clean after it, takes the next run."""
    spawner = SpawnerClient()
    try:
        state, spec, log = spec_for(tmp_path, "flood", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
        pid, channel = spawner.spawn(state, spec)
        until(lambda: log.exists() and log.stat().st_size > 4 << 20, what="4 MB of output")
        os.write(channel, b"stop")
        ended(channel)
        record = RunState.read(Path(state))
        assert record is not None and record.stopped and record.signal == signal.SIGTERM and record.error is None
        until(lambda: worker_fds(pid) == ["0", "1", "2", "3"], what=f"worker {pid} to be idle")
        state, spec, log = spec_for(tmp_path, "next", "print('next')")
        again, channel = spawner.spawn(state, spec)
        assert again == pid
        ended(channel)
        record = RunState.read(Path(state))
        assert record is not None and record.exit_code == 0 and log.read_bytes() == b"next\n"
    finally:
        spawner.close()


def marked_running_unspawned(project: Project, marker: Path) -> tuple[str, psutil.Process, int]:
    """A task the runner has marked running while its spawner, stopped (SIGSTOP), has not taken
    the run yet: (the task, the spawner, the runner's pid). The task appends `x` to `marker`."""
    warm = project.add("warm", "print('one')")
    control.queue(project.store, [warm])
    assert project.wait(warm)[warm].status is Status.COMPLETED  # the runner and its spawner are up
    runner = project.runner_pid()
    spawner = spawner_of(runner)
    spawner.suspend()  # the runner's next launch waits for its answer
    name = project.add("late", f"open({str(marker)!r}, 'a').write('x')")
    control.queue(project.store, [name])
    until(lambda: project.task(name).status is Status.RUNNING, what="the runner to mark the run running")
    return name, spawner, runner


def test_a_run_the_killed_runner_never_handed_to_a_supervisor_is_queued_again(project: Project) -> None:
    # the window between `running` written and a supervisor started: the run never started, so
    # it is not lost (it was failed as `runner lost: the task's process is gone`)
    marker = project.dir / "ran"
    name, spawner, runner = marked_running_unspawned(project, marker)
    os.kill(runner, signal.SIGKILL)
    spawner.kill()  # the request dies with it: no supervisor ever takes the run
    until(lambda: gone(spawner), what="the killed spawner")
    task = project.wait(name)[name]  # a new runner
    assert task.status is Status.COMPLETED, project.explain(name)
    assert [r.status for r in task.runs] == [Status.INTERRUPTED, Status.COMPLETED]
    assert "never started" in (task.runs[0].reason or "") and task.runs[0].exit_code is None
    assert marker.read_text() == "x"


def waiting_for_a_reply(pid: int) -> bool:
    """Whether process `pid` waits in poll(2) (the runner, for the spawner's answer to the request
    it sent: a socket with a timeout; its event loop waits in epoll instead)."""
    with open(f"/proc/{pid}/wchan") as fh:
        return fh.read().startswith(("poll_schedule_timeout", "__skb_wait_for_more_packets"))


def test_the_request_of_a_killed_runner_taken_late_does_not_start_the_task_again(project: Project) -> None:
    marker = project.dir / "ran"
    name, spawner, runner = marked_running_unspawned(project, marker)
    # the record says running before the request is sent: killed in between there is no request
    until(lambda: waiting_for_a_reply(runner), what="the runner to have sent the request and wait for its answer")
    os.kill(runner, signal.SIGKILL)  # the request stays in the stopped spawner's socket
    task = project.wait(name)[name]  # a new runner queues it again and runs it
    assert task.status is Status.COMPLETED, project.explain(name)
    assert marker.read_text() == "x"
    spawner.resume()  # it now reads the dead runner's request and hands it to a worker
    runner_log = project.layout.runner_dir / "runner.log"
    until(lambda: "not the task's running one" in runner_log.read_text() or marker.read_text() != "x",
          what="the late worker to refuse the run (or to run the task a second time)")
    assert marker.read_text() == "x"
    assert project.task(name).status is Status.COMPLETED
