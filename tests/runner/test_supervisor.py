"""The per-run supervisor on its own: pty, byte-exact log, process-tree cleanup, exit records."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from pyruns_tui.runner.daemon.proc import SUPERVISOR_SCRIPT, RunState
from pyruns_tui.runner.locks import is_held, remove_unless_held, try_lock, unlock
from tests.runner.harness import until
from tests.waiting import gate_code


def start(tmp_path: Path, code: str, *, grace_s: float = 1.0, env: dict[str, str] | None = None,
          stop_at: float | None = None, new_session: bool = True) -> tuple[subprocess.Popen[bytes], Path, Path]:
    log, state = tmp_path / "run1.log", tmp_path / "state.json"
    spec = {"argv": [sys.executable, "-c", code], "cwd": str(tmp_path), "log": str(log), "grace_s": grace_s, "task": "t", "run": 1,
            "stop_at": stop_at}
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(SUPERVISOR_SCRIPT), str(state)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=new_session, env={**os.environ, **(env or {})},
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(spec).encode())
    proc.stdin.close()
    return proc, log, state


def finish(proc: subprocess.Popen[bytes], state: Path) -> RunState:
    proc.wait(timeout=30)
    record = RunState.read(state)
    assert record is not None and record.exited
    return record


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_output_reaches_the_log_byte_for_byte_under_a_terminal(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "sys.stdout.buffer.write(bytes(range(256)) * 64)\n"
        "sys.stdout.flush()\n"
        "print('|', sys.stdout.isatty(), sys.stderr.isatty(), sys.stdin.isatty(), os.get_terminal_size(), os.environ['TERM'])\n"
        "tty = os.open('/dev/tty', os.O_RDWR)\n"  # the pty is its controlling terminal, it leads
        # its process group, the terminal's foreground one, in the supervisor's session (which leads it)
        "print('ctty', os.getsid(0) == os.getppid(), os.getpgrp() == os.getpid(), os.tcgetpgrp(tty) == os.getpgrp())\n"
        "print('to stderr', file=sys.stderr)\n"
    )
    proc, log, state = start(tmp_path, code, env={"TERM": "xterm-256color"})
    record = finish(proc, state)
    data = log.read_bytes()
    assert data.startswith(bytes(range(256)) * 64)  # ONLCR off: "\n" and "\r" are not rewritten
    tail = data[256 * 64 :].decode()
    assert "| True True True os.terminal_size(columns=160, lines=50) xterm-256color\n" in tail
    assert "ctty True True True\n" in tail
    assert tail.endswith("to stderr\n")
    assert (record.exit_code, record.signal, record.stopped) == (0, None, False)
    assert record.child_pid and record.duration_s is not None


def test_a_supervisor_in_another_session_gives_its_task_a_session_of_its_own(tmp_path: Path) -> None:
    """A supervisor that does not lead its session (one run in-process, as the benchmarks and some
    tests start it) cannot make the pty its own terminal: the task leads a new session whose
    controlling terminal the pty is, as before the task shared its supervisor's session."""
    code = ("import os\ntty = os.open('/dev/tty', os.O_RDWR)\n"
            "print('ctty', os.getsid(0) == os.getpid(), os.tcgetpgrp(tty) == os.getpgrp())\n")
    proc, log, state = start(tmp_path, code, new_session=False)
    record = finish(proc, state)
    assert log.read_text() == "ctty True True\n"
    assert record.exit_code == 0


def test_stop_at_stops_the_task_then_and_not_before(tmp_path: Path) -> None:
    """`stop_at` (a Slurm job's end less the grace, slurm/launcher.py): the task gets its SIGTERM at
    that wall-clock time, not before, and the record says the deadline stopped it."""
    stop_at = time.time() + 1.5
    code = ("import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, lambda *a: (print('term at', repr(time.time()), flush=True), sys.exit(0)))\n"
            "print('started', flush=True)\n"
            "time.sleep(60)\n")
    proc, log, state = start(tmp_path, code, stop_at=stop_at)
    record = finish(proc, state)
    assert record.stopped and record.deadline and record.exit_code == 0
    term_at = float(log.read_text().split("term at ")[1])
    assert term_at >= stop_at  # (later on a loaded machine, never earlier)
    assert json.loads(state.read_text())["deadline"] is True


def test_a_task_ending_before_stop_at_is_not_stopped(tmp_path: Path) -> None:
    proc, _, state = start(tmp_path, "print('done')", stop_at=time.time() + 60)
    record = finish(proc, state)
    assert (record.exit_code, record.stopped, record.deadline) == (0, False, False)


TERM_PRINTS = ("import signal, sys, time\n"
               "signal.signal(signal.SIGTERM, lambda *a: (print('term at', repr(time.time()), flush=True), sys.exit(0)))\n"
               "print('started', flush=True)\n")


