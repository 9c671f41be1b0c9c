"""Building Monitor test workspaces: tasks with runs, logs and metrics, fixed times; fixed system samples."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pyruns_tui.runner.gpus import GpuDevice, GpuProcess
from pyruns_tui.tui.models.system_feed import SystemFeed, SystemSample
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status, parse_iso
from pyruns_tui.workspace.store import NewTask, TaskStore

T0 = "2024-05-01T10:00:00.000+00:00"


def add_task(store: TaskStore, name: str, config: dict | None = None, *, created_at: str = T0) -> str:
    """Create one plain task with a fixed creation time."""
    [task] = store.create_tasks([NewTask(name=name, config=config or {"lr": 0.1})], task_kind="plain", script=None)
    store.update(task.name, lambda t: setattr(t, "created_at", created_at))
    return task.name


def add_run(store: TaskStore, name: str, status: Status, log: bytes = b"", *, pid: int | None = None,
            minute: int = 0) -> Path:
    """Append a run with `status` and a log holding `log`; the task takes the run's status."""

    def change(task):  # type: ignore[no-untyped-def]
        index = len(task.runs) + 1
        start = f"2024-05-01T10:{minute:02d}:00.000+00:00"
        finished = status.is_finished
        task.runs.append(Run(index=index, status=status, start=start, pid=pid,
                             finish=f"2024-05-01T10:{minute:02d}:30.000+00:00" if finished else None,
                             duration_s=30.0 if finished else None, exit_code=0 if status is Status.COMPLETED else None,
                             log=f"run_logs/run{index}.log"))
        task.status = status

    task = store.update(name, change)
    path = store.layout.run_log(name, task.runs[-1].index)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(log)
    return path


def write_metrics(layout: Layout, name: str, rows: Iterable[dict]) -> None:
    with open(layout.metrics_file(name), "a", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(row) + "\n")


def fixed_sample(gpus: int = 2, owners: dict[int, str] | None = None) -> SystemSample:
    """A system sample with fixed numbers (CPU 37 %, RAM 12/32 GiB, GPUs with set values)."""
    devices = tuple(
        GpuDevice(index=i, name="Fake GPU", mem_total_mb=24_576.0, mem_used_mb=4_096.0 * (i + 1),
                  util_pct=30.0 + 40 * i, temperature_c=50.0 + 10 * i, power_w=120.0 + 60 * i,
                  processes=(GpuProcess(pid=4242 + i, used_mb=2048.0, name="python"),))
        for i in range(gpus)
    )
    return SystemSample(cpu_pct=37.0, ram_used_mb=12_288.0, ram_total_mb=32_768.0, gpus=devices,
                        backend="fake" if gpus else "none", owners=owners or {})


def fixed_feed(gpus: int = 2, samples: int = 120, owners: dict[int, str] | None = None) -> SystemFeed:
    """A feed that already holds `samples` deterministic samples and never samples by itself."""
    base = fixed_sample(gpus, owners)
    feed = SystemFeed(sampler=lambda: base, hz=4.0, threaded=False)
    for k in range(samples):
        wave = (k * 7) % 100
        gpu_devices = tuple(
            GpuDevice(index=d.index, name=d.name, mem_total_mb=d.mem_total_mb, mem_used_mb=d.mem_used_mb,
                      util_pct=float((wave + 30 * d.index) % 100), temperature_c=d.temperature_c,
                      power_w=d.power_w, processes=d.processes)
            for d in base.gpus
        )
        feed.history.append(SystemSample(cpu_pct=float(wave), ram_used_mb=base.ram_used_mb,
                                         ram_total_mb=base.ram_total_mb, gpus=gpu_devices,
                                         backend=base.backend, owners=base.owners))
    feed.history.append(base)
    feed.version = samples + 1
    return feed


def demo_workspace(store: TaskStore) -> list[str]:
    """Three tasks (running, completed, failed) with coloured logs, a finished tqdm bar, a long
    line, a tab, two runs each, and loss/acc metrics with a train -> val stage change."""
    import math

    names = []
    for i, (status, lr) in enumerate(((Status.RUNNING, 0.1), (Status.COMPLETED, 0.01), (Status.FAILED, 0.001))):
        name = add_task(store, f"exp_{i + 1}-of-3", {"lr": lr, "model": {"depth": 18}},
                        created_at=f"2024-05-01T09:0{i}:00.000+00:00")
        log = b"".join(b"\x1b[1;32mINFO\x1b[0m epoch %d step %d loss=\x1b[33m%.4f\x1b[0m\n" % (i, s, 1 / (s + 1))
                       for s in range(60))
        log += b"train:  10%|#         | 10/100\rtrain:  50%|#####     | 50/100\rtrain: 100%|##########| 100/100\n"
        log += b"\x1b[31mWARNING\x1b[0m " + b"a very long line " * 12 + b"\n\tindented with a tab\n"
        add_run(store, name, Status.COMPLETED, b"first run of %s\n" % name.encode(), minute=i)
        add_run(store, name, status, log, pid=4242 + i if status is Status.RUNNING else None, minute=10 + i)
        second = parse_iso(f"2024-05-01T10:{10 + i:02d}:00.000+00:00") or 0.0  # logged during run 2
        write_metrics(store.layout, name, [
            {"t": second + s, "step": s, "stage": "train" if s < 70 else "val", "loss": math.exp(-s / (20 * (i + 1))),
             "acc": 1 - math.exp(-s / 30)} for s in range(100)])
        names.append(name)
    return names
