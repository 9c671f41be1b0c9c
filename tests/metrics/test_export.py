"""The export engine: rows per run, metrics split by run time, sorting, best, and the writers."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pyruns_tui.errors import ExportError
from pyruns_tui.metrics.export import (
    FIELDS,
    best,
    export_rows,
    export_tasks,
    format_for_path,
    render,
    save_text,
    sort_report,
    to_csv,
    to_json,
    to_markdown,
    views_of,
)
from pyruns_tui.metrics.report_format import csv_cell, safe_cell
from pyruns_tui.metrics.runs import metrics_by_run
from pyruns_tui.workspace.model import Run, Status, Task
from pyruns_tui.workspace.select import select_tasks
from pyruns_tui.workspace.store import NewTask, TaskStore

T0 = 1_700_000_000.0


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


def create(store: TaskStore, name: str, config: dict[str, Any]) -> str:
    return store.create_tasks([NewTask(name=name, config=config)], task_kind="plain", script=None)[0].name


def add_run(store: TaskStore, name: str, start: float | None, finish: float | None = None,
            status: Status = Status.COMPLETED, exit_code: int | None = 0) -> None:
    def change(task: Task) -> None:
        task.runs.append(Run(
            index=len(task.runs) + 1, status=status, start=iso(start) if start is not None else None,
            finish=iso(finish) if finish is not None else None,
            duration_s=round(finish - start, 3) if finish is not None and start is not None else None,
            exit_code=exit_code, pid=1234,
        ))
        task.status = status
    store.update(name, change)


def log_rows(store: TaskStore, name: str, *rows: dict[str, Any]) -> None:
    with open(store.layout.metrics_file(name), "a", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(row) + "\n")


def write_summary(store: TaskStore, name: str, data: dict[str, Any], mtime: float | None = None) -> None:
    path = store.layout.summary_file(name)
    path.write_text(json.dumps(data))
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def records(store: TaskStore, query: str = "", **kw: Any) -> list[dict[str, Any]]:
    return export_rows(store, select_tasks(store, query), **kw).records()


def test_task_without_run_gives_one_row_with_empty_run_fields(store: TaskStore) -> None:
    create(store, "a", {"lr": 0.1, "model": {"depth": 18}})
    [row] = records(store)
    assert row == {"name": "a", "status": "pending", "run": None, "start": None, "finish": None,
                   "duration_s": None, "exit_code": None, "error": None, "lr": 0.1, "model.depth": 18}


def test_one_row_per_run_with_run_fields(store: TaskStore) -> None:
    create(store, "a", {"lr": 0.1})
    add_run(store, "a", T0, T0 + 5, Status.FAILED, exit_code=3)
    add_run(store, "a", T0 + 10, T0 + 12.5)
    rows = records(store)
    assert [(r["run"], r["status"], r["exit_code"], r["duration_s"]) for r in rows] == [
        (1, "failed", 3, 5.0), (2, "completed", 0, 2.5)]
    assert rows[1]["start"] == iso(T0 + 10) and rows[1]["finish"] == iso(T0 + 12.5)
    assert all(r["lr"] == 0.1 for r in rows)


def test_running_run_duration_counts_up_to_now(store: TaskStore) -> None:
    create(store, "a", {})
    add_run(store, "a", T0, None, Status.RUNNING, exit_code=None)
    report = export_rows(store, select_tasks(store), now=T0 + 7.25)
    assert report.records()[0]["duration_s"] == 7.25


def test_columns_are_fields_then_params_metrics_summary_in_first_seen_order(store: TaskStore) -> None:
    create(store, "a", {"lr": 0.1, "opt": {"name": "adam"}})
    create(store, "b", {"seed": 1, "lr": 0.2})
    log_rows(store, "a", {"t": T0, "loss": 1.0})
    log_rows(store, "b", {"t": T0, "acc": 0.5, "loss": 2.0})
    write_summary(store, "b", {"best": {"acc": 0.9}, "epoch": 3})
    report = export_rows(store, select_tasks(store))
    assert report.header == [
        *FIELDS, "lr", "opt.name", "seed",
        "loss.last", "loss.min", "loss.max", "acc.last", "acc.min", "acc.max",
        "summary.best.acc", "summary.epoch",
    ]
    a, b = report.records()
    assert a["seed"] is None and a["acc.last"] is None and a["summary.epoch"] is None
    assert b["opt.name"] is None and b["summary.best.acc"] == 0.9


def test_names_taken_by_other_columns_get_their_kind_prefixed(store: TaskStore) -> None:
    create(store, "a", {"status": "x", "loss.last": 5, "summary": {"k": 1}})
    log_rows(store, "a", {"t": T0, "loss": 1.0})
    write_summary(store, "a", {"k": 2})
    [row] = records(store)
    assert row["status"] == "pending" and row["param.status"] == "x"
    assert row["loss.last"] == 5 and row["metric.loss.last"] == 1.0
    assert row["summary.k"] == 1 and row["summary.summary.k"] == 2


def test_metric_stats_last_min_max_ignore_nan_and_read_bools(store: TaskStore) -> None:
    create(store, "a", {})
    log_rows(store, "a", {"t": T0, "loss": 3.0, "ok": True}, {"t": T0 + 1, "loss": "NaN", "ok": False},
             {"t": T0 + 2, "loss": -1.5}, {"t": T0 + 3, "loss": 2.0, "skip": None})
    [row] = records(store)
    assert (row["loss.last"], row["loss.min"], row["loss.max"]) == (2.0, -1.5, 3.0)
    assert (row["ok.last"], row["ok.min"], row["ok.max"]) == (0.0, 0.0, 1.0)
    assert "skip.last" not in row


def test_metrics_are_split_between_runs_by_start_time(store: TaskStore) -> None:
    create(store, "a", {})
    add_run(store, "a", T0, T0 + 10)
    add_run(store, "a", T0 + 100, T0 + 110)
    log_rows(
        store, "a",
        {"t": T0 - 1, "loss": 9.0},        # before the first start: run 1
        {"t": T0 + 1, "loss": 5.0},
        {"step": 3, "loss": 7.0},          # no time: stays with the row before (run 1)
        {"t": T0 + 101, "loss": 1.0, "acc": 0.5},
        {"loss": 0.5},                     # no time: run 2
        {"t": T0 + 105, "acc": 0.7},
    )
    run1, run2 = records(store)
    assert (run1["loss.last"], run1["loss.min"], run1["loss.max"]) == (7.0, 5.0, 9.0)
    assert run1["acc.last"] is None
    assert (run2["loss.last"], run2["loss.min"], run2["loss.max"]) == (0.5, 0.5, 1.0)
    assert (run2["acc.last"], run2["acc.min"], run2["acc.max"]) == (0.7, 0.5, 0.7)


def test_single_run_gets_every_metric_row(store: TaskStore) -> None:
    create(store, "a", {})
    add_run(store, "a", T0 + 50, T0 + 60)
    log_rows(store, "a", {"t": T0, "loss": 4.0}, {"t": T0 + 55, "loss": 2.0})
    by_run = metrics_by_run(store, store.get("a"))
    assert list(by_run) == [1]
    assert (by_run[1]["loss"].min, by_run[1]["loss"].max, by_run[1]["loss"].count) == (2.0, 4.0, 2)


def test_metrics_of_a_task_without_runs_go_on_its_only_row(store: TaskStore) -> None:
    create(store, "a", {})
    log_rows(store, "a", {"t": T0, "loss": 4.0}, {"t": T0 + 1, "loss": 3.0})
    [row] = records(store)
    assert row["run"] is None and row["loss.last"] == 3.0


def test_unfinished_last_line_and_garbage_lines_are_skipped(store: TaskStore) -> None:
    create(store, "a", {})
    add_run(store, "a", T0, T0 + 10)
    add_run(store, "a", T0 + 20, None, Status.RUNNING, exit_code=None)
    with open(store.layout.metrics_file("a"), "w") as stream:
        stream.write(json.dumps({"t": T0 + 1, "loss": 1.0}) + "\nnot json\n[1, 2]\n")
        stream.write(json.dumps({"t": T0 + 21, "loss": 2.0}) + "\n" + '{"t": 1700000022.0, "loss": 9')
    run1, run2 = records(store)
    assert run1["loss.max"] == 1.0 and run2["loss.max"] == 2.0


def test_summary_goes_to_the_run_that_last_wrote_it(store: TaskStore) -> None:
    create(store, "a", {})
    add_run(store, "a", T0, T0 + 10)
    add_run(store, "a", T0 + 100, T0 + 110)
    write_summary(store, "a", {"best_acc": 0.9}, mtime=T0 + 5)
    run1, run2 = records(store)
    assert run1["summary.best_acc"] == 0.9 and run2["summary.best_acc"] is None
    write_summary(store, "a", {"best_acc": 0.95}, mtime=T0 + 105)
    run1, run2 = records(store)
    assert run1["summary.best_acc"] is None and run2["summary.best_acc"] == 0.95


def test_query_selects_which_tasks_are_exported(store: TaskStore) -> None:
    for i, lr in enumerate((0.1, 0.01, 0.001)):
        create(store, f"t{i}", {"lr": lr})
    assert [r["name"] for r in records(store, "lr<0.05")] == ["t1", "t2"]
    assert records(store, "nothing-matches-this") == []


def test_views_of_and_export_tasks_write_the_named_tasks(store: TaskStore, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        create(store, name, {"x": name})
    assert [v.task.name for v in views_of(store, ["c", "a"])] == ["c", "a"]
    out = tmp_path / "out.json"
    assert export_tasks(store, ["c", "a"], "json", out) == 2
    assert [r["x"] for r in json.loads(out.read_text())] == ["c", "a"]


def sortable(store: TaskStore) -> None:
    for name, loss in (("a", 0.5), ("b", None), ("c", 0.1), ("d", float("nan")), ("e", 0.5), ("f", 2.0)):
        create(store, name, {"tag": name.upper()})
        if loss is not None:
            log_rows(store, name, {"t": T0, "loss": loss})


def test_sort_ascending_and_descending_with_missing_values_last_and_stable(store: TaskStore) -> None:
    sortable(store)
    up = [r["name"] for r in records(store, sort_by="loss.min")]
    down = [r["name"] for r in records(store, sort_by="loss.min", descending=True)]
    assert up == ["c", "a", "e", "f", "b", "d"]
    assert down == ["f", "a", "e", "c", "b", "d"]
    assert [r["name"] for r in records(store, sort_by="TAG", descending=True)] == ["f", "e", "d", "c", "b", "a"]


def test_sort_by_unknown_column_names_the_columns(store: TaskStore) -> None:
    sortable(store)
    with pytest.raises(ExportError, match=r"no column 'acc.min'.*loss.min"):
        records(store, sort_by="acc.min")
    empty = export_rows(store, [])
    assert sort_report(empty, "acc.min") == empty


def test_best_uses_the_metric_min_or_max_column(store: TaskStore) -> None:
    sortable(store)
    log_rows(store, "a", {"t": T0 + 1, "loss": 9.0})  # a: min 0.5, max 9.0, last 9.0
    report = export_rows(store, select_tasks(store))
    low = best(report, "loss")
    assert (low.name, low.column, low.value, low.run) == ("c", "loss.min", 0.1, None)
    high = best(report, "loss", "max")
    assert (high.name, high.column, high.value) == ("a", "loss.max", 9.0)
    assert best(report, "loss.last", "max").name == "a"
    assert best(report, "LOSS.LAST", "min").name == "c"


def test_best_ties_keep_the_first_row_and_skip_nan(store: TaskStore) -> None:
    for name, loss in (("a", float("nan")), ("b", 1.0), ("c", 1.0)):
        create(store, name, {})
        log_rows(store, name, {"t": T0, "loss": loss})
    report = export_rows(store, select_tasks(store))
    assert best(report, "loss").name == "b"
    assert best(report, "loss", "max").name == "b"


def test_best_never_ranks_an_infinite_value_a_huge_int_ranks(store: TaskStore) -> None:
    # -inf is a diverged run, not the lowest loss; inf is not the highest accuracy
    for name, loss in (("a", float("-inf")), ("b", 1.0), ("c", float("inf")), ("d", 2.0)):
        create(store, name, {"n": HUGE if name == "d" else 1})
        log_rows(store, name, {"t": T0, "loss": loss})
    report = export_rows(store, select_tasks(store))
    assert best(report, "loss").name == "b"
    assert best(report, "loss", "max").name == "d"
    assert best(report, "n", "max").name == "d"  # a finite number, too big for a float: it ranks, as inf
    only = export_rows(store, select_tasks(store, "name:a"))
    with pytest.raises(ExportError, match=re.escape("no selected task has a finite value for 'loss.min' "
                                                    "(not ranked: a (-inf))")):
        best(only, "loss")


def test_best_without_values_or_with_unknown_metric_raises(store: TaskStore) -> None:
    create(store, "a", {"lr": "x"})
    report = export_rows(store, select_tasks(store))
    with pytest.raises(ExportError, match="no metric or column 'loss'"):
        best(report, "loss")
    with pytest.raises(ExportError, match="no selected task has a numeric value for 'lr'"):
        best(report, "lr")
    with pytest.raises(ExportError, match="mode"):
        best(report, "lr", "median")



HUGE = 10**400  # `pr.log` and YAML keep such an int exactly; float() of it raises OverflowError


def test_an_int_too_large_for_a_float_is_read_as_inf_and_ranks_and_matches_so(store: TaskStore) -> None:
    create(store, "a", {"big": HUGE})
    create(store, "b", {"big": 1})
    create(store, "c", {"big": -HUGE})
    log_rows(store, "a", {"t": T0, "m": 0.5}, {"t": T0 + 1, "m": HUGE})  # a float and a huge int: one batch
    log_rows(store, "b", {"t": T0, "m": 2})
    log_rows(store, "c", {"t": T0, "m": -HUGE})
    a, b, c = records(store)
    assert (a["m.last"], a["m.min"], a["m.max"]) == (math.inf, 0.5, math.inf)
    assert b["m.last"] == 2 and c["m.last"] == -math.inf
    assert a["big"] == HUGE  # a parameter is reported as it is
    report = export_rows(store, select_tasks(store))
    assert [row[0] for row in sort_report(report, "m.last").rows] == ["c", "b", "a"]
    assert [row[0] for row in sort_report(report, "big", descending=True).rows] == ["a", "b", "c"]
    # a metric logged as a huge int is read as inf: not ranked (a parameter stays a finite int: ranked)
    assert (best(report, "m").name, best(report, "m").value) == ("a", 0.5)
    assert (best(report, "big", "max").name, best(report, "big", "max").value) == ("a", math.inf)
    assert [v.task.name for v in select_tasks(store, "big>1")] == ["a"]
    assert [v.task.name for v in select_tasks(store, "m>1")] == ["a", "b"]
    assert [v.task.name for v in select_tasks(store, "m<-1 big<0")] == ["c"]
    assert to_csv(report).splitlines()[1].startswith(f"a,pending,,,,,,,{HUGE},inf,0.5,inf")


EVIL = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(("text", "cell"), [
    (EVIL, "'" + EVIL),
    ("+1+1", "'+1+1"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-1.5", "-1.5"),
    ("+3", "+3"),
    ("-2e-05", "-2e-05"),
    ("-inf", "'-inf"),
    ("a=b", "a=b"),
    ("", ""),
])
def test_csv_text_cells_are_formula_safe(text: str, cell: str) -> None:
    assert safe_cell(text) == cell
    assert csv_cell(text) == cell


@pytest.mark.parametrize(("value", "cell"), [
    (None, ""), (True, "true"), (False, "false"), (-3, "-3"), (-0.25, "-0.25"), (0.1, "0.1"),
    (1e-300, "1e-300"), (float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf"),
    ([1, "=x", float("nan")], '[1, "=x", null]'), (["=x"], '["=x"]'),
    ({"k": -1}, '{"k": -1}'),
])
def test_csv_values_keep_numbers_as_numbers(value: Any, cell: str) -> None:
    assert csv_cell(value) == cell


def test_csv_round_trips_through_the_csv_module(store: TaskStore) -> None:
    create(store, "a", {"evil": EVIL, "neg": -0.001, "text": 'say "hi",\nbye', "=head": 1})
    log_rows(store, "a", {"t": T0, "loss": 0.1 + 0.2})
    text = to_csv(export_rows(store, select_tasks(store)))
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row))
    assert "'=head" in header
    assert cells["evil"] == "'" + EVIL
    assert float(cells["neg"]) == -0.001 and cells["neg"] == "-0.001"
    assert cells["text"] == 'say "hi",\nbye'
    assert float(cells["loss.last"]) == 0.1 + 0.2
    assert cells["run"] == "" and cells["status"] == "pending"
    assert not any(c.startswith(("=", "+", "@")) for c in header + row)



def test_csv_quotes_every_cell_holding_a_carriage_return_or_a_newline(store: TaskStore) -> None:
    # with `\n` as csv.writer's line end a bare `\r` went out unquoted: every reader split the row there
    create(store, "a", {"f": "\r=1+1", "cr": "a\rb", "lf": "c\nd", "crlf": "e\r\nf", "end": "g\r", "q": 'say "hi"'})
    text = to_csv(export_rows(store, select_tasks(store)))
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    cells = dict(zip(header, row))
    assert (cells["f"], cells["cr"], cells["lf"], cells["crlf"], cells["end"]) == (
        "'\r=1+1", "a\rb", "c\nd", "e\r\nf", "g\r")  # the formula guard still adds its `'`
    assert text == ("name,status,run,start,finish,duration_s,exit_code,error,f,cr,lf,crlf,end,q\n"
                    'a,pending,,,,,,,"\'\r=1+1","a\rb","c\nd","e\r\nf","g\r","say ""hi"""\n')


