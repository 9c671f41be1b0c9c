"""pr.summary() / pr.add_monitor(): merged, atomic, concurrent-safe summary.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import pyruns_tui as pr
from pyruns_tui.metrics.track import read_summary
from tests.api.conftest import run_script, task_env, write_script


def summary_file(task_dir: Path) -> dict:
    return json.loads((task_dir / "summary.json").read_text())


def test_calls_merge_and_the_last_value_of_a_key_wins(in_task: Path) -> None:
    pr.summary({"best_acc": 0.5, "epoch": 1})
    pr.summary({"best_acc": 0.9, "note": "ok"})
    assert summary_file(in_task) == {"best_acc": 0.9, "epoch": 1, "note": "ok"}


def test_add_monitor_takes_a_dict_and_keywords(in_task: Path) -> None:
    pr.add_monitor({"a": 1}, b=2.5)
    pr.add_monitor(c=[1, 2])
    assert summary_file(in_task) == {"a": 1, "b": 2.5, "c": [1, 2]}


def test_the_write_is_atomic_and_leaves_no_temp_files(in_task: Path) -> None:
    for i in range(20):
        pr.summary({f"k{i}": i})
    assert sorted(p.name for p in in_task.iterdir()) == ["summary.json"]
    assert len(summary_file(in_task)) == 20


def test_non_finite_and_nested_values_round_trip_through_the_reader(in_task: Path) -> None:
    pr.summary({"nan": math.nan, "best": {"acc": math.inf, "steps": (1, 2)}, "none": None})
    text = (in_task / "summary.json").read_text()
    assert "NaN" in text and json.loads(text, parse_constant=lambda c: pytest.fail(c))
    restored = read_summary(in_task)
    assert math.isnan(restored["nan"])
    assert restored["best"] == {"acc": math.inf, "steps": [1, 2]}
    assert restored["none"] is None


def test_unsupported_values_are_dropped_with_one_warning(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pr.summary({"obj": object(), "ok": 1})
    pr.summary({"obj": object()})
    assert summary_file(in_task) == {"ok": 1}
    assert capsys.readouterr().err.count("pyruns_tui: warning") == 1


def test_a_corrupt_summary_is_replaced_not_fatal(in_task: Path) -> None:
    (in_task / "summary.json").write_text("{not json")
    pr.summary({"best": 1})
    assert summary_file(in_task) == {"best": 1}


def test_a_missing_task_folder_warns_once_and_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYRUNS_TASK_DIR", str(tmp_path / "gone"))
    pr.summary({"best": 1})
    pr.add_monitor(best=2)
    assert capsys.readouterr().err.count("pyruns_tui: warning") == 1


def test_outside_a_task_summary_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pr.summary({"best": 1})
    pr.add_monitor(best=1)
    assert list(tmp_path.iterdir()) == []


def test_concurrent_processes_lose_no_keys(task_dir: Path, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """\
        import multiprocessing as mp, pyruns_tui as pr

        def child(n):
            for i in range(25):
                pr.summary({f"p{n}_{i}": i})

        if __name__ == "__main__":
            procs = [mp.get_context("fork").Process(target=child, args=(n,)) for n in range(4)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
        """,
    )
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    assert summary_file(task_dir) == {f"p{n}_{i}": i for n in range(4) for i in range(25)}


def test_add_monitor_with_a_non_mapping_warns_instead_of_raising(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pr.add_monitor(42)  # type: ignore[arg-type]
    assert "pyruns_tui: warning" in capsys.readouterr().err
    assert not (in_task / "summary.json").exists()
