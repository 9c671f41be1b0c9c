"""Comparing two tasks: config, metric and summary differences, as text and as JSON."""

from __future__ import annotations

import json
import math
import re
import unicodedata

import pytest

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.metrics.compare import compare_tasks, diff_mappings, to_dict, to_text
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.metrics.test_export import T0, add_run, create, log_rows, write_summary


@pytest.fixture
def pair(store: TaskStore) -> TaskStore:
    create(store, "a", {"lr": 0.1, "model": {"depth": 18, "act": "relu"}, "amp": True, "seed": 1})
    create(store, "b", {"lr": 0.01, "model": {"depth": 34, "act": "relu"}, "amp": 1, "wd": 0.0005})
    add_run(store, "a", T0, T0 + 10)
    add_run(store, "b", T0, T0 + 10, Status.FAILED, exit_code=1)
    log_rows(store, "a", {"t": T0 + 1, "loss": 1.0, "acc": 0.5}, {"t": T0 + 2, "loss": 0.5, "acc": 0.75})
    log_rows(store, "b", {"t": T0 + 1, "loss": 2.0, "gnorm": 3.0}, {"t": T0 + 2, "loss": 0.25})
    write_summary(store, "a", {"best": 0.75, "tag": "x", "only": 1})
    write_summary(store, "b", {"best": 0.5, "tag": "x"})
    return store


def test_config_diff_lists_only_a_only_b_and_different_values(pair: TaskStore) -> None:
    config = compare_tasks(pair, "a", "b").config
    assert config.only_a == (("seed", 1),)
    assert config.only_b == (("wd", 0.0005),)
    assert [(d.key, d.a, d.b) for d in config.different] == [
        ("lr", 0.1, 0.01), ("model.depth", 18, 34), ("amp", True, 1)]
    assert config.same == 1  # model.act


def test_metric_diff_has_last_min_max_with_delta_b_minus_a(pair: TaskStore) -> None:
    comparison = compare_tasks(pair, "a", "b")
    loss = {d.stat: (d.a, d.b, d.delta) for d in comparison.metrics if d.metric == "loss"}
    assert loss == {"last": (0.5, 0.25, -0.25), "min": (0.5, 0.25, -0.25), "max": (1.0, 2.0, 1.0)}
    assert {d.metric for d in comparison.metrics} == {"loss"}
    assert comparison.metrics_only_a == ("acc",) and comparison.metrics_only_b == ("gnorm",)


def test_summary_diff_has_deltas_for_numbers(pair: TaskStore) -> None:
    summary = compare_tasks(pair, "a", "b").summary
    assert [(d.key, d.a, d.b, d.delta) for d in summary.different] == [("best", 0.75, 0.5, -0.25)]
    assert summary.only_a == (("only", 1),) and summary.same == 1


def test_ints_too_large_for_a_float_compare_as_inf(store: TaskStore) -> None:
    huge = 10**400
    create(store, "a", {"big": huge})
    create(store, "b", {"big": 1})
    log_rows(store, "a", {"t": T0, "m": huge})
    log_rows(store, "b", {"t": T0, "m": 1.5})
    write_summary(store, "a", {"s": huge})
    write_summary(store, "b", {"s": 2})
    comparison = compare_tasks(store, "a", "b")
    assert [(d.key, d.a, d.b, d.delta) for d in comparison.config.different] == [("big", huge, 1, -math.inf)]
    assert [(d.key, d.a, d.b, d.delta) for d in comparison.summary.different] == [("s", huge, 2, -math.inf)]
    last = next(d for d in comparison.metrics if d.stat == "last")
    assert (last.a, last.b, last.delta) == (math.inf, 1.5, -math.inf)
    assert "  m.last  inf  1.5  -inf" in to_text(comparison).splitlines()
    assert json.loads(json.dumps(to_dict(comparison)))["summary"]["different"]["s"]["delta"] is None


def test_text_output_shows_control_characters_in_names_keys_and_values_as_escapes(store: TaskStore) -> None:
    # compare printed metric names and summary keys/values raw: an OSC title or a colour reached the
    # terminal, and a metric named "new\nline" broke the "only in A" line in two
    create(store, "a", {"k\x1b[2J": "\r=1+1", "same": 1})
    create(store, "b", {"k\x1b[2J": "x\x9b31m", "same": 1})
    log_rows(store, "a", {"t": T0, "\x1b]0;pwned\x07\x1b[31mevil": 1.0, "new\nline": 2.0, "both\x07": 1.0})
    log_rows(store, "b", {"t": T0, "both\x07": 3.0})
    write_summary(store, "a", {"\x1b[31mkey": "\x1b]0;t\x07v", "s": "two\nlines\u202e"})
    write_summary(store, "b", {"s": 1})
    text = to_text(compare_tasks(store, "a", "b"))
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), text
    lines = text.splitlines()
    assert "  only in A: \\x1b]0;pwned\\x07\\x1b[31mevil, new\\x0aline" in lines
    assert any(line.split() == ["both\\x07.last", "1.0", "3.0", "+2.0"] for line in lines)
    assert any(line.split() == ["k\\x1b[2J", "\\x0d=1+1", "x\\x9b31m"] for line in lines)
    assert any(line.split() == ["\\x1b[31mkey", "\\x1b]0;t\\x07v", "-"] for line in lines)
    assert any(line.split() == ["s", "two\\nlines\\u202e", "1"] for line in lines)