def test_csv_without_carriage_returns_is_what_the_csv_module_writes_with_newline_ends(store: TaskStore) -> None:
    create(store, "a", {"lf": "c\nd", "q": 'say "hi", bye', "evil": EVIL, "x": 1.5})
    create(store, "b", {"lf": "", "q": "plain", "evil": "-1", "x": None})
    report = export_rows(store, select_tasks(store))
    reference = io.StringIO()
    writer = csv.writer(reference, lineterminator="\n")
    writer.writerow(report.header)
    writer.writerows([csv_cell(value) for value in row] for row in report.rows)
    assert to_csv(report) == reference.getvalue()


def test_json_is_strict_with_nan_and_infinity_as_null(store: TaskStore) -> None:
    create(store, "a", {"vals": [1.0, float("nan")], "cap": float("inf")})
    log_rows(store, "a", {"t": T0, "loss": "NaN", "gain": "Infinity"}, {"t": T0 + 1, "gain": 1.5})
    write_summary(store, "a", {"final": "-Infinity"})

    def refuse(name: str) -> None:
        raise AssertionError(f"non-strict JSON constant {name}")

    [obj] = json.loads(to_json(export_rows(store, select_tasks(store))), parse_constant=refuse)
    assert obj["loss.last"] is None and obj["loss.min"] is None and obj["loss.max"] is None
    assert obj["gain.last"] == 1.5 and obj["gain.max"] is None and obj["gain.min"] == 1.5
    assert obj["vals"] == [1.0, None] and obj["cap"] is None and obj["summary.final"] is None
    assert list(obj) == export_rows(store, select_tasks(store)).header


