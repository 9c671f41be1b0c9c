"""GPU slots with the fake backend: distinct devices, waiting with a reason, force."""

from __future__ import annotations

import pytest

from pyruns_tui.runner import control
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import NewTask
from tests.runner.harness import SETTINGS, Project, py, until

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


def test_behind_1000_gpu_tasks_waiting_for_busy_gpus_a_cpu_task_and_a_forced_one_start(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real runner, -j 8 with both GPUs busy: the GPU tasks wait in order (the first ones
    say why), a task that needs no GPU and a forced one queued behind them run (a run's end goes
    from one task that needs no GPU to the next, past the GPU tasks: see test_end_pass)."""
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "2")
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS_BUSY", "0,1")
    project.layout.settings_file.write_text(SETTINGS.replace("max_concurrency: 4", "max_concurrency: 8"))
    made = project.store.create_tasks([NewTask(f"g{i:04d}", {}, command=py("pass")) for i in range(1000)],
                                      task_kind="shell", script=None)
    gpu = [t.name for t in made]
    cpu = [project.add(f"cpu{i}", SHOW) for i in range(3)]
    forced = project.add("forced", SHOW)
    control.queue(project.store, gpu)
    until(lambda: project.task(gpu[7]).reason == "waiting for 1 GPU", what="the reason of the first waiting tasks")
    control.queue(project.store, cpu[:1], gpus=0)
    control.force_start(project.store, [forced])
    control.queue(project.store, cpu[1:], gpus=0)
    tasks = project.wait(*cpu, forced)
    assert all(t.status is Status.COMPLETED for t in tasks.values()), [project.explain(n) for n in tasks]
    assert [cuda_devices(project, n) for n in cpu] == [""] * 3
    assert cuda_devices(project, forced) in ("0", "1")
    waiting = [project.task(name) for name in gpu]
    assert all(t.status is Status.QUEUED and not t.runs for t in waiting)
    assert all(t.reason == "waiting for 1 GPU" for t in waiting[:8])


def test_a_request_larger_than_the_machine_fails_with_the_reason(project: Project, two_gpus: None) -> None:
    name = project.add("huge", SHOW, gpus=3)
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.FAILED and task.reason == "needs 3 GPUs but only 2 can be used (gpu_ids)"


def test_more_memory_than_any_gpu_has_fails_and_holds_back_nothing(project: Project, two_gpus: None) -> None:
    # `--gpu-mem 100000` on 24 GB cards (MB taken for GB) waited for ever as "waiting for 1 GPU"
    # and every GPU task queued after it waited behind it
    huge = project.add("huge", SHOW, gpus=1)
    after = project.add("after", SHOW, gpus=1)
    control.queue(project.store, [huge], gpu_mem_mb=100_000)
    control.queue(project.store, [after])
    tasks = project.wait(huge, after)
    assert tasks[huge].status is Status.FAILED and "with 100000 MB free (gpu_mem_mb)" in (tasks[huge].reason or "")
    assert tasks[after].status is Status.COMPLETED


def test_without_gpus_tasks_run_on_cpu_and_cuda_is_left_alone(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "0")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "7")
    name = project.add("cpu", SHOW, gpus=2)
    control.queue(project.store, [name])
    task = project.wait(name)[name]
    assert task.status is Status.COMPLETED and task.runs[0].gpus == []
    assert cuda_devices(project, name) == "7"


ALLOCATE = """
import json, os, sys, time
path = os.path.join(os.environ["PYRUNS_TUI_FAKE_GPU_PROCS"], f"{os.getpid()}.json")
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
with open(path + ".tmp", "w") as fh:
    json.dump({"device": int(os.environ["CUDA_VISIBLE_DEVICES"]), "used_mb": 12000, "util": 60}, fh)
os.replace(path + ".tmp", path)
"""


@pytest.fixture
def fake_procs(tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    procs = tmp_path / "gpu-procs"
    procs.mkdir()
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPU_PROCS", str(procs))
    return procs


def settings(project: Project, **values: object) -> None:
    text = project.layout.settings_file.read_text()
    project.layout.settings_file.write_text(text + "".join(f"{k}: {v}\n" for k, v in values.items()))


def test_max_tasks_per_gpu_shares_a_device(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "1")
    settings(project, max_tasks_per_gpu=2)
    code, release = project.gate("share")
    names = [project.add(f"s{i}", SHOW + code, gpus=1) for i in range(3)]
    control.queue(project.store, names)
    until(lambda: sum(project.task(n).status is Status.RUNNING for n in names) == 2, what="two tasks on one GPU")
    third = next(n for n in names if project.task(n).status is Status.QUEUED)
    until(lambda: project.task(third).reason == "waiting for 1 GPU", what="the third to wait")
    release()
    tasks = project.wait(*names)
    assert all(t.runs[0].gpus == [0] for t in tasks.values())


def test_memory_requests_pick_a_gpu_with_room_and_reserve_it_until_the_process_shows(
        project: Project, monkeypatch: pytest.MonkeyPatch, fake_procs) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "2")
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS_FREE_MB", "8000,20000")
    settings(project, max_tasks_per_gpu=4)
    code, release = project.gate("mem")
    # the first allocates only after 1 s: until then NVML shows 20,000 MB free on GPU 1, but its
    # reservation must keep the second (which needs 12,000 too) from starting there
    first = project.add("first", f"import sys; sys.argv = ['x', '1.0']\n{ALLOCATE}\n{code}", gpus=1)
    second = project.add("second", SHOW, gpus=1)
    small = project.add("small", SHOW, gpus=1)
    control.queue(project.store, [first], gpu_mem_mb=12000)
    until(lambda: project.task(first).status is Status.RUNNING, what="the first to start")
    assert project.task(first).runs[0].gpus == [1]  # GPU 0 has 8,000 MB: too little
    control.queue(project.store, [small], gpu_mem_mb=4000)
    assert project.wait(small)[small].runs[0].gpus == [0]  # room on both: the least shared one
    control.queue(project.store, [second], gpu_mem_mb=12000)
    until(lambda: project.task(second).reason == "waiting for 1 GPU", what="the second to wait")
    assert not any(fake_procs.iterdir())  # the first has not allocated yet: only its reservation stops it
    until(lambda: any(fake_procs.iterdir()), what="the first to allocate")
    assert project.task(second).status is Status.QUEUED  # NVML now shows 8,000 MB left on GPU 1
    release()
    tasks = project.wait(first, second)
    assert tasks[second].status is Status.COMPLETED and tasks[second].runs[0].gpus == [1]


@pytest.mark.parametrize(("variable", "value"), [
    ("PYRUNS_TUI_FAKE_GPUS_FREE_MB", "x"), ("PYRUNS_TUI_FAKE_GPUS_FREE_MB", "8000,nan"),
    ("PYRUNS_TUI_FAKE_GPUS_BUSY", "one"), ("PYRUNS_TUI_FAKE_GPUS", "two")])
def test_a_fake_gpu_variable_that_does_not_parse_is_one_line_naming_it(
        project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str,
        value: str) -> None:
    # FREE_MB=x was a ValueError traceback (`metrics`, the Monitor) and a runner with no GPUs at all;
    # BUSY=one and FAKE_GPUS=two were taken as "none busy" and "no GPUs", silently
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "2")
    monkeypatch.setenv(variable, value)
    name = project.add("g", "print(1)", gpus=1)
    for command in (["metrics"], ["run", name]):
        assert project.cli(*command) == 1, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"{variable}={value!r}: expected" in err[0] and "e.g." in err[0], (command, err)
    assert not project.task(name).runs  # no runner started it without the GPUs it was meant to see
