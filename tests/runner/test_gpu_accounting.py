"""Per-run GPU accounting: the rule on synthetic snapshots, then a real runner with the fake backend
and processes that script their GPU memory (a child in a new session included)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.runner import control, gpus
from pyruns_tui.runner.daemon.gpu_accounting import GpuAccounting, percentile
from pyruns_tui.runner.gpus import GpuDevice, GpuProcess
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project


def snapshot(*per_device: tuple[float, list[tuple[int, float]]]) -> list[GpuDevice]:
    return [GpuDevice(index=i, name="g", mem_total_mb=24000, util_pct=util,
                      processes=tuple(GpuProcess(pid, used) for pid, used in procs))
            for i, (util, procs) in enumerate(per_device)]


def test_usage_is_attributed_by_task_dir_and_summed_per_sample() -> None:
    owners = {10: "/t/a", 11: "/t/a", 20: "/t/b", 99: None}
    acct = GpuAccounting(read_environ=owners.get)
    runs = {"a": "/t/a", "b": "/t/b"}
    acct.sample(snapshot((50, [(10, 1000), (99, 5000)]), (10, [(11, 500), (20, 700)])), runs)
    acct.sample(snapshot((70, [(10, 3000)]), (30, [(11, 500)])), runs)
    acct.sample(snapshot((90, [(10, 2000)]), (0, [])), runs)
    a = acct.summary("a")
    assert a is not None
    assert a["gpu_mem_peak_mb"] == 3500  # 3,000 + 500 at the second sample
    assert a["gpu_devices"]["0"] == {"mem_peak_mb": 3000, "util_mean": 70.0, "util_p95": 88.0}
    assert a["gpu_devices"]["1"] == {"mem_peak_mb": 500, "util_mean": 20.0, "util_p95": 29.0}
    assert a["gpu_util_mean"] == round((30 + 50 + 90) / 3, 1)  # per sample, the mean of its devices
    assert acct.summary("b") == {"gpu_mem_peak_mb": 700, "gpu_util_mean": 10.0, "gpu_util_p95": 10.0,
                                 "gpu_devices": {"1": {"mem_peak_mb": 700, "util_mean": 10.0, "util_p95": 10.0}}}
    assert acct.summary("nobody") is None
    assert percentile([1, 2, 3, 4], 50) == 2.5


SCRIPTED = r"""
import json, os, subprocess, sys, time
hold = float(os.environ["HOLD"])
def use(mb, util):
    path = os.path.join(os.environ["PYRUNS_TUI_FAKE_GPU_PROCS"], f"{os.getpid()}.json")
    with open(path + ".tmp", "w") as fh:
        json.dump({"device": 0, "used_mb": mb, "util": util}, fh)
    os.replace(path + ".tmp", path)
if sys.argv[1:] == ["child"]:  # started in a new session by the script, as a data loader might be
    use(2500, 0)
    time.sleep(hold * 3)
    sys.exit()
child = subprocess.Popen([sys.executable, __file__, "child"], start_new_session=True)
for mb in (1000, 3000, 2000):  # the memory curve of the run's own process
    use(mb, 40)
    time.sleep(hold)