def test_json_of_nothing_is_an_empty_list(store: TaskStore) -> None:
    assert json.loads(to_json(export_rows(store, []))) == []


def split_md_row(line: str) -> list[str]:
    """Cells of a GitHub table row, splitting on pipes not escaped by a backslash."""
    assert line.startswith("| ") and line.endswith(" |")
    cells, cell, i, body = [], "", 0, line[2:-2]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            cell += body[i:i + 2]
            i += 2
            continue
        if body.startswith(" | ", i):
            cells.append(cell)
            cell, i = "", i + 3
            continue
        cell += body[i]
        i += 1
    return [*cells, cell]


def test_markdown_escapes_pipes_backslashes_and_newlines(store: TaskStore) -> None:
    create(store, "a", {"cmd": "a|b \\| c", "multi": "one\ntwo\r\nthree", "lr": 0.000123456789, "n": 10**12})
    log_rows(store, "a", {"t": T0, "loss": 2 / 3})
    lines = to_markdown(export_rows(store, select_tasks(store))).splitlines()
    assert len(lines) == 3
    header, rule, row = lines
    names = split_md_row(header)
    cells = dict(zip(names, split_md_row(row)))
    assert len(split_md_row(row)) == len(names) == rule.count("|") - 1
    assert cells["cmd"] == "a\\|b \\\\\\| c"
    assert cells["multi"] == "one<br>two<br>three"
    assert cells["lr"] == "0.000123457" and cells["n"] == "1000000000000" and cells["loss.last"] == "0.666667"
    aligns = dict(zip(names, rule.strip("|").split("|")))
    assert aligns["loss.last"] == "---:" and aligns["cmd"] == "---" and aligns["run"] == "---"


