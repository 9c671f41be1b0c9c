"""GPU slots with the fake backend: distinct devices, waiting with a reason, force."""

from __future__ import annotations

import pytest

from pyruns_tui.runner import control
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, until

SHOW = "import os; print(repr(os.environ.get('CUDA_VISIBLE_DEVICES')))\n"


def cuda_devices(project: Project, name: str) -> str | None:
    return eval(project.log(name).decode().splitlines()[0])  # noqa: S307 - our own repr() output


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "2")  # the runner inherits the environment


def test_tasks_get_distinct_gpus_and_a_third_waits_until_forced(project: Project, two_gpus: None) -> None:
    code, release = project.gate("gpu")
    names = [project.add(f"g{i}", SHOW + code, gpus=1) for i in range(3)]
    control.queue(project.store, names)
    until(lambda: sum(project.task(n).status is Status.RUNNING for n in names) == 2, what="two GPU tasks running")
    waiting = next(n for n in names if project.task(n).status is Status.QUEUED)
    until(lambda: project.task(waiting).reason == "waiting for 1 GPU", what="the waiting reason")
    running = [n for n in names if n != waiting]
    until(lambda: all(project.log(n) for n in running), what="their output")
    assert sorted(cuda_devices(project, n) for n in running) == ["0", "1"]
    assert sorted(g for n in running for g in project.task(n).runs[0].gpus) == [0, 1]

    control.force_start(project.store, [waiting])
    until(lambda: project.task(waiting).status is Status.RUNNING, what="the forced task to start")
    until(lambda: project.log(waiting), what="its output")
    assert cuda_devices(project, waiting) in ("0", "1")
    release()
    assert all(t.status is Status.COMPLETED for t in project.wait(*names).values())


def test_busy_gpus_are_skipped_and_cpu_tasks_get_no_gpu(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "3")
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS_BUSY", "0,1")
    gpu = project.add("gpu", SHOW, gpus=1)
    cpu = project.add("cpu", SHOW, gpus=0)
    control.queue(project.store, [gpu, cpu])
    project.wait(gpu, cpu)
    assert cuda_devices(project, gpu) == "2"
    assert cuda_devices(project, cpu) == ""  # a CPU task on a GPU machine sees no GPU


def test_a_request_larger_than_the_machine_fails_with_the_reason(project: Project, two_gpus: None) -> None:
    name = project.add("huge", SHOW, gpus=3)
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.FAILED and task.reason == "needs 3 GPUs but only 2 can be used (gpu_ids)"


def test_without_gpus_tasks_run_on_cpu_and_cuda_is_left_alone(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "0")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "7")
    name = project.add("cpu", SHOW, gpus=2)
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.COMPLETED and task.runs[0].gpus == []
    assert cuda_devices(project, name) == "7"
