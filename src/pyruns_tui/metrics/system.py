"""A snapshot sampler of the machine: CPU, memory and GPUs (psutil + NVML or the fake backend).

One `SystemSampler` per process; `sample()` is cheap (no sleeping): CPU percentages are
measured since the previous call, so call it at the display's refresh rate. The first sample's
CPU figure covers the time since the sampler was created.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from pyruns_tui.runner.gpus import GpuBackend, GpuDevice, detect_backend


@dataclass(frozen=True)
class SystemSnapshot:
    """The machine at one moment."""

    time: float
    cpu_percent: float
    per_cpu_percent: tuple[float, ...]
    cpu_count: int
    load_avg: tuple[float, float, float] | None
    mem_total_mb: float
    mem_used_mb: float
    mem_percent: float
    swap_used_mb: float
    gpus: tuple[GpuDevice, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gpus"] = [g.to_dict() for g in self.gpus]
        data["per_cpu_percent"] = list(self.per_cpu_percent)
        data["load_avg"] = list(self.load_avg) if self.load_avg else None
        return data


class SystemSampler:
    """Takes SystemSnapshots; holds the GPU backend (NVML is initialised once)."""

    def __init__(self, backend: GpuBackend | None = None) -> None:
        self.backend = backend if backend is not None else detect_backend()
        psutil.cpu_percent(percpu=True)  # start the measuring interval
        self._started = time.monotonic()

    def sample(self, *, gpus: bool = True) -> SystemSnapshot:
        per_cpu = tuple(psutil.cpu_percent(percpu=True))
        mem = psutil.virtual_memory()
        try:
            load = tuple(round(x, 2) for x in os.getloadavg())
        except (AttributeError, OSError):
            load = None
        return SystemSnapshot(
            time=time.time(),
            cpu_percent=round(sum(per_cpu) / len(per_cpu), 1) if per_cpu else 0.0,
            per_cpu_percent=per_cpu,
            cpu_count=len(per_cpu) or (os.cpu_count() or 1),
            load_avg=load,  # type: ignore[arg-type]
            mem_total_mb=round(mem.total / 2**20, 1),
            mem_used_mb=round((mem.total - mem.available) / 2**20, 1),
            mem_percent=mem.percent,
            swap_used_mb=round(psutil.swap_memory().used / 2**20, 1),
            gpus=tuple(self.backend.devices()) if gpus else (),
        )

    def sample_after(self, interval_s: float) -> SystemSnapshot:
        """A snapshot whose CPU figures cover at least `interval_s` since the sampler started."""
        left = interval_s - (time.monotonic() - self._started)
        if left > 0:
            time.sleep(left)
        return self.sample()