def test_markdown_of_nothing_is_header_and_rule(store: TaskStore) -> None:
    assert to_markdown(export_rows(store, [])).splitlines() == [
        "| " + " | ".join(FIELDS) + " |", "|" + "|".join(["---"] * len(FIELDS)) + "|"]


def test_render_and_format_for_path() -> None:
    assert format_for_path("runs.JSON") == "json" and format_for_path("r.markdown") == "md"
    assert format_for_path("r.txt") is None and format_for_path("-") is None and format_for_path(None) is None
    with pytest.raises(ExportError, match="unknown export format 'xls'"):
        render(export_rows_of_nothing(), "xls")


def export_rows_of_nothing() -> Any:
    from pyruns_tui.metrics.export import Report

    return Report((), ())


def test_save_text_replaces_the_file_whole_for_concurrent_readers(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    old, new = "a\n" * 200_000, "b\n" * 300_000
    save_text(target, old)
    seen: set[str] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(target.read_text())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(20):
            save_text(target, new if i % 2 == 0 else old)
    finally:
        stop.set()
        thread.join()
    assert seen <= {old, new} and seen
    assert sorted(os.listdir(tmp_path)) == ["report.csv"]


def test_save_text_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=re.escape(str(tmp_path / "nope" / "r.csv"))):
        save_text(tmp_path / "nope" / "r.csv", "x")
    assert os.listdir(tmp_path) == []


def test_nan_loss_column_is_numeric_in_every_format(store: TaskStore) -> None:
    create(store, "a", {})
    log_rows(store, "a", {"t": T0, "loss": "NaN"})
    report = export_rows(store, select_tasks(store))
    assert math.isnan(report.records()[0]["loss.last"])
    assert "| nan |" in to_markdown(report)


def test_a_whole_float_stays_a_float_in_markdown(store: TaskStore) -> None:
    """`lr: 1.0` was exported as `1` in `export -f md` (and `ls -c`): as the int 1 it was not."""
    create(store, "a", {"lr": 1.0, "epochs": 3, "wd": 1e-05, "big": 1e20})
    log_rows(store, "a", {"t": T0, "loss": 2.0})
    header, _rule, row = to_markdown(export_rows(store, select_tasks(store))).splitlines()
    cells = dict(zip(split_md_row(header), split_md_row(row)))
    assert (cells["lr"], cells["epochs"], cells["wd"], cells["big"], cells["loss.last"]) == (
        "1.0", "3", "1e-05", "1e+20", "2.0")
