"""GPU memory reserved by runs that are starting: two tasks never race for the same free memory.

A task that asks for `gpu_mem_mb` is placed on a GPU only when that much is free; right after
its start NVML still shows the memory free (the script has not allocated yet), so the runner
holds the amount as reserved on its GPUs until one of the run's processes shows up on the
device (found by the `PYRUNS_TASK_DIR` in its environment, so children and processes in a new
session count) or RESERVE_S has passed, whichever comes first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from pyruns_tui.runner.daemon.launch import TASK_DIR_ENV
from pyruns_tui.runner.gpus import GpuDevice

__all__ = ["Reservations", "RESERVE_S"]

RESERVE_S = 30.0


@dataclass
class _Reservation:
    """GPU memory held for a task just started (in `task_dir`) on `devices` until `until`."""

    task_dir: str
    devices: tuple[int, ...]
    mb: float
    until: float


class Reservations:
    """The runner's reservations, by task name."""

    def __init__(self) -> None:
        self._held: dict[str, _Reservation] = {}

    def reserve(self, name: str, task_dir: str, devices: Sequence[int], mb: float) -> None:
        self._held[name] = _Reservation(task_dir, tuple(devices), mb, time.monotonic() + RESERVE_S)

    def release(self, name: str) -> None:
        self._held.pop(name, None)

    def reserved_mb(self, devices: Sequence[GpuDevice]) -> dict[int, float]:
        """Device index -> MB still reserved, after dropping what expired or became visible."""
        now = time.monotonic()
        visible = {d.index: {p.pid for p in d.processes} for d in devices}
        out: dict[int, float] = {}
        for name, held in list(self._held.items()):
            shown = any(_belongs(pid, held.task_dir) for index in held.devices for pid in visible.get(index, ()))
            if now >= held.until or shown:
                del self._held[name]
                continue
            for index in held.devices:
                out[index] = out.get(index, 0.0) + held.mb
        return out


def _belongs(pid: int, task_dir: str) -> bool:
    """Whether process `pid` runs for the task in `task_dir` (its environment says so)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            environ = fh.read()
    except OSError:
        return False
    return f"{TASK_DIR_ENV}={task_dir}".encode() in environ.split(b"\0")