def test_metrics_compare_the_latest_run_that_logged(store: TaskStore) -> None:
    create(store, "a", {})
    create(store, "b", {})
    add_run(store, "a", T0, T0 + 10)
    add_run(store, "a", T0 + 100, T0 + 110)
    add_run(store, "a", T0 + 200, None, Status.RUNNING, exit_code=None)  # nothing logged yet
    log_rows(store, "a", {"t": T0 + 1, "loss": 9.0}, {"t": T0 + 101, "loss": 3.0})
    log_rows(store, "b", {"t": T0, "loss": 1.0})
    comparison = compare_tasks(store, "a", "b")
    assert comparison.a.metrics_run == 2 and comparison.b.metrics_run is None
    assert {d.stat: d.a for d in comparison.metrics} == {"last": 3.0, "min": 3.0, "max": 3.0}


def test_text_output_is_readable(pair: TaskStore) -> None:
    text = to_text(compare_tasks(pair, "a", "b"))
    lines = text.splitlines()
    assert lines[0] == "A: a  (completed, 1 run, metrics of run 1)"
    assert lines[1] == "B: b  (failed, 1 run, metrics of run 1)"
    assert "config: 3 different, 1 only in A, 1 only in B, 1 same" in lines
    assert any(line.split() == ["lr", "0.1", "0.01"] for line in lines)
    assert any(line.split() == ["seed", "1", "-"] for line in lines)
    assert any(line.split() == ["wd", "-", "0.0005"] for line in lines)
    assert any(line.split() == ["amp", "true", "1"] for line in lines)
    assert any(line.split() == ["loss.max", "1.0", "2.0", "+1.0"] for line in lines)
    assert any(line.split() == ["loss.last", "0.5", "0.25", "-0.25"] for line in lines)
    assert "  only in A: acc" in lines and "  only in B: gnorm" in lines
    assert any(line.split() == ["best", "0.75", "0.5", "-0.25"] for line in lines)


def test_json_form_is_strict_and_complete(pair: TaskStore) -> None:
    log_rows(pair, "a", {"t": T0 + 3, "loss": "NaN"})
    data = to_dict(compare_tasks(pair, "a", "b"))
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["a"] == {"name": "a", "status": "completed", "runs": 1, "metrics_run": 1, "problems": []}
    assert back["config"]["different"]["lr"] == {"a": 0.1, "b": 0.01}
    assert back["config"]["only_a"] == {"seed": 1} and back["config"]["only_b"] == {"wd": 0.0005}
    assert back["metrics"]["shared"]["loss"]["last"] == {"a": None, "b": 0.25, "delta": None}
    assert back["metrics"]["shared"]["loss"]["max"] == {"a": 1.0, "b": 2.0, "delta": 1.0}
    assert back["metrics"]["only_a"] == ["acc"] and back["metrics"]["only_b"] == ["gnorm"]
    assert back["summary"]["different"]["best"] == {"a": 0.75, "b": 0.5, "delta": -0.25}


def test_identical_tasks_show_no_differences(store: TaskStore) -> None:
    create(store, "a", {"x": 1, "f": math.nan})
    create(store, "b", {"x": 1, "f": math.nan})
    comparison = compare_tasks(store, "a", "b")
    assert comparison.config.different == () and comparison.config.same == 2
    assert "config: 0 different, 0 only in A, 0 only in B, 2 same" in to_text(comparison)


def test_diff_mappings_keeps_bools_apart_from_numbers() -> None:
    diff = diff_mappings({"a": True, "b": 1, "c": 1.0}, {"a": 1, "b": 1.0, "c": 1})
    assert [d.key for d in diff.different] == ["a"] and diff.same == 2
    assert diff.different[0].delta is None


def test_unknown_task_is_a_workspace_error(pair: TaskStore) -> None:
    with pytest.raises(WorkspaceError, match="no task named 'zzz'"):
        compare_tasks(pair, "a", "zzz")


def test_text_columns_line_up_after_wide_characters(store: TaskStore) -> None:
    """A value `学习率` is 3 characters but 6 cells: the columns after it were 3 cells off."""
    create(store, "a", {"opt": "学习率", "lr": 0.1})
    create(store, "b", {"opt": "sgd", "lr": 0.2})
    lines = to_text(compare_tasks(store, "a", "b")).splitlines()

    def cells(text: str) -> int:  # a terminal's count: 2 cells for a wide character
        return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)

    [wide] = [line for line in lines if "学习率" in line]
    [narrow] = [line for line in lines if line.split()[:1] == ["lr"]]
    assert cells(wide[: wide.index("sgd")]) == cells(narrow[: narrow.index("0.2")]), "\n".join(lines)


def test_a_long_key_or_value_is_cut_so_it_does_not_widen_every_row(store: TaskStore) -> None:
    # a 100,000-character prompt in A pushed B's column (and every row's) 100,000 cells right
    create(store, "a", {"prompt": "x" * 100_000, "lr": 0.1, "k" * 500: 1})
    create(store, "b", {"prompt": "ab", "lr": 0.2, "k" * 500: 2})
    comparison = compare_tasks(store, "a", "b")
    lines = to_text(comparison).splitlines()
    assert max(map(len, lines)) < 200
    assert "  " + "k" * 59 + "…  1                                                             2" in lines
    assert ["prompt", "x" * 59 + "…", "ab"] in [line.split() for line in lines]
    assert "  (… a value cut at 60 cells: `pyr-tui compare --json` has it whole)" in lines
    assert to_dict(comparison)["config"]["different"]["prompt"]["a"] == "x" * 100_000
    assert "cut at" not in to_text(compare_tasks(store, "a", "a"))
