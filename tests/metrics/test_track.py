"""MetricsReader and read_summary: incremental, tolerant reading of what pr.log/summary wrote."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from pyruns_tui.metrics.track import MetricsReader, MetricStats, read_summary


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(text)


def rows_text(*rows: dict) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "metrics.jsonl"


def test_series_pairs_each_value_with_its_step_and_stage(path: Path) -> None:
    append(path, rows_text(
        {"t": 1.0, "step": 10, "stage": "train", "loss": 0.5},
        {"t": 2.0, "step": 20, "stage": "val", "loss": 0.4, "acc": 0.9},
    ))
    reader = MetricsReader(path)
    assert reader.poll() == 2
    assert reader.names == ["loss", "acc"]
    assert reader.stages == ["train", "val"]
    assert reader.series("loss") == [(10, 0.5, "train"), (20, 0.4, "val")]
    assert reader.series("loss", stage="val") == [(20, 0.4, "val")]
    assert reader.series("unknown") == []


def test_a_row_without_step_is_placed_at_its_row_index(path: Path) -> None:
    append(path, rows_text({"a": 1}, {"step": 7, "a": 2}, {"a": 3}, {"step": True, "a": 4}))
    reader = MetricsReader.for_task(path.parent)
    assert [step for step, _, _ in reader.series("a")] == [0, 7, 2, 3]


def test_a_step_no_float_holds_is_placed_at_its_row_index(path: Path) -> None:
    # pr.log(step=10**400) is written exactly; the Monitor's charts take float(step): OverflowError
    append(path, rows_text({"step": 10**400, "a": 1}, {"step": 2**53 + 1, "a": 2}, {"step": 2**53, "a": 3}))
    reader = MetricsReader.for_task(path.parent)
    assert [step for step, _, _ in reader.series("a")] == [0, 1, 2**53]


def test_stats_give_last_min_max_their_steps_and_count(path: Path) -> None:
    values = [3.0, 1.0, 5.0, 1.0, 5.0, 2.0]
    append(path, rows_text(*({"step": 10 * i, "x": v} for i, v in enumerate(values))))
    reader = MetricsReader.for_task(path.parent)
    assert reader.stats()["x"] == MetricStats(
        last=2.0, min=1.0, max=5.0, argmin_step=10, argmax_step=20, count=6, last_step=50,
        argmin_index=1, argmax_index=2,
    )


def test_restarted_steps_name_the_min_and_max_by_their_index(path: Path) -> None:
    # steps 0..2 each epoch: argmin_step 1 named two points, with no way to tell which
    rows = [(0, 3.0, "e1"), (1, 2.0, "e1"), (2, 4.0, "e1"), (0, 5.0, "e2"), (1, 1.0, "e2"), (2, 6.0, "e2"), (0, 9.0, "e3")]
    append(path, rows_text(*({"step": step, "stage": stage, "x": v} for step, v, stage in rows)))
    whole = MetricsReader.for_task(path.parent).stats()["x"]
    assert (whole.argmin_step, whole.argmin_index, whole.argmax_step, whole.argmax_index) == (1, 4, 0, 6)
    assert (whole.last_step, whole.count) == (0, 7)  # the last point's step, not the highest
    series = MetricsReader.for_task(path.parent).series("x")
    assert series[whole.argmin_index][:2] == (1, 1.0) and series[whole.argmax_index][:2] == (0, 9.0)
    e2 = MetricsReader.for_task(path.parent).stats(stage="e2")["x"]  # indexes into the whole series
    assert (e2.argmin_step, e2.argmin_index, e2.argmax_step, e2.argmax_index) == (1, 4, 2, 5)
    path.unlink()
    reader = MetricsReader(path, keep_series=False)  # read in two polls, split at the restart: the same
    for part in (rows[:3], rows[3:]):
        append(path, rows_text(*({"step": step, "stage": stage, "x": v} for step, v, stage in part)))
        reader.poll()
    assert reader.stats()["x"] == whole


def test_a_tie_goes_to_the_point_logged_first_not_the_lowest_step(path: Path) -> None:
    append(path, rows_text({"step": 5, "x": 1.0}, {"step": 0, "x": 1.0}))
    stats = MetricsReader.for_task(path.parent).stats()["x"]
    assert (stats.argmin_step, stats.argmin_index, stats.argmax_step, stats.argmax_index) == (5, 0, 5, 0)


def test_stats_stay_right_across_incremental_reads(path: Path) -> None:
    reader = MetricsReader(path)
    append(path, rows_text({"step": 1, "x": 4.0}, {"step": 2, "x": 6.0}))
    reader.poll()
    append(path, rows_text({"step": 3, "x": 1.0}, {"step": 4, "x": 6.0}))
    reader.poll()
    stats = reader.stats()["x"]
    assert (stats.min, stats.argmin_step, stats.max, stats.argmax_step) == (1.0, 3, 6.0, 2)
    assert (stats.argmin_index, stats.argmax_index) == (2, 1)
    assert stats.count == 4 and stats.last == 6.0


def test_nan_is_kept_in_series_but_ignored_by_min_and_max(path: Path) -> None:
    append(path, rows_text(
        {"step": 0, "x": "NaN", "y": "NaN"},
        {"step": 1, "x": 2.0, "y": "NaN"},
        {"step": 2, "x": "Infinity", "y": "NaN"},
        {"step": 3, "x": "-Infinity", "y": "NaN"},
    ))
    reader = MetricsReader.for_task(path.parent)
    values = [v for _, v, _ in reader.series("x")]
    assert math.isnan(values[0]) and values[1:] == [2.0, math.inf, -math.inf]
    x = reader.stats()["x"]
    assert (x.min, x.argmin_step, x.max, x.argmax_step, x.count) == (-math.inf, 3, math.inf, 2, 4)
    y = reader.stats()["y"]
    assert math.isnan(y.min) and math.isnan(y.max) and math.isnan(y.last)
    assert y.argmin_step is None and y.argmax_step is None and y.count == 4
    assert (x.argmin_index, x.argmax_index, y.argmin_index, y.argmax_index) == (3, 2, None, None)


def test_bare_nan_constants_from_other_writers_are_accepted(path: Path) -> None:
    append(path, '{"step": 0, "x": NaN}\n{"step": 1, "x": Infinity}\n')
    reader = MetricsReader.for_task(path.parent)
    values = [v for _, v, _ in reader.series("x")]
    assert math.isnan(values[0]) and values[1] == math.inf


def test_booleans_count_as_numbers_and_other_values_are_not_metrics(path: Path) -> None:
    append(path, rows_text({"ok": True, "name": "x", "list": [1], "none": None, "t": 5.0}))
    reader = MetricsReader.for_task(path.parent)
    assert reader.names == ["ok"]
    assert reader.series("ok") == [(0, 1.0, None)]


def test_a_torn_last_line_waits_for_its_end(path: Path) -> None:
    line = json.dumps({"step": 1, "loss": 0.5}) + "\n"
    append(path, rows_text({"step": 0, "loss": 1.0}) + line[:9])
    reader = MetricsReader(path)
    assert reader.poll() == 1
    assert reader.skipped_lines == 0
    append(path, line[9:])
    assert reader.poll() == 1
    assert [s for s, _, _ in reader.series("loss")] == [0, 1]
    assert reader.skipped_lines == 0


def test_garbage_lines_are_skipped_and_counted(path: Path) -> None:
    garbage = "not json\n[1, 2]\n\n" + '{"a": 2}, {"a": 3}\n'
    append(path, rows_text({"a": 1}) + garbage + rows_text({"a": 4}))
    reader = MetricsReader.for_task(path.parent)
    assert [v for _, v, _ in reader.series("a")] == [1.0, 4.0]
    assert reader.skipped_lines == 3
    assert reader.rows == 2


def test_invalid_utf8_is_a_skipped_line(path: Path) -> None:
    with open(path, "ab") as stream:
        stream.write(b'{"a": 1}\n\xff\xfe{\n{"a": 2}\n')
    reader = MetricsReader.for_task(path.parent)
    assert [v for _, v, _ in reader.series("a")] == [1.0, 2.0]
    assert reader.skipped_lines == 1


def test_a_poll_reads_only_the_appended_bytes(path: Path) -> None:
    append(path, rows_text(*({"step": i, "x": i} for i in range(1000))))
    reader = MetricsReader(path)
    reader.poll()
    first_read = reader.bytes_read
    assert first_read == path.stat().st_size
    assert reader.poll() == 0 and reader.bytes_read == first_read
    extra = rows_text({"step": 1000, "x": 1.0})
    append(path, extra)
    assert reader.poll() == 1
    assert reader.bytes_read - first_read == len(extra)
    assert reader.offset == path.stat().st_size


def test_a_replaced_or_truncated_file_is_read_again(path: Path) -> None:
    append(path, rows_text({"x": 1}, {"x": 2}))
    reader = MetricsReader.for_task(path.parent)
    replacement = path.with_name("new.jsonl")
    replacement.write_text(rows_text({"y": 5}))
    os.replace(replacement, path)
    reader.poll()
    assert reader.names == ["y"] and reader.rows == 1
    path.write_text("")
    reader.poll()
    append(path, rows_text({"z": 1}))
    reader.poll()
    assert reader.names == ["z"]


def test_a_missing_file_reads_as_empty(tmp_path: Path) -> None:
    reader = MetricsReader(tmp_path / "none.jsonl")
    assert reader.poll() == 0
    assert reader.names == [] and reader.stats() == {}


def test_per_stage_stats(path: Path) -> None:
    append(path, rows_text(
        {"step": 1, "stage": "train", "loss": 3.0},
        {"step": 1, "stage": "val", "loss": 9.0},
        {"step": 2, "stage": "train", "loss": 1.0},
    ))
    reader = MetricsReader.for_task(path.parent)
    assert reader.stats("train")["loss"].max == 3.0
    assert reader.stats("val")["loss"].min == 9.0
    assert reader.stats("test") == {}
    assert reader.stats()["loss"].max == 9.0


def test_without_series_only_stats_are_kept(path: Path) -> None:
    append(path, rows_text({"x": 1}, {"x": 3}))
    reader = MetricsReader.for_task(path.parent, keep_series=False)
    assert reader.series("x") == []
    assert reader.stats()["x"].max == 3.0


def test_ten_thousand_rows_parse_in_one_poll(path: Path) -> None:
    rows = ({"t": 0.0, "step": i, "stage": "train", "loss": 1 / (i + 1), "acc": i % 3}
            for i in range(10_000))
    append(path, rows_text(*rows))
    reader = MetricsReader(path)
    assert reader.poll() == 10_000
    assert reader.stats()["loss"].argmax_step == 0
    assert reader.stats()["acc"].count == 10_000


def test_read_summary_restores_non_finite_values(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(
        json.dumps({"a": "NaN", "b": ["Infinity", {"c": "-Infinity"}], "s": "text"})
    )
    summary = read_summary(tmp_path)
    assert math.isnan(summary["a"])
    assert summary["b"] == [math.inf, {"c": -math.inf}]
    assert summary["s"] == "text"


@pytest.mark.parametrize("content", [None, "{broken", "[1, 2]"])
def test_read_summary_of_a_missing_or_bad_file_is_empty(
    tmp_path: Path, content: str | None
) -> None:
    if content is not None:
        (tmp_path / "summary.json").write_text(content)
    assert read_summary(tmp_path) == {}
