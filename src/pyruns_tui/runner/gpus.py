"""GPUs: discovery through NVML (or a fake backend for tests) and the choice of devices for a task.

Backends answer `devices()` with a fresh snapshot of every device. `detect_backend()` picks:
`PYRUNS_TUI_FAKE_GPUS=N` -> N fake devices (`PYRUNS_TUI_FAKE_GPUS_BUSY=1,3` marks devices busy
with foreign work, `PYRUNS_TUI_FAKE_GPUS_FREE_MB=8000,30000` sets each device's free memory,
`PYRUNS_TUI_FAKE_GPU_PROCS=DIR` lists processes: a process that "allocates" writes
`DIR/<pid>.json` = {"device": 0, "used_mb": 1200, "util": 40}); else NVML when `pynvml`
imports and initialises; else no GPUs.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from pyruns_tui.contracts import FAKE_GPUS_BUSY_ENV, FAKE_GPUS_ENV
from pyruns_tui.errors import RunnerError

FAKE_ENV = FAKE_GPUS_ENV
FAKE_BUSY_ENV = FAKE_GPUS_BUSY_ENV
FAKE_FREE_ENV = "PYRUNS_TUI_FAKE_GPUS_FREE_MB"
FAKE_PROCS_ENV = "PYRUNS_TUI_FAKE_GPU_PROCS"


@dataclass(frozen=True)
class GpuProcess:
    """A process using a GPU, as NVML reports it."""

    pid: int
    used_mb: float | None = None
    name: str = ""


@dataclass(frozen=True)
class GpuDevice:
    """One GPU at one moment: identity, memory, utilisation and its processes."""

    index: int
    name: str
    uuid: str = ""
    mem_total_mb: float = 0.0
    mem_used_mb: float = 0.0
    util_pct: float | None = None
    temperature_c: float | None = None
    power_w: float | None = None
    processes: tuple[GpuProcess, ...] = field(default_factory=tuple)

    @property
    def mem_free_mb(self) -> float:
        return max(0.0, self.mem_total_mb - self.mem_used_mb)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mem_free_mb"] = self.mem_free_mb
        data["processes"] = [asdict(p) for p in self.processes]
        return data


class GpuBackend(Protocol):
    """Where GPU snapshots come from."""

    name: str

    def devices(self) -> list[GpuDevice]: ...


class NoGpus:
    """A machine without GPUs (or without a working NVML)."""

    name = "none"

    def devices(self) -> list[GpuDevice]:
        return []


class FakeGpus:
    """N simulated 24 GiB GPUs with gently moving statistics; `busy` ones look taken by others."""

    name = "fake"

    def __init__(self, count: int, busy: Iterable[int] = (), free_mb: Sequence[float] = (),
                 procs_dir: str | None = None) -> None:
        self.count = count
        self.busy = frozenset(busy)
        self.free_mb = list(free_mb)
        self.procs_dir = procs_dir

    def _fake_processes(self) -> dict[int, list[tuple[GpuProcess, float]]]:
        """Processes that declared GPU use in `procs_dir` and are alive, by device."""
        found: dict[int, list[tuple[GpuProcess, float]]] = {}
        if not self.procs_dir:
            return found
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.procs_dir):
                stem = entry.name.removesuffix(".json")
                if not stem.isdigit() or not os.path.exists(f"/proc/{stem}"):
                    continue
                with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                    with open(entry.path, encoding="utf-8") as fh:
                        data = json.load(fh)
                    proc = GpuProcess(pid=int(stem), used_mb=float(data["used_mb"]), name="fake")
                    found.setdefault(int(data.get("device", 0)), []).append((proc, float(data.get("util", 0))))
        return found

    def devices(self) -> list[GpuDevice]:
        now = time.time()
        devices = []
        declared = self._fake_processes()
        for index in range(self.count):
            wave = (math.sin(now / 3.0 + index) + 1) / 2  # 0..1, different phase per device
            if index in self.busy:
                used, util = 24_000.0 - 50 * wave, 90.0 + 8 * wave
                procs: tuple[GpuProcess, ...] = (GpuProcess(pid=1, used_mb=used, name="foreign"),)
            else:
                used, util, procs = 300.0 + 100 * wave, 5 * wave, ()
            if self.procs_dir is not None and index not in self.busy:
                used, util = 300.0, 0.0  # scripted by the processes alone: exact in tests
            if index < len(self.free_mb):
                used = 24_576.0 - self.free_mb[index]
            for proc, proc_util in declared.get(index, []):
                used += proc.used_mb or 0.0
                util = min(100.0, util + proc_util)
                procs += (proc,)
            devices.append(
                GpuDevice(
                    index=index,
                    name="Fake GPU",
                    uuid=f"GPU-fake-{index:04d}",
                    mem_total_mb=24_576.0,
                    mem_used_mb=round(used, 1),
                    util_pct=round(util, 1),
                    temperature_c=round(35 + 40 * util / 100, 1),
                    power_w=round(30 + 250 * util / 100, 1),
                    processes=procs,
                )
            )
        return devices


class NvmlGpus:
    """Real GPUs through nvidia-ml-py (`pynvml`); every query error degrades to a missing value."""

    name = "nvml"

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        self.count = nvml.nvmlDeviceGetCount()

    @classmethod
    def try_open(cls) -> NvmlGpus | None:
        if not nvml_library_loads():
            return None  # importing pynvml costs ~30 ms, at every runner start
        try:
            import pynvml

            pynvml.nvmlInit()
            backend = cls(pynvml)
        except Exception:  # noqa: BLE001 - no module, no driver, no device: all mean "no GPUs"
            return None
        return backend if backend.count > 0 else None

    def devices(self) -> list[GpuDevice]:
        nv = self.nvml
        devices = []
        for index in range(self.count):
            try:
                handle = nv.nvmlDeviceGetHandleByIndex(index)
                mem = nv.nvmlDeviceGetMemoryInfo(handle)
            except Exception:  # noqa: BLE001 - a device that fell off the bus is skipped
                continue
            devices.append(
                GpuDevice(
                    index=index,
                    name=_text(_try(lambda: nv.nvmlDeviceGetName(handle), "GPU")),
                    uuid=_text(_try(lambda: nv.nvmlDeviceGetUUID(handle), "")),
                    mem_total_mb=mem.total / 2**20,
                    mem_used_mb=mem.used / 2**20,
                    util_pct=_try(lambda: float(nv.nvmlDeviceGetUtilizationRates(handle).gpu), None),
                    temperature_c=_try(lambda: float(nv.nvmlDeviceGetTemperature(handle, 0)), None),
                    power_w=_try(lambda: nv.nvmlDeviceGetPowerUsage(handle) / 1000.0, None),
                    processes=self._processes(handle),
                )
            )
        return devices

    def _processes(self, handle: Any) -> tuple[GpuProcess, ...]:
        found: dict[int, GpuProcess] = {}
        for query in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
            for proc in _try(lambda: getattr(self.nvml, query)(handle), None) or []:
                used = getattr(proc, "usedGpuMemory", None)
                found.setdefault(proc.pid, GpuProcess(proc.pid, used / 2**20 if used else None, _proc_name(proc.pid)))
        return tuple(found.values())


NVML_LIBRARY = "libnvidia-ml.so.1"


def nvml_library_loads() -> bool:
    """Whether the NVML library can be loaded, checked the way pynvml loads it on Linux (a
    machine without the NVIDIA driver answers in well under a millisecond). Elsewhere: True,
    pynvml decides."""
    if not sys.platform.startswith("linux"):
        return True
    import ctypes

    try:
        ctypes.CDLL(NVML_LIBRARY)
    except OSError:
        return False
    return True


def _try(fn: Any, default: Any) -> Any:
    try:
        return fn()
    except Exception:  # noqa: BLE001 - NVML raises NVMLError_NotSupported and friends per query
        return default


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _proc_name(pid: int) -> str:
    with contextlib.suppress(Exception):
        import psutil

        return psutil.Process(pid).name()
    return ""


def _fake_list(env: Mapping[str, str], name: str, kind: type[int] | type[float], what: str, example: str) -> list[Any]:
    """The comma-separated values of `name` (empty when unset), or RunnerError naming it."""
    text = env.get(name, "").strip()
    values = []
    for part in text.split(",") if text else []:
        try:
            value = kind(part.strip())
        except ValueError:
            value = -1
        if not 0 <= value < math.inf:  # (NaN too)
            raise RunnerError(f"{name}={text!r}: expected {what} separated by commas, e.g. {name}={example}")
        values.append(value)
    return values


def detect_backend(environ: Mapping[str, str] | None = None) -> GpuBackend:
    """The GPU backend for this process: fake (env), NVML, or none. A fake-backend variable
    that does not parse is a RunnerError naming it (a test setting a typo would else run on
    other GPUs than it meant)."""
    env = os.environ if environ is None else environ
    fake = env.get(FAKE_ENV, "").strip()
    if fake:
        if not fake.isdigit():
            raise RunnerError(f"{FAKE_ENV}={fake!r}: expected the number of fake GPUs, e.g. {FAKE_ENV}=2")
        free = _fake_list(env, FAKE_FREE_ENV, float, "each fake GPU's free memory in MB", "8000,20000")
        busy = _fake_list(env, FAKE_BUSY_ENV, int, "the indices of the busy fake GPUs", "1,3")
        return FakeGpus(int(fake), busy, free, env.get(FAKE_PROCS_ENV) or None)
    return NvmlGpus.try_open() or NoGpus()


def usable(devices: Sequence[GpuDevice], gpu_ids: str | Sequence[int]) -> list[GpuDevice]:
    """The devices pyruns may use: all of them, or those listed in the `gpu_ids` setting."""
    if gpu_ids == "auto":
        return list(devices)
    allowed = set(gpu_ids)
    return [d for d in devices if d.index in allowed]


def is_busy(device: GpuDevice, free_memory_mb: float, max_util_pct: float) -> bool:
    """Busy with foreign work: too little free memory or too much utilisation."""
    if device.mem_free_mb < free_memory_mb:
        return True
    return device.util_pct is not None and device.util_pct > max_util_pct


def assign_gpus(
    devices: Sequence[GpuDevice],
    need: int,
    held: Mapping[int, int],
    *,
    free_memory_mb: float,
    max_util_pct: float,
    force: bool = False,
    max_per_gpu: int = 1,
    need_mem_mb: float | None = None,
    reserved_mb: Mapping[int, float] | None = None,
) -> list[int] | None:
    """Indices of `need` devices for a task, or None when it must wait.

    Free means: fewer than `max_per_gpu` of our tasks on it (`held`: index -> how many of our
    tasks use it), and either (no memory request) not busy with foreign work while none of ours
    uses it, or (`need_mem_mb`) that much memory free once what starting runs reserved
    (`reserved_mb`) is taken off. The least shared devices win, then the lowest indices. With
    `force`, the task never waits: free devices first, then the least used of the rest.
    """
    if need <= 0:
        return []
    reserved_mb = reserved_mb or {}

    def fits(d: GpuDevice) -> bool:
        count = held.get(d.index, 0)
        if count >= max_per_gpu:
            return False
        if need_mem_mb is not None:
            return d.mem_free_mb - reserved_mb.get(d.index, 0.0) >= need_mem_mb
        return count > 0 or not is_busy(d, free_memory_mb, max_util_pct)

    free = sorted((d for d in devices if fits(d)), key=lambda d: (held.get(d.index, 0), d.index))
    if len(free) >= need:
        return sorted(d.index for d in free[:need])
    if not force:
        return None
    rest = [d for d in devices if d not in free]
    rest.sort(key=lambda d: (held.get(d.index, 0), is_busy(d, free_memory_mb, max_util_pct), -d.mem_free_mb, d.index))
    return sorted(d.index for d in (free + rest)[:need])
