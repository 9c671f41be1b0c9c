"""Resource limits: a full disk under a task's log, and a 10,000-task queue.

Disk full is made for real where possible: a 256 kB tmpfs mounted on the task's `run_logs/`
(needs root and mount permission). Elsewhere the runner is started with RLIMIT_FSIZE = 256 kB
and SIGXFSZ ignored, so its log writes fail with EFBIG instead. Either way the task writes far
more than fits; the runner must survive and run the next task, and the task must end failed
with a reason that says what happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from pyruns_tui.runner import client, control
from pyruns_tui.workspace.model import Status, Task, queue_times
from tests.reliability.harness import wait_until
from tests.runner.harness import SETTINGS, Project, finish_project, py, shell_project

pytestmark = pytest.mark.slow

LIMIT = 256 * 1024
WRITER = "import sys\nfor i in range(4000):\n    sys.stdout.write(('%05d ' % i) + 'y' * 500 + '\\n')\nprint('DONE')\n"


def try_tmpfs(target: Path) -> bool:
    """Mount a LIMIT-sized tmpfs on `target`; False when this machine does not allow it."""
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={LIMIT}", "tmpfs", str(target)],
                          capture_output=True, timeout=20)
    return done.returncode == 0


def start_runner_with_fsize_limit(project: Project) -> None:
    """Start the workspace's runner in a process whose files may not grow beyond LIMIT bytes."""
    code = (
        "import resource, signal, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from pathlib import Path\n"
        "from pyruns_tui.runner import client\n"
        "from pyruns_tui.workspace.layout import Layout\n"
        "client.ensure_runner(Layout(root=Path(sys.argv[1]), name=sys.argv[2]))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(project.layout.root), project.layout.name],
                   check=True, timeout=60)


@pytest.fixture(params=["tmpfs", "rlimit"])
def full_disk(request: pytest.FixtureRequest, project: Project) -> Iterator[tuple[Project, str]]:
    """A task `big` whose log cannot grow beyond LIMIT bytes, and how that was arranged."""
    name = project.add("big", WRITER)
    logs = project.layout.task_dir(name) / "run_logs"
    logs.mkdir(exist_ok=True)
    mounted = False
    if request.param == "tmpfs":
        mounted = try_tmpfs(logs)
        if not mounted:
            pytest.skip("mounting a tmpfs is not permitted here (the rlimit variant covers it)")
    else:
        start_runner_with_fsize_limit(project)
    try:
        yield project, name
    finally:
        if mounted:
            with contextlib.suppress(Exception):
                from tests.runner.harness import shut_down

                shut_down(project)  # nothing may hold a file on the mount
            subprocess.run(["umount", "-l", str(logs)], capture_output=True, timeout=20)


def test_a_full_disk_under_the_log_leaves_the_runner_running(full_disk: tuple[Project, str]) -> None:
    project, name = full_disk
    control.queue(project.store, [name])
    task = project.wait(name, timeout=60)[name]
    assert task.status.is_finished
    log = project.layout.run_log(name, 1)
    assert 0 < log.stat().st_size <= LIMIT
    assert client.runner_alive(project.layout), "the runner died of the full disk"
    after = project.add("after", "print('still here')")
    control.queue(project.store, [after])
    assert project.wait(after, timeout=60)[after].status is Status.COMPLETED
    assert project.log(after) == b"still here\n"


def test_a_full_disk_under_the_log_fails_the_task_with_the_reason(full_disk: tuple[Project, str]) -> None:
    project, name = full_disk
    control.queue(project.store, [name])
    task = project.wait(name, timeout=60)[name]
    assert task.status is Status.FAILED
    assert (task.reason or "").startswith("log truncated: "), task.reason


QUEUE = 10_000
RSS_LIMIT = 150 * 2**20


def write_queued_tasks(project: Project, count: int, command: str) -> list[str]:
    """`count` shell tasks already queued, written as new files in a staging folder renamed into
    tasks/ (what `gen` + `pyr-tui run` leave on disk, without 10,000 fsyncs)."""
    staging = project.layout.tasks_dir / ".staging-reliability"
    staging.mkdir()
    times = queue_times(count)
    names = [f"s{i:05d}" for i in range(count)]
    for offset, name in enumerate(names):
        folder = staging / name
        folder.mkdir()
        (folder / "config.yaml").write_text("{}\n")
        (folder / "config.sh").write_text(command)
        task = Task(name=name, status=Status.QUEUED, task_kind="shell", queued_at=times[offset])
        (folder / "task_info.json").write_text(json.dumps(task.to_dict()))
    for name in names:
        os.rename(staging / name, project.layout.task_dir(name))
    staging.rmdir()
    return names


@pytest.fixture
def big_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A shell-workspace project on /dev/shm when it has room (10,000 task folders are slow to
    write and delete on a busy disk; the runner's memory does not depend on the filesystem)."""
    base = tmp_path
    shm = Path("/dev/shm")
    with contextlib.suppress(OSError):
        if os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 1 << 30:
            base = Path(tempfile.mkdtemp(prefix="pyruns-rel-", dir=shm))
    proj = shell_project(base / "proj", monkeypatch, SETTINGS.replace("max_concurrency: 4", "max_concurrency: 1"))
    try:
        yield proj
        finish_project(proj)
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)


def test_a_10000_task_queue_keeps_the_runner_under_150_mb(big_project: Project) -> None:
    project = big_project
    names = write_queued_tasks(project, QUEUE, py("import time; time.sleep(120)"))

    client.start_or_wake(project.layout)
    runner = psutil.Process(project.runner_pid())
    wait_until(lambda: project.task(names[0]).status is Status.RUNNING, 60, "the first task to start")
    peak = 0
    cpu_before, started = sum(runner.cpu_times()[:2]), time.monotonic()
    window = time.monotonic() + 5.0  # two full rescans of the queue (RESCAN_S = 2 s) at least
    while time.monotonic() < window:
        peak = max(peak, runner.memory_info().rss)
        time.sleep(0.05)
    cpu_share = (sum(runner.cpu_times()[:2]) - cpu_before) / (time.monotonic() - started)
    running = [n for n in names[:50] if project.task(n).status is Status.RUNNING]
    assert running == [names[0]], running  # max_concurrency 1 holds
    assert peak < RSS_LIMIT, f"runner RSS {peak / 2**20:.0f} MB with {QUEUE} tasks queued"

    client.stop_runner(project.layout)  # the task keeps running; now drop the queue cheaply
    for name in names[1:]:
        shutil.rmtree(project.layout.task_dir(name))
    control.stop(project.store, [names[0]])
    assert project.wait(names[0], timeout=60)[names[0]].status is Status.INTERRUPTED
    print(f"runner with {QUEUE} queued tasks: peak RSS {peak / 2**20:.1f} MB, CPU {cpu_share:.0%} of a core",
          file=sys.stderr)
