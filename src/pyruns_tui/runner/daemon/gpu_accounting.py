"""Per-run GPU accounting: what each run's processes used of each GPU, sampled once a second.

The runner asks the GPU backend for one snapshot of every device per second while runs are
alive (one NVML query for all of them, not one per task), finds which run each GPU process
belongs to by the `PYRUNS_TASK_DIR` in its environment (so children, grandchildren and
processes the script started in a new session all count), and keeps per run and device the
memory its processes held and the device's utilisation while they were there. When the run
ends, `summary()` gives the fields of its record: `gpu_mem_peak_mb`, `gpu_util_mean`,
`gpu_util_p95` and `gpu_devices` (per NVML index).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyruns_tui.runner.daemon.launch import TASK_DIR_ENV
from pyruns_tui.runner.gpus import GpuDevice

__all__ = ["GpuAccounting", "percentile"]

MAX_SAMPLES = 100_000  # per run and device (a day at one per second); older ones are thinned


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation, like numpy's default."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class _Usage:
    """One GPU's use by one run: its memory peak and utilisation samples."""

    mem_peak_mb: float = 0.0
    util: list[float] = field(default_factory=list)


@dataclass
class _RunUsage:
    """A run's GPU use: per device, and over all of them."""

    devices: dict[int, _Usage] = field(default_factory=dict)
    mem_peak_mb: float = 0.0
    util: list[float] = field(default_factory=list)


class GpuAccounting:
    """The runner's accounting of live runs (by task name)."""

    def __init__(self, read_environ: Any = None) -> None:
        self._usage: dict[str, _RunUsage] = {}
        self._owner: dict[int, str | None] = {}  # pid -> task dir (None: not one of ours)
        self._read_environ = read_environ or _task_dir_of

    def sample(self, devices: Sequence[GpuDevice], runs: Mapping[str, str]) -> None:
        """Take one snapshot into account; `runs` maps task name -> its resolved task dir."""
        by_dir = {task_dir: name for name, task_dir in runs.items()}
        seen: set[int] = set()
        totals: dict[str, float] = {}
        utils: dict[str, list[float]] = {}
        for device in devices:
            used: dict[str, float] = {}
            for proc in device.processes:
                seen.add(proc.pid)
                if proc.pid not in self._owner:
                    self._owner[proc.pid] = self._read_environ(proc.pid)
                name = by_dir.get(self._owner[proc.pid] or "")
                if name is not None:
                    used[name] = used.get(name, 0.0) + (proc.used_mb or 0.0)
            for name, mb in used.items():
                usage = self._usage.setdefault(name, _RunUsage()).devices.setdefault(device.index, _Usage())
                usage.mem_peak_mb = max(usage.mem_peak_mb, mb)
                totals[name] = totals.get(name, 0.0) + mb
                if device.util_pct is not None:
                    _append(usage.util, device.util_pct)
                    utils.setdefault(name, []).append(device.util_pct)
        for name, mb in totals.items():
            run = self._usage[name]
            run.mem_peak_mb = max(run.mem_peak_mb, mb)
            if name in utils:
                _append(run.util, sum(utils[name]) / len(utils[name]))
        for pid in set(self._owner) - seen:  # gone from every device: a new process may reuse it
            del self._owner[pid]

    def summary(self, name: str) -> dict[str, Any] | None:
        """The record fields of a run that used a GPU (None when it never showed up on one)."""
        run = self._usage.get(name)
        if run is None:
            return None
        return {
            "gpu_mem_peak_mb": round(run.mem_peak_mb, 1),
            "gpu_util_mean": _mean(run.util),
            "gpu_util_p95": _p95(run.util),
            "gpu_devices": {
                str(index): {"mem_peak_mb": round(u.mem_peak_mb, 1), "util_mean": _mean(u.util), "util_p95": _p95(u.util)}
                for index, u in sorted(run.devices.items())
            },
        }

    def forget(self, name: str) -> None:
        self._usage.pop(name, None)

    @property
    def watching(self) -> bool:
        return bool(self._usage)


def _append(values: list[float], value: float) -> None:
    values.append(value)
    if len(values) > MAX_SAMPLES:
        del values[::2]  # keep every other: the mean and percentiles stay representative


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _p95(values: list[float]) -> float | None:
    return round(percentile(values, 95), 1) if values else None


def _task_dir_of(pid: int) -> str | None:
    """The PYRUNS_TASK_DIR in a process's environment (None: not ours, or gone)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            environ = fh.read()
    except OSError:
        return None
    prefix = f"{TASK_DIR_ENV}=".encode()
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix):].decode("utf-8", "surrogateescape")
    return None
