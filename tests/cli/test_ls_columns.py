"""`pyr-tui ls -c COLS`: metric, parameter and summary columns named as `export` names them,
with each task's values of the run whose metrics stand for it (the Manager's)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import api_project, log_rows, pyr, record_run

T0 = 1_700_000_000.0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    api_project(tmp_path)
    for name, lr in (("a", 0.1), ("b", 0.02)):
        assert pyr(tmp_path, "gen", "-", "-n", name, stdin=f"lr: {lr}\n").code == 0
    record_run(tmp_path, "a", "completed", T0)
    log_rows(tmp_path, "a", {"t": T0 + 0.5, "loss": 2.0}, {"t": T0 + 0.6, "loss": 0.1})
    record_run(tmp_path, "a", "completed", T0 + 10)  # a rerun: its values stand for the task now
    log_rows(tmp_path, "a", {"t": T0 + 10.5, "loss": 0.7, "acc": 1 / 3}, {"t": T0 + 10.6, "loss": 0.8})
    record_run(tmp_path, "b", "completed", T0)
    log_rows(tmp_path, "b", {"t": T0 + 0.5, "loss": 0.5}, {"t": T0 + 0.6, "loss": 0.25})
    (tmp_path / "_pyruns_" / "train" / "tasks" / "b" / "summary.json").write_text('{"best_acc": 0.91}')
    return tmp_path


def table(text: str) -> list[dict[str, str]]:
    """The rows of an `ls` table by header word (columns are left-aligned at their header)."""
    header, *lines = text.splitlines()
    words = header.split()
    starts = [match.start() for match in re.finditer(r"\S+", header)]
    ends = [*starts[1:], None]
    return [{word: line[start:end].strip() for word, start, end in zip(words, starts, ends)} for line in lines]


def test_columns_show_each_tasks_standing_metrics_params_and_summary(project: Path) -> None:
    assert pyr(project, "pin", "--param", "lr").code == 0
    done = pyr(project, "ls", "-c", "loss.min,LOSS.MAX,acc", "--columns", "summary.best_acc,lr")
    assert done.code == 0 and done.err == "", done.err
    assert done.out.splitlines()[0].split() == ["STATUS", "NAME", "RUNS", "CREATED", "DURATION", "lr", "loss.min",
                                                "LOSS.MAX", "acc", "summary.best_acc", "lr"]
    rows = table(done.out)
    assert [(r["NAME"], r["loss.min"], r["LOSS.MAX"], r["acc"], r["summary.best_acc"]) for r in rows] == [
        ("a", "0.7", "0.8", "0.333333", ""), ("b", "0.25", "0.5", "", "0.91")]
    listed = pyr(project, "ls", "-c", "loss.min,summary.best_acc,acc", "--json").json()
    assert [task["columns"] for task in listed] == [
        {"loss.min": 0.7, "summary.best_acc": None, "acc": 1 / 3},
        {"loss.min": 0.25, "summary.best_acc": 0.91, "acc": None}]
    # without -c, ls is what it was: no metric column, no "columns" key
    assert pyr(project, "ls").out.splitlines()[0].split() == ["STATUS", "NAME", "RUNS", "CREATED", "DURATION", "lr"]
    assert all("columns" not in task for task in pyr(project, "ls", "--json").json())


def test_a_query_shows_the_columns_of_the_parameters_and_metrics_it_names(project: Path) -> None:
    # `ls 'lr>=0.01'` listed the tasks without their lr: the value asked about was not shown
    done = pyr(project, "ls", "lr>=0.01", "loss.min<1", "status:completed")
    assert done.code == 0 and done.err == "", done.err
    assert done.out.splitlines()[0].split() == ["STATUS", "NAME", "RUNS", "CREATED", "DURATION", "lr", "loss.min"]
    assert [(r["NAME"], r["lr"], r["loss.min"]) for r in table(done.out)] == [("a", "0.1", "0.7"), ("b", "0.02", "0.25")]
    assert [(r["NAME"], r["lr"]) for r in table(pyr(project, "ls", "-lr:0.1").out)] == [("b", "0.02")]  # negated too
    assert pyr(project, "pin", "--param", "lr").code == 0  # pinned: its column once, where pins are
    assert pyr(project, "ls", "param.lr:0.1", "acc>0").out.splitlines()[0].split() == [
        "STATUS", "NAME", "RUNS", "CREATED", "DURATION", "lr", "acc"]
    # -c says which columns; --json is as it was
    assert pyr(project, "ls", "lr>=0.01", "-c", "loss.max").out.splitlines()[0].split()[-2:] == ["lr", "loss.max"]
    assert all("columns" not in task for task in pyr(project, "ls", "lr>=0.01", "--json").json())


def test_column_mistakes_are_one_line(project: Path) -> None:
    typo = pyr(project, "ls", "-c", "loss.mn")
    assert typo.code == 1 and typo.out == "" and typo.err.count("\n") == 1
    assert typo.err.startswith("pyr-tui: error: no column 'loss.mn' in the listed tasks (closest: loss.min, loss.max")
    assert pyr(project, "ls", "-c", "los").err.startswith("pyr-tui: error: no column 'los' in the listed tasks "
                                                           "(closest: loss; a metric is <metric>.last")
    assert pyr(project, "ls", "-c", "zzz").err.startswith("pyr-tui: error: no column 'zzz' in the listed tasks "
                                                           "(their columns: lr, loss.last,")
    for args, message in ((("-c", ""), "--columns needs a column name"),
                          (("-c", "acc", "--names"), "--columns cannot go with --names"),
                          (("-c", "acc", "--by-error"), "--columns cannot go with --by-error")):
        usage = pyr(project, "ls", *args)
        assert (usage.code, usage.out) == (2, "") and message in usage.err and usage.err.count("\n") == 1, args
    # no task listed: no column to check against, the header still has it
    empty = pyr(project, "ls", "-c", "loss.min", "name:nosuch")
    assert empty.code == 0 and empty.out.split() == ["STATUS", "NAME", "RUNS", "CREATED", "DURATION", "loss.min",
                                                     "(no", "task", "matches)"]


def test_a_long_list_of_columns_is_cut_at_a_whole_name(project: Path) -> None:
    """A typo's error listed the first 300 characters of the columns: `..., su, ...` named a
    column that is not there (`summary.best_acc` cut)."""
    params = "".join(f"parameter_number_{i}: {i}\n" for i in range(20))
    assert pyr(project, "gen", "-", "-n", "wide", stdin=params).code == 0
    record_run(project, "wide", "completed", T0)
    typo = pyr(project, "ls", "-c", "zzz", "name:wide")
    assert typo.code == 1 and typo.err.count("\n") == 1
    listed = typo.err.split("(their columns: ", 1)[1].split("; a metric is")[0]
    *names, rest = listed.split(", ")
    assert names and all(name.startswith("parameter_number_") or name == "lr" for name in names), names
    assert re.fullmatch(r"\.\.\. \(\d+ more\)", rest), rest


def test_a_column_not_logged_yet_is_empty_while_a_listed_task_has_yet_to_run(project: Path) -> None:
    """`watch pyr-tui ls -c loss.last` started with a batch: a pending/queued/running task may
    still log the metric, so a name nobody has logged yet is an empty column and a note, not an
    error (which stays for a typo once every listed task has ended)."""
    assert pyr(project, "gen", "-", "-n", "c", stdin="lr: 0.3\n").code == 0  # pending, nothing logged
    early = pyr(project, "ls", "-c", "val_acc,loss.min")
    assert early.code == 0, early.err
    assert early.err == "note: no listed task has logged 'val_acc' yet (the column is empty)\n"
    assert [(r["NAME"], r["val_acc"], r["loss.min"]) for r in table(early.out)] == [
        ("a", "", "0.7"), ("b", "", "0.25"), ("c", "", "")]
    # the ended tasks alone: no task will log it any more, a typo is said as one
    assert pyr(project, "ls", "-c", "val_acc", "-status:pending").code == 1


def test_a_parameter_named_as_a_task_field_is_found_by_its_param_header(tmp_path: Path) -> None:
    # ls -c and export head the script's `name` as param.name: searching it so matched nothing,
    # and `name:b` is the task's name
    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    (tmp_path / "train.yaml").write_text("name: a\nstatus: x\nlr: 0.1\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    assert pyr(tmp_path, "gen", "-", "-n", "t", stdin="name: a | b\nstatus: x | y\n").code == 0
    listed = pyr(tmp_path, "ls", "param.name:b", "param.status!=x", "--json")
    assert [task["name"] for task in listed.json()] == ["t_4-of-4"], listed.err
    assert [task["name"] for task in pyr(tmp_path, "ls", "name:t_1", "--json").json()] == ["t_1-of-4"]
    exported = pyr(tmp_path, "export", "-f", "json", "param.name=b", "-param.status:y")
    assert [row["name"] for row in exported.json()] == ["t_3-of-4"], exported.err


def test_columns_stay_aligned_after_a_name_with_wide_characters(tmp_path: Path) -> None:
    """`éxp_学习` is 6 characters but 8 cells: its row's RUNS and CREATED sat 2 cells right of
    the header (the widths counted characters)."""
    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    (tmp_path / "train.yaml").write_text("lr: 0.1\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    for name in ("éxp_学习", "plain"):
        assert pyr(tmp_path, "gen", "-", "-n", name, stdin="lr: 0.1\n").code == 0
    done = pyr(tmp_path, "ls")
    assert done.code == 0, done.err
    def cell_width(text: str) -> int:  # a terminal's count: 2 cells for a wide character
        return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)

    header, *lines = done.out.splitlines()
    runs = cell_width(header[: header.index("RUNS")])
    assert [cell_width(line[: line.index(" 0 ")]) + 1 for line in lines] == [runs, runs], done.out


def test_a_long_status_reason_is_cut_so_it_does_not_widen_every_row(project: Path) -> None:
    """One queued task waiting on a long-named dependency made the STATUS column ~50 cells wide for
    every row (each row wrapped at 80 columns); `show` keeps the whole reason."""
    import json

    info = project / "_pyruns_" / "train" / "tasks" / "b" / "task_info.json"
    record = json.loads(info.read_text())
    reason = "dependency sweep_2002-of-3000_with_a_long_name no longer exists"
    record.update(status="pending", reason=reason)
    info.write_text(json.dumps(record))
    done = pyr(project, "ls")
    assert done.code == 0, done.err
    status = {row["NAME"]: row["STATUS"] for row in table(done.out)}["b"]
    assert status == "pending (" + reason[:31].rstrip() + "…)"
    assert max(len(line) for line in done.out.splitlines()) < 80
    assert reason in pyr(project, "show", "b").out


def test_a_long_parameter_query_or_metric_value_is_cut_so_it_does_not_widen_every_row(project: Path) -> None:
    """One task with a 100,000-character parameter made every row of `ls` 100,000 cells wide;
    a value (and a header) over 40 cells is cut with `…`, in the terminal's cells (a CJK character
    takes 2); `--json` and `show` keep the whole value."""
    from pyruns_tui.printable import cell_width

    long_value = "x" * 100_000
    wide_value = "名前" * 30  # 120 cells
    for name, prompt in (("long", long_value), ("wide", wide_value), ("short", "ab")):
        assert pyr(project, "gen", "-", "-n", name, stdin=f"lr: 0.3\nprompt: {prompt}\n").code == 0
    record_run(project, "long", "completed", T0)
    (project / "_pyruns_" / "train" / "tasks" / "long" / "summary.json").write_text('{"huge": %d}' % 10**400)
    assert pyr(project, "pin", "--param", "prompt").code == 0
    for args in (("ls",), ("ls", "-c", "summary.huge,prompt"), ("ls", "prompt:ab", "-c", "prompt"), ("ls", "lr>0.2")):
        done = pyr(project, *args)
        assert done.code == 0, (args, done.err)
        lines = done.out.splitlines()
        assert max(map(cell_width, lines)) < 250, (args, max(map(cell_width, lines)))
    rows = {row["NAME"]: row for row in table(pyr(project, "ls", "-c", "summary.huge").out)}
    assert rows["long"]["prompt"] == "x" * 39 + "…"
    assert rows["wide"]["prompt"] == "名前" * 9 + "名…" and cell_width(rows["wide"]["prompt"]) == 39
    assert rows["short"]["prompt"] == "ab"
    assert rows["long"]["summary.huge"] == "1" + "0" * 38 + "…"  # kept exactly: 401 digits
    listed = {task["name"]: task for task in pyr(project, "ls", "-c", "summary.huge", "--json").json()}
    assert listed["long"]["params"]["prompt"] == long_value and listed["wide"]["params"]["prompt"] == wide_value
    assert listed["long"]["columns"]["summary.huge"] == 10**400
    assert long_value in pyr(project, "show", "long").out
