"""Closing the terminal of an attached `pyr-tui run --wait` never stops the tasks."""

from __future__ import annotations

import os
import pty
import signal
import sys
import time

from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, project, until  # noqa: F401 - the fixture


def test_hanging_up_the_terminal_of_run_wait_leaves_all_tasks_to_complete(project: Project) -> None:
    gates = [project.gate(f"h{i}") for i in range(4)]
    names = [project.add(f"h{i}", "print('start', flush=True)\n" + code + "print('end')\n") for i, (code, _) in enumerate(gates)]
    argv = [sys.executable, "-m", "pyruns_tui", "-C", str(project.dir), "run", *names, "-j", "2", "--wait"]
    pid, master = pty.fork()  # the child leads a new session whose controlling terminal is the pty
    if pid == 0:
        # as in a login session: a test run under `nohup` (CI's) passes SIGHUP ignored down to here,
        # and the CLI, rightly, kept on until a write to the dead terminal failed
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.execv(sys.executable, argv)
    try:
        until(lambda: sum(project.task(n).status is Status.RUNNING for n in names) == 2, what="two tasks running")
        assert sum(project.task(n).status is Status.QUEUED for n in names) == 2
        os.close(master)  # the terminal goes away: the kernel hangs up the session
        os.killpg(pid, signal.SIGHUP)  # and, as an SSH disconnect does, SIGHUP to the whole group
        deadline = time.monotonic() + 30
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            assert time.monotonic() < deadline, "the CLI ignored the hang-up"
            time.sleep(0.01)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    for _, release in gates:
        release()
    tasks = project.wait(*names)
    assert all(t.status is Status.COMPLETED for t in tasks.values())
    assert all(project.log(n) == b"start\nend\n" for n in names)
