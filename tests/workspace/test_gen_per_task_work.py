"""`gen` of 10,000 tasks must take under 2 s (issue 21): what a batch write does for each task is
what must be done for it (its folder, its two files, its rename), and what is the same for every
task of the batch (the layout of task_info.json, the answers about a value, the clock's second)
is worked out once. The files and index rows are byte for byte what they were."""

from __future__ import annotations

import json
import os
import textwrap
import time
import unicodedata
from pathlib import Path

import pytest

from pyruns_tui.params import yamlio
from pyruns_tui.params.argparse_ast import extract_params
from pyruns_tui.params.lone_items import LoneItems
from pyruns_tui.workspace import model, names, staging
from pyruns_tui.workspace.fsio import dump_json
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.scan_index import config_row, info_row, log_of
from pyruns_tui.workspace.store import NewTask, TaskStore


def _index_rows(store: TaskStore) -> list[list[object]]:
    path = log_of(store.layout.cache_file)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_batch_lays_out_task_info_once_and_writes_what_each_task_would(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = Task.to_dict
    monkeypatch.setattr(Task, "to_dict", lambda self: calls.append(self.name) or real(self))
    new = [NewTask(name=f'r"é_{i}', config={"i": i}, after=("a",) if i % 2 else (), gpu_mem_mb=100 if i % 3 else None)
           for i in range(59)] + [NewTask(name="listed", config={}, after=["a"])]  # type: ignore[arg-type]  (a list passed)
    created = store.create_tasks(new, task_kind="argparse", script="/p/q\\\"r.py")
    monkeypatch.undo()
    assert len(calls) <= 3 * 6  # a template per (after, gpu_mem_mb): was two a task (120)
    rows = {(row[0], row[1]): row for row in _index_rows(store)}
    for task in created:
        folder = store.layout.tasks_dir / task.name
        data = task.to_dict()
        assert (folder / "task_info.json").read_bytes() == dump_json(data)  # as dump_json lays it out
        st = os.stat(folder / "task_info.json")
        assert rows["i", task.name] == info_row(task.name, (st.st_ino, st.st_mtime_ns, st.st_size), data)
        st = os.stat(folder / "config.yaml")
        assert rows["c", task.name] == config_row(task.name, (st.st_ino, st.st_mtime_ns, st.st_size), task_config(store, task.name))
    assert sorted(t.name for t in store.scan()) == sorted(t.name for t in created)


def task_config(store: TaskStore, name: str) -> dict[str, object]:
    return yamlio.load_text((store.layout.tasks_dir / name / "config.yaml").read_text())


def test_a_script_path_holding_the_templates_mark_is_laid_out_task_by_task(store: TaskStore) -> None:
    from pyruns_tui.workspace import store as store_module

    script = f"/p/{store_module._TIME_MARK}.py"  # (no real path holds a NUL: the fallback still writes it right)
    created = store.create_tasks([NewTask(name=f"m{i}", config={}) for i in range(3)], task_kind="argparse", script=script)
    for task in created:
        assert (store.layout.tasks_dir / task.name / "task_info.json").read_bytes() == dump_json(task.to_dict())


def test_a_common_task_name_is_checked_without_a_character_by_character_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    real = unicodedata.category
    monkeypatch.setattr(unicodedata, "category", lambda c: asked.append(c) or real(c))
    for i in range(1, 101):
        assert names.name_problem(f"lr-sweep.v2_{i}-of-100") is None
    assert asked == []  # was ~2,300 calls


@pytest.mark.parametrize("name", ["", " a", "a ", "a b", "a\tb", "a\x7fb", "a\x1fb", ".a", "-a", "a/b", "a\\b", "x" * 200,
                                  "x" * 201, "é" * 121, "a\u200bb", "a\u3000b", "a\udc80", "a\u2028b", "ok_1-of-2"])
def test_every_name_is_judged_as_before(name: str) -> None:
    for inner in (False, True):
        assert names._name_problem(name, inner_whitespace=inner) == _slow_name_problem(name, inner)


def _slow_name_problem(name: str, inner: bool) -> str | None:
    """The rules without the ASCII shortcut: the same name, saying it is not ASCII."""
    return names._name_problem(_NoAscii(name), inner_whitespace=inner)


class _NoAscii(str):
    def isascii(self) -> bool:
        return False


def test_a_grid_asks_the_script_about_each_distinct_value_once(monkeypatch: pytest.MonkeyPatch) -> None:
    sp = extract_params(textwrap.dedent("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        parser.add_argument("--layers", nargs="+", type=int, default=[32])
        parser.add_argument("--seed", type=int, default=0)
    """), "train.py")
    items = LoneItems(sp)
    asked = []
    real = items.check.script_value
    monkeypatch.setattr(items.check, "script_value", lambda key, value: asked.append(key) or real(key, value))
    configs = [{"lr": [1, 0.5][i % 2], "layers": 64, "seed": i // 2} for i in range(200)]
    out = [items.listed(config) for config in configs]
    assert len(asked) == 2 + 1 + 100  # distinct values: was 600
    assert out[0] == {"lr": 1.0, "layers": [64], "seed": 0} and type(out[0]["lr"]) is float
    assert out[3] == {"lr": 0.5, "layers": [64], "seed": 1}
    assert out[0]["layers"] is not out[2]["layers"]  # (each config its own list)
    assert items.listed({"lr": [2, 3]}) == {"lr": [2.0, 3.0]}  # a list: asked each time


def test_a_memo_never_mixes_equal_values_of_other_types_or_signs() -> None:
    assert yamlio.dump_text({"a": 0.0, "b": 1, "c": True, "d": 1.0}) == "a: 0.0\nb: 1\nc: true\nd: 1.0\n"
    assert yamlio.dump_text({"a": -0.0, "b": True, "c": 1.0, "d": 1}) == "a: -0.0\nb: true\nc: 1.0\nd: 1\n"
    assert yamlio.dump_text({"n": {"a": 0.0}, "a": 0.0}) == "n:\n  a: 0.0\na: 0.0\n"


def test_a_grids_yaml_lines_are_laid_out_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    real = yamlio._fast_scalar
    monkeypatch.setattr(yamlio, "_fast_scalar", lambda value: asked.append(value) or real(value))
    texts = [yamlio.dump_text({"lr": [0.5, 0.25][i % 2], "opt": "adamw", "seed": i // 2}) for i in range(100)]
    assert texts[3] == "lr: 0.25\nopt: adamw\nseed: 1\n"
    assert len(asked) <= 2 + 1 + 50  # was 300


def test_the_clock_is_read_into_text_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    real = time.strftime
    monkeypatch.setattr(model.time, "strftime", lambda *a: asked.append(a) or real(*a))
    start = 1_700_000_000 * 10**9
    monkeypatch.setattr(model.time, "time_ns", iter(range(start, start + 2 * 10**9, 10**6)).__next__)
    texts = [model.now_iso() for _ in range(2000)]
    assert len(asked) == 2  # was 2,000
    assert texts == [model.local_iso(1_700_000_000 + i / 1000) for i in range(2000)]


def test_the_staging_folders_are_picked_from_the_names_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("t1", ".staging-1-ab", ".trash", "x.staging-2"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(os, "scandir", None)  # no entry object made for each of 100,000 tasks
    assert staging.listed(str(tmp_path)) == [".staging-1-ab"]
    assert staging.among(["a", ".staging-", ".stagin"]) == [".staging-"]


def test_an_index_row_is_the_text_json_makes_of_it() -> None:
    from pyruns_tui.workspace import scan_index

    for row in (["i", 'a"é\u2028\x00', 1, 2, 3, "pending", '{"x":1}'], ["c", "n", 0, -1, 10**30, "{}"], []):
        assert scan_index._dumps_row(row) == json.dumps(row, separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(ValueError):
        scan_index._dumps_row([float("nan")])
