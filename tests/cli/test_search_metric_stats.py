"""Searching by a metric's statistic as `ls -c` and `export` name its columns (`loss.min<0.3`),
in `ls QUERY` and `export QUERY`; a term naming nothing the tasks have is one error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import api_project, log_rows, pyr, record_run

T0 = 1_700_000_000.0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    api_project(tmp_path, "lr: 0.1\nx:\n  min: 1\n")
    for name, lr, xmin in (("a", 0.1, 5), ("b", 0.02, 1)):
        assert pyr(tmp_path, "gen", "-", "-n", name, stdin=f"lr: {lr}\nx:\n  min: {xmin}\n").code == 0
    record_run(tmp_path, "a", "completed", T0)  # loss went down to 0.05, ends at 0.9
    log_rows(tmp_path, "a", {"t": T0 + 0.5, "Loss_D": 2.0, "x": 0.0}, {"t": T0 + 0.6, "Loss_D": 0.05},
             {"t": T0 + 0.7, "Loss_D": 0.9})
    record_run(tmp_path, "b", "completed", T0)  # never below 0.4
    log_rows(tmp_path, "b", {"t": T0 + 0.5, "Loss_D": 0.5, "x": 9.0}, {"t": T0 + 0.6, "Loss_D": 0.4})
    return tmp_path


def names(project: Path, *query: str) -> list[str]:
    done = pyr(project, "ls", "--names", *query)
    assert done.code == 0 and done.err == "", (query, done.err)
    return done.out.split()


def test_a_metric_column_name_is_a_search_key(project: Path) -> None:
    assert names(project, "Loss_D.min<0.1") == ["a"]
    assert names(project, "loss_d.max>=2") == ["a"]
    assert names(project, "Loss_D.last<0.5") == ["b"] == names(project, "Loss_D<0.5")  # a bare metric: its last
    assert names(project, "Loss_D.min:0.4") == ["b"]
    assert names(project, "-Loss_D.min<0.1") == ["b"]
    exported = pyr(project, "export", "Loss_D.min<0.1", "-f", "json")
    assert exported.code == 0, exported.err
    assert [row["name"] for row in json.loads(exported.out)] == ["a"]


def test_a_parameter_of_that_flat_name_wins_over_a_metric_statistic(project: Path) -> None:
    # config `x: {min: 5}` is the parameter `x.min` (its column's name), though `x` is also a metric
    assert names(project, "x.min:5") == ["a"] == names(project, "x.min>2")
    assert names(project, "param.x.min<2") == ["b"]
    assert names(project, "x.max>5") == ["b"]  # no parameter `x.max`: the metric's statistic


def test_a_term_naming_nothing_the_tasks_have_is_one_error_line(project: Path) -> None:
    for command in ("ls", "export"):
        typo = pyr(project, command, "Loss_D.mim<0.1")
        assert typo.code == 1 and typo.out == "" and typo.err.count("\n") == 1, (command, typo.err)
        assert typo.err.startswith("pyr-tui: error: search term 'loss_d.mim<0.1' names no parameter or metric "
                                   "of the tasks searched (closest: Loss_D.min, Loss_D.max"), typo.err
    assert "closest: lr" in pyr(project, "ls", "lrr:0.1").err
    assert "closest: x.min" in pyr(project, "ls", "param.x.mim:1").err
    assert pyr(project, "ls", "-zzz:1").code == 1  # negated, it would match every task as silently
    # what some task has is no typo; nor is anything when no task is searched
    assert names(project, "lr:0.02") == ["b"] and names(project, "Loss_D.min<0.1", "name:nosuch") == []


def test_while_a_task_may_still_log_it_an_unknown_term_is_a_note(project: Path) -> None:
    assert pyr(project, "gen", "-", "-n", "c", stdin="lr: 0.3\n").code == 0  # pending: it may log val_acc
    waiting = pyr(project, "ls", "--names", "val_acc>0.5")
    assert waiting.code == 0 and waiting.out == ""
    assert waiting.err == ("pyr-tui: note: no task has a parameter or metric 'val_acc' yet: 'val_acc>0.5' "
                           "matches no task until one logs it\n")
