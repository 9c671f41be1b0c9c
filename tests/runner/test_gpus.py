"""Choosing GPUs: free = not ours and not busy with foreign work; force never waits."""

from __future__ import annotations

from pyruns_tui.runner.gpus import FakeGpus, GpuDevice, NoGpus, assign_gpus, detect_backend, usable


def dev(index: int, used_mb: float = 300, util: float | None = 1) -> GpuDevice:
    return GpuDevice(index=index, name="g", mem_total_mb=24_000, mem_used_mb=used_mb, util_pct=util)


def pick(devices: list[GpuDevice], need: int, held: dict[int, int] | None = None, force: bool = False) -> list[int] | None:
    return assign_gpus(devices, need, held or {}, free_memory_mb=2048, max_util_pct=50, force=force)


def test_lowest_free_devices_are_assigned() -> None:
    assert pick([dev(0), dev(1), dev(2)], 2) == [0, 1]
    assert pick([dev(0), dev(1)], 0) == []


def test_devices_held_by_our_tasks_are_not_free() -> None:
    assert pick([dev(0), dev(1), dev(2)], 1, held={0: 1}) == [1]
    assert pick([dev(0), dev(1)], 2, held={1: 1}) is None


def test_foreign_memory_or_utilisation_makes_a_device_busy() -> None:
    devices = [dev(0, used_mb=23_000), dev(1, util=90), dev(2), dev(3, util=None)]
    assert pick(devices, 2) == [2, 3]
    assert pick(devices, 3) is None


def test_force_prefers_free_devices_then_the_least_used() -> None:
    devices = [dev(0), dev(1, util=95), dev(2)]
    assert pick(devices, 2, held={0: 1, 2: 2}, force=True) == [0, 1]
    assert pick(devices, 5, force=True) == [0, 1, 2]


def test_gpu_ids_setting_limits_the_usable_devices() -> None:
    devices = [dev(0), dev(1), dev(2)]
    assert [d.index for d in usable(devices, "auto")] == [0, 1, 2]
    assert [d.index for d in usable(devices, (2, 0))] == [0, 2]


def test_fake_backend_from_the_environment_marks_busy_devices() -> None:
    backend = detect_backend({"PYRUNS_TUI_FAKE_GPUS": "3", "PYRUNS_TUI_FAKE_GPUS_BUSY": "1"})
    assert isinstance(backend, FakeGpus)
    devices = backend.devices()
    assert [d.index for d in devices] == [0, 1, 2]
    assert pick(devices, 2) == [0, 2]
    assert all(d.mem_total_mb > 0 and d.util_pct is not None for d in devices)
    assert devices[1].processes and not devices[0].processes


def test_zero_fake_gpus_is_a_machine_without_gpus() -> None:
    assert detect_backend({"PYRUNS_TUI_FAKE_GPUS": "0"}).devices() == []
    assert NoGpus().devices() == []


def test_packing_rules_share_spread_and_count_reserved_memory() -> None:
    from pyruns_tui.runner.gpus import GpuDevice, assign_gpus

    devices = [GpuDevice(index=i, name="g", mem_total_mb=24000, mem_used_mb=used) for i, used in enumerate((16000, 4000, 4000))]
    plain = {"free_memory_mb": 2048, "max_util_pct": 50}
    assert assign_gpus(devices, 1, {1: 1}, **plain) == [0]  # one task per GPU by default
    assert assign_gpus(devices, 1, {0: 1, 1: 1}, **plain) == [2]
    assert assign_gpus(devices, 1, {0: 1, 1: 1, 2: 1}, **plain) is None
    assert assign_gpus(devices, 1, {0: 1, 1: 1, 2: 1}, max_per_gpu=2, **plain) == [0]  # shared, lowest index
    assert assign_gpus(devices, 2, {1: 1}, max_per_gpu=2, **plain) == [0, 2]  # the least shared first
    # memory-aware: 8,000 MB free on GPU 0, 20,000 on 1 and 2 (of which 10,000 reserved on 1)
    assert assign_gpus(devices, 1, {}, need_mem_mb=12000, reserved_mb={1: 10000}, max_per_gpu=4, **plain) == [2]
    assert assign_gpus(devices, 1, {}, need_mem_mb=12000, reserved_mb={1: 10000, 2: 9000}, max_per_gpu=4, **plain) is None
