"""SystemFeed: the app's one system sampler — a daemon thread sampling CPU, RAM and GPUs.

It runs only while some widget listens (`subscribe`/`unsubscribe`), samples at `hz`, keeps a
short history for the sparklines and maps GPU processes to our tasks (run pids and, refreshed
every few seconds, their children). Widgets read `version`/`latest`/`history` from the UI
thread on their own timer and repaint only when `version` moved.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import psutil

from pyruns_tui.errors import PyrunsError
from pyruns_tui.metrics.system import SystemSampler
from pyruns_tui.runner.gpus import GpuBackend, GpuDevice, NoGpus

HISTORY = 240  # samples kept per series (a minute at 4 Hz)
CHILDREN_EVERY_S = 5.0  # how often child processes of our tasks are looked up again


@dataclass(frozen=True)
class SystemSample:
    """The machine at one moment: CPU %, RAM, GPUs (empty when there are none), GPU backend name."""

    cpu_pct: float
    ram_used_mb: float
    ram_total_mb: float
    gpus: tuple[GpuDevice, ...] = ()
    backend: str = "none"
    owners: Mapping[int, str] = field(default_factory=dict)  # GPU process pid -> our task

    @property
    def ram_pct(self) -> float:
        return 100.0 * self.ram_used_mb / self.ram_total_mb if self.ram_total_mb else 0.0


Sampler = Callable[[], SystemSample]


def machine_sampler(backend: GpuBackend | None = None) -> Sampler:
    """A sampler over metrics.system's `SystemSampler` (psutil + NVML, or the fake GPUs). A fake-GPU
    variable that does not parse shows no GPUs here (the runner refuses to start, saying why)."""
    try:
        sampler = SystemSampler(backend)
    except PyrunsError:
        sampler = SystemSampler(NoGpus())

    def sample() -> SystemSample:
        try:
            snap = sampler.sample()
        except Exception:  # noqa: BLE001 - a failing driver must not kill the panel: CPU/RAM go on
            snap = sampler.sample(gpus=False)
        return SystemSample(cpu_pct=snap.cpu_percent, ram_used_mb=snap.mem_used_mb,
                            ram_total_mb=snap.mem_total_mb, gpus=snap.gpus, backend=sampler.backend.name)

    return sample


class SystemFeed:
    """Samples in a daemon thread while subscribed; `history` holds the recent samples.

    `version` counts samples taken; `latest` is the newest sample.
    """

    def __init__(self, sampler: Sampler | None = None, hz: float = 4.0, history: int = HISTORY,
                 *, threaded: bool = True) -> None:
        self._sampler = sampler
        self.threaded = threaded  # False: only `sample_now` samples (fixed samples in tests)
        self.hz = hz
        self.history: deque[SystemSample] = deque(maxlen=history)
        self.version = 0
        self._listeners = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._task_pids: dict[int, str] = {}
        self._owners: dict[int, str] = {}
        self._children_at = 0.0

    @property
    def latest(self) -> SystemSample | None:
        return self.history[-1] if self.history else None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_task_pids(self, pids: Mapping[int, str]) -> None:
        """The pids of our running tasks (pid -> task name); children are found by the thread."""
        with self._lock:
            if dict(pids) != self._task_pids:
                self._task_pids = dict(pids)
                self._children_at = 0.0

    def subscribe(self) -> None:
        with self._lock:
            self._listeners += 1
            if self.threaded and (self._thread is None or not self._thread.is_alive()):
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._run, name="pyruns-system-feed", daemon=True)
                self._thread.start()

    def unsubscribe(self) -> None:
        with self._lock:
            self._listeners = max(0, self._listeners - 1)
            if self._listeners == 0:
                self._stop.set()
                self._thread = None

    def sample_now(self) -> SystemSample:
        """Take one sample in the calling thread (the first paint; tests)."""
        if self._sampler is None:
            self._sampler = machine_sampler()
        sample = self._sampler()
        owners = self._owners_for(sample)
        if owners:
            sample = SystemSample(sample.cpu_pct, sample.ram_used_mb, sample.ram_total_mb, sample.gpus,
                                  sample.backend, owners)
        with self._lock:
            self.history.append(sample)
            self.version += 1
        return sample

    def _run(self) -> None:
        stop = self._stop
        while not stop.is_set():
            with contextlib.suppress(Exception):  # one bad sample must not end the feed
                self.sample_now()
            stop.wait(1.0 / self.hz)

    def _owners_for(self, sample: SystemSample) -> dict[int, str]:
        if not any(device.processes for device in sample.gpus):
            return {}
        with self._lock:
            task_pids = dict(self._task_pids)
            stale = time.monotonic() - self._children_at > CHILDREN_EVERY_S
        if stale:
            owners = dict(task_pids)
            for pid, name in task_pids.items():
                with contextlib.suppress(psutil.Error):
                    for child in psutil.Process(pid).children(recursive=True):
                        owners.setdefault(child.pid, name)
            with self._lock:
                self._owners = owners
                self._children_at = time.monotonic()
        return self._owners


_shared: SystemFeed | None = None


def shared_feed(hz: float = 4.0) -> SystemFeed:
    """The process-wide feed (created on first use; sampling starts on first subscribe)."""
    global _shared
    if _shared is None:
        _shared = SystemFeed(hz=hz)
    return _shared


def use_feed(feed: SystemFeed | None) -> None:
    """Replace the process-wide feed (tests inject fixed samples; None resets)."""
    global _shared
    if _shared is not None and _shared is not feed:
        _shared._stop.set()
    _shared = feed