def start_followed(tmp_path: Path, code: str, stop_at: float) -> tuple[subprocess.Popen[bytes], Path, Path, socket.socket]:
    """A supervisor with a `deadline` socket, as the Slurm launcher starts it; the test holds the
    launcher's end (its limit follower's)."""
    log, state = tmp_path / "run1.log", tmp_path / "state.json"
    spec = {"argv": [sys.executable, "-c", code], "cwd": str(tmp_path), "log": str(log), "grace_s": 1.0, "task": "t",
            "run": 1, "stop_at": stop_at}
    ours, theirs = socket.socketpair()
    script = ("import json, sys\nfrom pyruns_tui.runner.daemon.supervisor import supervise\n"
              "sys.exit(supervise(sys.argv[1], json.load(sys.stdin), -1, deadline=int(sys.argv[2])))\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(state), str(theirs.fileno())], stdin=subprocess.PIPE,
                            pass_fds=[theirs.fileno()], start_new_session=True)
    theirs.close()
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(spec).encode())
    proc.stdin.close()
    ours.settimeout(30)
    return proc, log, state, ours


@pytest.mark.parametrize("answer", ["the same stop", "nothing"])
def test_at_stop_at_the_limit_is_asked_once_more_and_a_kept_or_unanswered_stop_stops(tmp_path: Path,
                                                                                        answer: str) -> None:
    """At `stop_at` the supervisor asks its launcher (`?` on the deadline socket) for a fresh look
    at the time limit before it stops the task; an answer that keeps the stop, or none (a slow
    squeue: the stop waits CONFIRM_S at most), stops the task all the same."""
    stop_at = time.time() + 0.5
    proc, log, state, follower = start_followed(tmp_path, TERM_PRINTS + "time.sleep(60)\n", stop_at)
    with follower:
        assert follower.recv(64) == b"?\n"
        if answer == "the same stop":
            follower.sendall(f"{stop_at!r}\n".encode())
        record = finish(proc, state)
    assert record.stopped and record.deadline
    assert b"term at" in log.read_bytes() and b"time limit changed" not in log.read_bytes()


def test_a_limit_raised_by_the_last_look_at_stop_at_lets_the_task_run_on(tmp_path: Path) -> None:
    """The answer to the `?` at stop_at moves the stop (a limit raised since the last re-read):
    the run log says so and the task is not stopped; it ends on its own."""
    gate = tmp_path / "gate"
    code = TERM_PRINTS + gate_code(gate) + "print('done', flush=True)\n"
    proc, log, state, follower = start_followed(tmp_path, code, time.time() + 0.5)
    with follower:
        assert follower.recv(64) == b"?\n"
        follower.sendall(f"{time.time() + 600!r}\n".encode())
        until(lambda: b"[pyruns] time limit changed: stop at " in log.read_bytes(), what="the log line of the move")
        gate.touch()
        record = finish(proc, state)
    assert (record.exit_code, record.stopped, record.deadline) == (0, False, False)
    assert b"term at" not in log.read_bytes() and log.read_bytes().endswith(b"done\n")


def test_stop_kills_the_whole_tree_including_escaped_and_term_ignoring_processes(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    code = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "sleeper = 'import time; time.sleep(300)'\n"
        "a = subprocess.Popen([sys.executable, '-c', sleeper])\n"
        "b = subprocess.Popen([sys.executable, '-c', sleeper], start_new_session=True)\n"
        f"open({str(pids)!r}, 'w').write(f'{{a.pid}} {{b.pid}}')\n"
        "time.sleep(300)\n"
    )
    proc, _, state = start(tmp_path, code, grace_s=0.5)
    until(lambda: pids.exists() and pids.read_text().count(" ") == 1, what="grandchildren")
    grandchildren = [int(p) for p in pids.read_text().split()]
    child = RunState.read(state).child_pid  # type: ignore[union-attr]
    proc.send_signal(signal.SIGTERM)
    record = finish(proc, state)
    assert record.stopped and record.signal == signal.SIGKILL  # it ignored SIGTERM
    for pid in [child, *grandchildren]:
        assert pid is not None and not alive(pid)


def test_processes_left_behind_by_a_finished_task_are_ended(tmp_path: Path) -> None:
    pid_file = tmp_path / "left"
    code = (
        "import subprocess, sys\n"
        "code = 'import signal, time; signal.signal(signal.SIGHUP, signal.SIG_IGN); time.sleep(300)'\n"
        "p = subprocess.Popen([sys.executable, '-c', code])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
    )
    proc, _, state = start(tmp_path, code)
    record = finish(proc, state)
    assert record.exit_code == 0 and not record.stopped
    assert not alive(int(pid_file.read_text()))


