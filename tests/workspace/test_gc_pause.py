"""bulk_load: the cyclic GC is paused while big loads run (nested, from threads), then resumes."""

from __future__ import annotations

import gc
import threading

from pyruns_tui.workspace.gc_pause import bulk_load


def test_bulk_load_pauses_the_collector_and_freezes_what_survived() -> None:
    assert gc.isenabled()
    kept = [object() for _ in range(10)]
    frozen = gc.get_freeze_count()
    try:
        with bulk_load():
            assert not gc.isenabled()
            with bulk_load(freeze=True):  # asked by an inner load: done when the outermost ends
                assert not gc.isenabled()
            assert not gc.isenabled()  # the outer load is still running
            kept.append(object())
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_load_that_does_not_ask_freezes_nothing() -> None:
    """The runner scans all its life: what is alive then (cycles that are garbage too) must stay collectable."""
    gc.unfreeze()
    with bulk_load():
        with bulk_load():
            assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_bulk_load_keeps_a_disabled_collector_disabled_and_overlaps_across_threads() -> None:
    inside, leave = threading.Event(), threading.Event()

    def load() -> None:
        with bulk_load():
            inside.set()
            leave.wait(10)

    try:
        gc.disable()
        with bulk_load():
            pass
        assert not gc.isenabled()
        gc.enable()
        worker = threading.Thread(target=load)
        worker.start()
        assert inside.wait(10)
        with bulk_load():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the thread's load still runs
        leave.set()
        worker.join(10)
        assert gc.isenabled()
    finally:
        leave.set()
        gc.unfreeze()
        gc.enable()
