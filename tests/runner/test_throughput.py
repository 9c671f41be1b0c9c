"""A task printing as fast as it can loses no byte, and the runner's memory stays small."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time

import psutil

from pyruns_tui.runner import control
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, py

SIZE = 50 * 2**20  # benchmarks/bench_scheduler.py runs the 200 MB version
FLOOD = (
    "import sys\n"
    "block = bytes(range(256)) * 256\n"
    "out = sys.stdout.buffer\n"
    f"for i in range({SIZE} // len(block)):\n"
    "    out.write(block[i % 256:] + block[:i % 256])\n"
)


def test_a_50mb_flood_reaches_the_log_intact_and_the_runner_stays_small(project: Project) -> None:
    direct = subprocess.run([sys.executable, "-c", FLOOD], capture_output=True, check=True).stdout
    name = project.add("flood", command=py(FLOOD))
    control.queue(project.store, [name])
    runner = psutil.Process(project.runner_pid())
    peak = 0
    deadline = time.monotonic() + 120
    while project.task(name).status in (Status.QUEUED, Status.RUNNING):
        assert time.monotonic() < deadline, "the flood did not finish"
        peak = max(peak, runner.memory_info().rss)
        time.sleep(0.01)
    assert project.task(name).status is Status.COMPLETED
    log = project.layout.run_log(name, 1)
    assert log.stat().st_size == len(direct) == SIZE
    assert hashlib.sha256(log.read_bytes()).hexdigest() == hashlib.sha256(direct).hexdigest()
    assert peak < 100 * 2**20
