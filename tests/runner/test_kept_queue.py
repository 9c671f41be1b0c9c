"""The runner's kept queue: the index of its tasks that need no GPU, and entries taken out in place."""

from __future__ import annotations

from pyruns_tui.runner.daemon.kept_queue import NoGpuIndex, take_out
from pyruns_tui.runner.daemon.runs import queue_order
from pyruns_tui.workspace.model import Task


def _queue(gpus: list[int | None]) -> list[Task]:
    tasks = [Task(name=f"t{i:03d}", gpus=n, queued_at=f"2026-01-01T00:00:{i // 60:02d}.{i % 60:03d}")
             for i, n in enumerate(gpus)]
    return sorted(tasks, key=queue_order)


def test_entries_are_taken_out_at_their_positions_few_or_many() -> None:
    for count in (3, 40):
        items = _queue([1] * 100)
        positions = sorted({(7 * i) % 100 for i in range(count)})
        expected = [t for i, t in enumerate(items) if i not in positions]
        take_out(items, positions)
        assert items == expected


def test_the_next_task_needing_no_gpu_is_found_past_gpu_tasks_and_places_gone_are_dropped() -> None:
    queue = _queue([1, 0, 1, 1, None, 1, 0, 1])
    index = NoGpuIndex()

    def passes(task: Task) -> bool:
        return task.gpus == 0

    index.make(queue, passes, 1)
    assert index.next(queue, 0, passes) == 1
    assert index.next(queue, 2, passes) == 6
    del queue[6]  # started: its place is dropped when met
    assert index.next(queue, 2, passes) == len(queue) and len(index.keys) == 1
    added = Task(name="late", gpus=0, queued_at="2026-01-01T00:01:00.000")
    queue.append(added)
    index.add(added)
    assert index.next(queue, 2, passes) == len(queue) - 1