child.wait()
"""


def test_a_run_records_its_peak_memory_and_utilisation_children_in_new_sessions_included(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    procs = tmp_path / "gpu-procs"
    procs.mkdir()
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPUS", "1")
    monkeypatch.setenv("PYRUNS_TUI_FAKE_GPU_PROCS", str(procs))
    monkeypatch.setenv("HOLD", "1.6")  # > the 1 s sampling period: every phase is seen
    script = tmp_path / "scripted.py"
    script.write_text(SCRIPTED)
    name = project.add("train", command=f"exec {shlex.quote(sys.executable)} {shlex.quote(str(script))}", gpus=1)
    control.queue(project.store, [name])
    task = project.wait(name, timeout=60)[name]
    assert task.status is Status.COMPLETED, project.log(name)
    run = task.runs[0]
    # the child's 2,500 MB (its own session) count: 3,000 + 2,500 at the peak
    assert run.gpu_mem_peak_mb == 5500
    assert run.gpu_util_mean == 40.0 and run.gpu_util_p95 == 40.0
    assert run.gpu_devices == {"0": {"mem_peak_mb": 5500, "util_mean": 40.0, "util_p95": 40.0}}
    assert gpus.FAKE_PROCS_ENV == "PYRUNS_TUI_FAKE_GPU_PROCS"


def test_the_numbers_reach_show_ls_export_and_search(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from pyruns_tui.workspace.model import Run

    big, small, cpu = (project.add(n, "pass") for n in ("big", "small", "cpu"))
    for name, peak in ((big, 22000.0), (small, 3000.0)):
        project.store.update(name, lambda t, peak=peak: t.runs.append(Run(
            index=1, status=Status.COMPLETED, gpus=[0], gpu_mem_peak_mb=peak, gpu_util_mean=55.0, gpu_util_p95=90.0,
            gpu_devices={"0": {"mem_peak_mb": peak, "util_mean": 55.0, "util_p95": 90.0}})))
    capsys.readouterr()
    assert project.cli("ls", "gpu_mem_peak_mb>20000", "--json") == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)] == [big]
    assert project.cli("ls", "--json") == 0
    listed = {t["name"]: t for t in json.loads(capsys.readouterr().out)}
    assert listed[small]["gpu_util_p95"] == 90.0 and listed[cpu]["gpu_mem_peak_mb"] is None
    assert project.cli("show", big) == 0
    assert "gpu: peak 22000 MB (0: 22000 MB), util mean 55.0% p95 90.0%" in capsys.readouterr().out
    assert project.cli("export", "-f", "json") == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[big]["gpu_mem_peak_mb"] == 22000.0 and rows[small]["gpu_util_mean"] == 55.0


# a tiny CUDA program through libcuda (ctypes): a context and a 256 MiB buffer on the task's GPU
CUDA_DRIVER_ALLOC = """
import ctypes, time
cuda = ctypes.CDLL("libcuda.so.1")
dev, ctx, ptr = ctypes.c_int(), ctypes.c_void_p(), ctypes.c_uint64()
assert cuda.cuInit(0) == 0 and cuda.cuDeviceGet(ctypes.byref(dev), 0) == 0
assert cuda.cuCtxCreate_v2(ctypes.byref(ctx), 0, dev) == 0
assert cuda.cuMemAlloc_v2(ctypes.byref(ptr), 256 << 20) == 0
time.sleep(3)
"""


@pytest.mark.gpu
def test_real_nvml_accounting_of_a_tiny_cuda_allocation(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = gpus.NvmlGpus.try_open()
    if backend is None or not backend.devices():
        pytest.skip("no NVIDIA GPU with a working NVML here")
    alloc = CUDA_DRIVER_ALLOC  # the driver's own library: a GPU machine has it without torch or cupy
    for module, code in (("torch", "import torch, time; x = torch.empty(256 * 2**20, dtype=torch.uint8, device='cuda'); "
                                   "torch.cuda.synchronize(); time.sleep(3)"),
                         ("cupy", "import cupy, time; x = cupy.empty(256 * 2**20, dtype=cupy.uint8); time.sleep(3)")):
        if subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0:
            alloc = code
            break
    monkeypatch.delenv("PYRUNS_TUI_FAKE_GPUS", raising=False)
    name = project.add("cuda", alloc, gpus=1)
    control.queue(project.store, [name])
    task = project.wait(name, timeout=120)[name]
    run = task.runs[0]
    assert task.status is Status.COMPLETED, project.log(name)
    assert run.gpu_mem_peak_mb is not None and run.gpu_mem_peak_mb >= 256  # the 256 MiB buffer, plus the context
    assert set(run.gpu_devices or {}) == {str(run.gpus[0])}
