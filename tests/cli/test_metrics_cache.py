"""The metrics cache (workspace/metrics_cache.py): a query comparing values reads a task's
metrics.jsonl again only when it or the task's record changed (10,000 tasks of 100 rows each:
`ls 'loss<0.5'` 3.3 -> 0.7 s from the second call on), and the cache never decides an answer on
its own: a changed file, a new run, a damaged or foreign cache file, or a value JSON cannot hold
each cost a re-read, never a wrong answer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import api_project, log_rows, record_run
from tests.opened import opened_files

T0 = 1_700_000_000.0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    api_project(tmp_path)
    for name, losses in (("a", (2.0, 0.05, 0.9)), ("b", (0.5, 0.4))):
        (tmp_path / "spec.yaml").write_text("lr: 0.1\n")
        assert main(["-C", str(tmp_path), "gen", "spec.yaml", "-n", name]) == 0
        record_run(tmp_path, name, "completed", T0)
        log_rows(tmp_path, name, *({"t": T0 + 0.1 * (i + 1), "loss": loss} for i, loss in enumerate(losses)))
    return tmp_path


def cache_file(project: Path) -> Path:
    return project / "_pyruns_" / "train" / ".metrics_cache.json"


def listed(project: Path, query: str, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> tuple[list[str], int]:
    """The names `ls --names QUERY` prints, and how many times it opened a metrics.jsonl."""
    out, opened = ran(project, ["ls", "--names", query], monkeypatch, capsys)
    return out.split(), opened


def ran(project: Path, args: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> tuple[str, int]:
    """What `pyr-tui ARGS` prints, and how many times it opened a metrics.jsonl."""
    capsys.readouterr()
    with opened_files(monkeypatch) as names:
        code = main(["-C", str(project), *args])
    done = capsys.readouterr()
    assert code == 0, done.err
    return done.out, names.count("metrics.jsonl")


def test_a_second_query_reads_no_metrics_file(project: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert listed(project, "loss<0.5", monkeypatch, capsys) == (["b"], 2)  # (b's last is 0.4, a's 0.9)
    assert cache_file(project).stat().st_mode & 0o777 == 0o600
    assert listed(project, "loss<0.5", monkeypatch, capsys) == (["b"], 0)
    assert listed(project, "loss.min<0.1", monkeypatch, capsys) == (["a"], 0)  # every statistic is kept
    assert listed(project, "lr>=0.1", monkeypatch, capsys) == (["a", "b"], 0)  # (a metric named lr would win)


def test_a_changed_metrics_file_or_record_is_read_again(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert listed(project, "loss<0.5", monkeypatch, capsys)[0] == ["b"]
    log_rows(project, "a", {"t": T0 + 0.5, "loss": 0.3})  # a's last value is now 0.3
    assert listed(project, "loss<0.5", monkeypatch, capsys) == (["a", "b"], 1)
    # a second run from T0 + 0.45: only the row logged after it (0.3) stands for `a` now, so its
    # minimum is 0.3, no longer the first run's 0.05; the file itself did not change
    record_run(project, "a", "completed", T0 + 0.45)
    assert listed(project, "loss.min<0.1", monkeypatch, capsys) == ([], 1)
    assert listed(project, "loss.min:0.3", monkeypatch, capsys) == (["a"], 0)


@pytest.mark.parametrize("damage", ["torn", "other version", "wrong values", "group-writable", "another user's",
                                    "a symlink", "a folder"])
def test_a_damaged_or_foreign_cache_is_not_believed(project: Path, damage: str, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert listed(project, "loss<0.5", monkeypatch, capsys)[0] == ["b"]
    path = cache_file(project)
    good = json.loads(path.read_text())
    lie = json.loads(path.read_text())
    for row in lie["rows"].values():  # same keys, made-up values: every task now at loss 0
        row[1] = {"loss": 0.0}
        row[2] = {"loss": [0.0, 0.0]}
    if damage == "torn":
        path.write_text(path.read_text()[:-20])
    elif damage == "other version":
        path.write_text(json.dumps({**lie, "version": 99}))
    elif damage == "wrong values":  # (ours and well formed, but no longer about these files)
        for row in good["rows"].values():
            row[0][2] += 1  # metrics.jsonl's size
            row[1], row[2] = lie["rows"]["a"][1], lie["rows"]["a"][2]
        path.write_text(json.dumps(good))
    elif damage == "group-writable":
        path.write_text(json.dumps(lie))
        path.chmod(0o660)
    elif damage == "another user's":
        if os.geteuid() != 0:
            pytest.skip("giving a file to another user needs root")
        path.write_text(json.dumps(lie))
        os.chown(path, 65534, 65534)
    elif damage == "a symlink":
        target = project / "planted.json"
        target.write_text(json.dumps(lie))
        target.chmod(0o600)
        path.unlink()
        path.symlink_to(target)
    else:
        path.unlink()
        path.mkdir()
    assert listed(project, "loss<0.5", monkeypatch, capsys) == (["b"], 2)
    if damage == "a symlink":
        assert json.loads((project / "planted.json").read_text()) == lie  # never written through


def test_a_value_json_cannot_hold_is_read_each_time(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    log_rows(project, "b", {"t": T0 + 0.5, "loss": float("nan")})
    assert listed(project, "loss.max>1", monkeypatch, capsys) == (["a"], 2)
    assert listed(project, "loss.max>1", monkeypatch, capsys) == (["a"], 1)  # b, whose last loss is NaN
    assert "NaN" not in cache_file(project).read_text()  # the cache stays strict JSON


def test_a_deleted_task_leaves_the_cache(project: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert listed(project, "loss<0.5", monkeypatch, capsys)[0] == ["b"]
    assert main(["-C", str(project), "rm", "b"]) == 0
    log_rows(project, "a", {"t": T0 + 0.5, "loss": 0.3})  # (a re-read: the cache is written again)
    assert listed(project, "loss<0.5", monkeypatch, capsys) == (["a"], 1)
    assert set(json.loads(cache_file(project).read_text())["rows"]) == {"a"}


def test_a_query_that_writes_both_caches_lists_the_tasks_once_for_them(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from pyruns_tui.workspace.store import TaskStore

    listings = []
    real_names = TaskStore.names

    def names(self: TaskStore) -> list[str]:
        listings.append(1)
        return real_names(self)

    monkeypatch.setattr(TaskStore, "names", names)
    for index in (".scan_cache.json", ".scan_cache.log"):  # the files are parsed: the scan index is written too
        (project / "_pyruns_" / "train" / index).unlink(missing_ok=True)
    assert listed(project, "loss<0.5", monkeypatch, capsys) == (["b"], 2)
    assert cache_file(project).exists()
    assert len(listings) == 2, listings  # the scan's, then one for both caches' live tasks (was 3)



def test_export_and_ls_columns_read_a_metrics_file_again_only_once_it_changed(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # export and `ls -c` need every statistic of every run (argmin, count, the step), which the
    # cache keeps beside a query's values
    report, opened = ran(project, ["export", "-f", "csv"], monkeypatch, capsys)
    assert opened == 2 and "0.05" in report
    assert ran(project, ["export", "-f", "csv"], monkeypatch, capsys) == (report, 0)
    columns, opened = ran(project, ["ls", "-c", "loss.min,loss.last"], monkeypatch, capsys)
    assert opened == 0 and columns.split("\n")[1].split()[-2:] == ["0.05", "0.9"]
    log_rows(project, "a", {"t": T0 + 0.5, "loss": 0.01})
    columns, opened = ran(project, ["ls", "-c", "loss.min,loss.last"], monkeypatch, capsys)
    assert opened == 1 and columns.split("\n")[1].split()[-2:] == ["0.01", "0.01"]
    assert ran(project, ["ls", "--names", "loss<0.02"], monkeypatch, capsys) == ("a\n", 0)  # (both kept)


@pytest.mark.parametrize("runs", ['{"1":{"loss":[0.0,0.0,0.0,0,0,"3",2,0,0]}}', '{"1":{"loss":[0.0,0.0]}}',
                                  '{"x":{"loss":[0.0,0.0,0.0,0,0,3,2,0,0]}}', '{"¹":{}}', '[1]', '{"1":', "{}"[:1]])
def test_run_statistics_of_the_wrong_shape_are_read_again(project: Path, runs: str, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    report = ran(project, ["export", "-f", "csv"], monkeypatch, capsys)[0]
    path = cache_file(project)
    data = json.loads(path.read_text())
    for row in data["rows"].values():
        row[3] = runs
    path.write_text(json.dumps(data))
    assert ran(project, ["export", "-f", "csv"], monkeypatch, capsys) == (report, 2)


def test_run_statistics_json_cannot_hold_are_read_each_time(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    log_rows(project, "b", {"t": T0 + 0.5, "loss": float("inf")})
    report, opened = ran(project, ["export", "-f", "csv"], monkeypatch, capsys)
    assert opened == 2 and "inf" in report
    assert ran(project, ["export", "-f", "csv"], monkeypatch, capsys) == (report, 1)  # b, whose max is infinite
    assert "Infinity" not in cache_file(project).read_text()