def test_a_command_that_cannot_start_exits_127_with_the_reason_in_the_log(tmp_path: Path) -> None:
    log, state = tmp_path / "run1.log", tmp_path / "state.json"
    spec: dict[str, Any] = {"argv": ["/nonexistent/python"], "cwd": str(tmp_path), "log": str(log), "task": "t", "run": 1}
    proc = subprocess.Popen([sys.executable, "-I", "-S", str(SUPERVISOR_SCRIPT), str(state)], stdin=subprocess.PIPE)
    proc.communicate(json.dumps(spec).encode(), timeout=30)
    record = RunState.read(state)
    assert record is not None and record.exit_code == 127
    assert b"cannot start '/nonexistent/python'" in log.read_bytes()


def test_the_supervisor_ignores_sighup_and_the_task_keeps_going(tmp_path: Path) -> None:
    release = tmp_path / "go"
    code = gate_code(release) + "print('survived')\n"
    proc, log, state = start(tmp_path, code)
    until(lambda: RunState.read(state) is not None, what="the supervisor to start")
    proc.send_signal(signal.SIGHUP)  # had it died, the record would stay "running"
    release.touch()
    record = finish(proc, state)
    assert record.exit_code == 0 and log.read_bytes() == b"survived\n"


def test_a_task_flooding_its_terminal_can_still_be_stopped(tmp_path: Path) -> None:
    proc, log, state = start(tmp_path, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    until(lambda: log.exists() and log.stat().st_size > 1 << 20, what="a megabyte of output")
    proc.send_signal(signal.SIGTERM)
    record = finish(proc, state)
    assert record.stopped and record.signal == signal.SIGTERM


def test_a_flood_reaches_the_log_whole_and_in_order(tmp_path: Path) -> None:
    """Numbered coloured blocks (a lost, doubled or reordered block changes the hash), and the
    task exits right after its last write: what the pty still holds then is drained too."""
    code = (
        "import hashlib, sys\n"
        "out = sys.stdout.buffer\n"
        "digest = hashlib.sha256()\n"
        "for block in range(400):\n"
        "    data = b''.join(b'\\x1b[32mblock %06d line %04d\\x1b[0m \\xe2\\x9c\\x93\\r\\n' % (block, k) for k in range(300))\n"
        "    digest.update(data)\n"
        "    out.write(data)\n"
        "out.flush()\n"
        "open('expected', 'w').write(digest.hexdigest())\n"
    )
    proc, log, state = start(tmp_path, code)
    record = finish(proc, state)
    import hashlib

    assert record.exit_code == 0 and record.error is None
    assert log.stat().st_size == 400 * 300 * 37
    assert hashlib.sha256(log.read_bytes()).hexdigest() == (tmp_path / "expected").read_text()


def holds_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (it is about to lock it, or waits for the lock)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def test_a_liveness_probe_holding_the_lock_as_the_supervisor_starts_does_not_refuse_the_run(tmp_path: Path) -> None:
    # a runner's or `ls`'s liveness probe takes `state.json.lock` for an instant; before, a
    # supervisor starting in that instant refused its run ("another supervisor ... is alive")
    lock = tmp_path / "state.json.lock"
    probe = try_lock(lock)
    assert probe is not None
    proc, log, state = start(tmp_path, "print('ran')")
    until(lambda: holds_open(proc.pid, lock) or proc.poll() is not None, 10, "the supervisor opening its lock")
    unlock(probe)
    record = finish(proc, state)
    assert (record.exit_code, record.error, log.read_bytes()) == (0, None, b"ran\n")


def test_a_lock_file_removed_under_a_waiting_supervisor_is_locked_anew(tmp_path: Path) -> None:
    # a runner removes a stale lock file while holding it (locks.remove_unless_held); a supervisor
    # that opened the old file meanwhile must lock the new one, or its run looks dead to everyone
    lock, gate = tmp_path / "state.json.lock", tmp_path / "gate"
    probe = try_lock(lock)
    assert probe is not None
    proc, log, state = start(tmp_path, gate_code(gate) + "print('ran')")
    until(lambda: holds_open(proc.pid, lock) or proc.poll() is not None, 10, "the supervisor opening its lock")
    lock.unlink()
    unlock(probe)
    until(lambda: is_held(lock) or proc.poll() is not None, 10, "the supervisor holding the lock file at the path")
    assert is_held(lock), "the supervisor holds a removed file: its run would be judged lost"
    gate.touch()
    record = finish(proc, state)
    assert (record.exit_code, record.error, log.read_bytes()) == (0, None, b"ran\n")


def test_a_stale_lock_file_is_removed_only_when_nobody_holds_it(tmp_path: Path) -> None:
    lock = tmp_path / "state.json.lock"
    holder = try_lock(lock)
    assert holder is not None
    remove_unless_held(lock)
    assert lock.exists()
    unlock(holder)
    remove_unless_held(lock)
    assert not lock.exists()
