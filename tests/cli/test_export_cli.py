"""`pyr-tui export` and `pyr-tui compare` end to end: real script, real runner, real files."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyruns_tui.cli import main
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.cli.helpers import pyr, record_run
from tests.conftest import environ_without_pyruns

STEPS = 10_000
VALUES = '''
def values(step, lr, width):
    x = step / 10000
    loss = lr * (1.0 - x) ** 2 + 0.05 * math.sin(step * 0.37 + width)
    return {
        "loss": loss,
        "acc": 1.0 / (1.0 + loss * loss),
        "shift": float(width * (step % 13) - 6 * width),
        "nanny": math.nan if step == 9999 else step * 0.5,
    }
'''
SCRIPT = f'''\
import math
import pyruns_tui as pr
{VALUES}
cfg = pr.load()
for step in range({STEPS}):
    pr.log(values(step, cfg.lr, cfg.model.width), step=step, stage="train")
pr.summary({{"final_loss": values({STEPS} - 1, cfg.lr, cfg.model.width)["loss"], "tag": cfg.tag}})
'''
SPEC = "lr: 0.1 | 0.02 | 0.001\nmodel:\n  width: 3\ntag: e2e\n"
RUN = ["e_1-of-3", "e_2-of-3"]  # e_3-of-3 stays pending
EVIL = "=cmd|' /C calc'!A0"


def expected_stats(lr: float, width: int) -> dict[str, tuple[float, float, float]]:
    """(last, min, max) of each metric the script logs, NaN ignored by min/max."""
    namespace: dict[str, Any] = {"math": math}
    exec(VALUES, namespace)
    series: dict[str, list[float]] = {}
    for step in range(STEPS):
        for key, value in namespace["values"](step, lr, width).items():
            series.setdefault(key, []).append(value)
    out = {}
    for key, values in series.items():
        finite = [v for v in values if not math.isnan(v)]
        out[key] = (values[-1], min(finite), max(finite))
    return out


def cli(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pyruns_tui", *args], cwd=cwd, capture_output=True, text=True,
                          env=environ_without_pyruns(), timeout=timeout)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project whose tasks e_1/e_2 ran the real script through the real runner."""
    project = tmp_path_factory.mktemp("export_e2e")
    (project / "train.py").write_text(SCRIPT)
    (project / "spec.yaml").write_text(SPEC)
    assert cli(project, "init", "train.py").returncode == 0
    assert cli(project, "gen", "spec.yaml", "-n", "e").returncode == 0
    try:
        done = cli(project, "run", *RUN, "--wait", timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        yield project
    finally:
        cli(project, "runner", "stop", "--tasks")


def parse_csv(text: str) -> list[dict[str, str]]:
    header, *rows = list(csv.reader(io.StringIO(text)))
    return [dict(zip(header, row)) for row in rows]


def test_csv_holds_exactly_what_the_script_logged(ran: Path) -> None:
    done = cli(ran, "export")
    assert done.returncode == 0, done.stderr
    rows = parse_csv(done.stdout)
    assert [r["name"] for r in rows] == ["e_1-of-3", "e_2-of-3", "e_3-of-3"]
    for row, lr in zip(rows[:2], (0.1, 0.02)):
        assert (row["status"], row["run"], row["exit_code"]) == ("completed", "1", "0")
        start, finish = datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["finish"])
        assert start <= finish and float(row["duration_s"]) >= 0
        assert (float(row["lr"]), row["model.width"], row["tag"]) == (lr, "3", "e2e")
        for metric, (last, low, high) in expected_stats(lr, 3).items():
            got = (row[f"{metric}.last"], row[f"{metric}.min"], row[f"{metric}.max"])
            if math.isnan(last):
                assert got[0] == "nan"
            else:
                assert float(got[0]) == last, metric
            assert (float(got[1]), float(got[2])) == (low, high), metric
        assert float(row["summary.final_loss"]) == expected_stats(lr, 3)["loss"][0]
        assert row["summary.tag"] == "e2e"
        assert row["shift.min"].startswith("-") and float(row["shift.min"]) == -18.0  # a number, not quoted
    pending = rows[2]
    assert pending["status"] == "pending" and pending["run"] == "" and pending["loss.last"] == ""
    assert float(pending["lr"]) == 0.001


def test_json_is_strict_and_matches_the_log(ran: Path) -> None:
    def refuse(name: str) -> None:
        raise AssertionError(f"non-strict JSON constant {name}")

    done = cli(ran, "export", "status:completed", "-f", "json")
    rows = json.loads(done.stdout, parse_constant=refuse)
    assert [r["name"] for r in rows] == RUN
    first = rows[0]
    assert first["nanny.last"] is None and first["nanny.max"] == 9998 * 0.5
    assert first["loss.min"] == expected_stats(0.1, 3)["loss"][1]
    assert first["run"] == 1 and first["exit_code"] == 0 and first["model.width"] == 3


def test_best_prints_the_winner_and_its_config(ran: Path) -> None:
    stats = {name: expected_stats(lr, 3) for name, lr in zip(RUN, (0.1, 0.02))}
    lowest = min(RUN, key=lambda n: stats[n]["loss"][1])
    done = cli(ran, "export", "--best", "loss")
    assert done.returncode == 0, done.stderr
    first, comment, *rest = done.stdout.splitlines()
    assert first == lowest
    assert comment.startswith("# loss.min = ") and comment.endswith("(run 1)")
    config = yaml.safe_load("\n".join(rest))
    assert config == {"lr": {"e_1-of-3": 0.1, "e_2-of-3": 0.02}[lowest], "model": {"width": 3}, "tag": "e2e"}
    highest = max(RUN, key=lambda n: stats[n]["acc"][2])
    done = cli(ran, "export", "--best", "acc", "--max", "--json")
    data = json.loads(done.stdout)
    assert data["name"] == highest and data["value"] == stats[highest]["acc"][2]
    assert data["column"] == "acc.max" and data["run"] == 1 and data["config"]["model"] == {"width": 3}


def test_sort_query_and_output_file(ran: Path) -> None:
    done = cli(ran, "export", "--sort", "loss.min", "--desc", "-f", "json")
    names = [r["name"] for r in json.loads(done.stdout)]
    by_min = sorted(RUN, key=lambda n: expected_stats({"e_1-of-3": 0.1, "e_2-of-3": 0.02}[n], 3)["loss"][1],
                    reverse=True)
    assert names == [*by_min, "e_3-of-3"]  # the task with no metrics last
    done = cli(ran, "export", "lr<0.05", "-o", "out.md")
    assert done.returncode == 0 and done.stdout == f"wrote 2 rows (2 tasks) to {ran / 'out.md'}\n"
    table = (ran / "out.md").read_text()
    assert table == cli(ran, "export", "lr<0.05", "-f", "md").stdout
    assert [line.split(" | ")[0] for line in table.splitlines()[2:]] == ["| e_2-of-3", "| e_3-of-3"]


def test_compare_two_finished_tasks(ran: Path) -> None:
    done = cli(ran, "compare", *RUN, "--json")
    data = json.loads(done.stdout)
    assert data["config"]["different"] == {"lr": {"a": 0.1, "b": 0.02}} and data["config"]["same"] == 2
    a, b = expected_stats(0.1, 3), expected_stats(0.02, 3)
    assert data["metrics"]["shared"]["loss"]["min"] == {"a": a["loss"][1], "b": b["loss"][1],
                                                       "delta": b["loss"][1] - a["loss"][1]}
    assert data["metrics"]["shared"]["nanny"]["last"] == {"a": None, "b": None, "delta": None}
    text = cli(ran, "compare", *RUN).stdout
    assert text.startswith("A: e_1-of-3  (completed, 1 run, metrics of run 1)\n")
    assert any(line.split() == ["lr", "0.1", "0.02"] for line in text.splitlines())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    return tmp_path


def store_of(project: Path) -> TaskStore:
    return TaskStore(Layout(root=project / "_pyruns_", name="train"))


def run_main(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(project), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_csv_injection_in_a_param_is_neutralised(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_of(project).create_tasks([NewTask(name="evil", config={"cmd": EVIL, "neg": -2})], task_kind="pyruns_load",
                                   script=None)
    code, out, _ = run_main(project, capsys, "export")
    [row] = parse_csv(out)
    assert code == 0 and row["cmd"] == "'" + EVIL and row["neg"] == "-2"


def test_no_matching_task_gives_an_empty_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_of(project).create_tasks([NewTask(name="a", config={"lr": 1})], task_kind="pyruns_load", script=None)
    code, out, _ = run_main(project, capsys, "export", "lr>5")
    assert code == 0 and out == "name,status,run,start,finish,duration_s,exit_code,error\n"
    code, out, _ = run_main(project, capsys, "export", "lr>5", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run_main(project, capsys, "export", "lr>5", "-f", "md")
    assert code == 0 and len(out.splitlines()) == 2


def test_usage_errors_exit_2(project: Path) -> None:
    bad = pyr(project, "export", "-f", "xls")
    assert bad.code == 2 and "invalid choice: 'xls'" in bad.err and "Traceback" not in bad.err
    both = pyr(project, "export", "-f", "csv", "--json")
    assert both.code == 2 and "--json conflicts with -f csv" in both.err
    modes = pyr(project, "export", "--best", "loss", "--min", "--max")
    assert modes.code == 2


def test_failures_exit_1_with_one_line(project: Path) -> None:
    store_of(project).create_tasks([NewTask(name="a", config={"lr": 1})], task_kind="pyruns_load", script=None)
    for args, message in (
        (("export", "--best", "loss"), "no metric or column 'loss'"),
        (("export", "--sort", "nope"), "no column 'nope'"),
        (("export", "-o", "missing/dir/r.csv"), "cannot write"),
        (("compare", "a", "zzz"), "no task named 'zzz'"),
    ):
        result = pyr(project, *args)
        assert result.code == 1, args
        assert result.err.startswith("pyr-tui: error: ") and message in result.err
        assert result.err.count("\n") == 1
    assert not (project / "missing").exists()


def test_an_int_too_large_for_a_float_never_ends_a_command_in_a_traceback(project: Path) -> None:
    # `pr.log({"hugeint": 10**400})` writes the int exactly; search, sort, best and compare died on
    # float() of it (OverflowError); a YAML parameter of 400 digits too
    huge = 10**400
    store = store_of(project)
    store.create_tasks([NewTask(name="a", config={"param": huge}), NewTask(name="b", config={"param": 1})],
                       task_kind="pyruns_load", script=None)
    for name, value in (("a", huge), ("b", -huge)):
        with open(store.layout.metrics_file(name), "a", encoding="utf-8") as stream:
            stream.write(json.dumps({"t": 1.0, "hugeint": value}) + "\n")
        record_run(project, name, "completed", 0.0)  # (only completed tasks compete for --best)
    for args, first in (
        (("ls", "hugeint>1", "--json"), '"name": "a"'),
        (("ls", "param>1", "--json"), '"name": "a"'),
        (("ls", "-c", "hugeint.min,param"), "  -inf"),
        (("export", "hugeint>1"), "a,completed"),
        (("export", "--sort", "hugeint.last"), "hugeint.max\nb,completed,"),
        (("export", "--best", "param", "--max"), "a\n"),
        (("compare", "a", "b"), "A: a"),
    ):
        result = pyr(project, *args)
        assert (result.code, result.err) == (0, ""), args
        assert first in result.out, args
    # a metric logged as a huge int is read as inf or -inf: not ranked, and said (a parameter ranks)
    unranked = pyr(project, "export", "--best", "hugeint")
    assert (unranked.code, unranked.out) == (1, "")
    assert unranked.err == ("pyr-tui: error: no completed task has a finite value for 'hugeint.min' (not ranked: "
                            "a (inf), b (-inf); see every run with `pyr-tui export`)\n")


def test_output_file_replaces_the_old_one_whole(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_of(project).create_tasks([NewTask(name="a", config={"lr": 1})], task_kind="pyruns_load", script=None)
    target = project / "report.json"
    target.write_text("old content that is longer than the new one" * 1000)
    code, out, _ = run_main(project, capsys, "export", "-o", "report.json")
    assert code == 0 and out.startswith("wrote 1 row (1 task) to ")
    assert json.loads(target.read_text())[0]["lr"] == 1
    assert sorted(os.listdir(project)) == ["_pyruns_", "report.json", "train.py"]
    code, out, _ = run_main(project, capsys, "export", "-o", "-", "-f", "json")
    assert json.loads(out)[0]["name"] == "a"


def test_output_that_is_not_a_file_is_written_into_or_refused_never_replaced(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `-o` wrote a temp file and renamed it over whatever was there: as root, `export -o /dev/null`
    # turned /dev/null into a regular file; a FIFO a reader waited on and a symlink were replaced too
    import stat

    store_of(project).create_tasks([NewTask(name="a", config={"lr": 1})], task_kind="pyruns_load", script=None)
    fifo, link, folder = project / "pipe.csv", project / "link.csv", project / "folder"
    os.mkfifo(fifo)
    link.symlink_to(project / "elsewhere.csv")
    folder.mkdir()
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waits on it (the report fits its buffer)
    try:
        code, out, _ = run_main(project, capsys, "export", "-o", str(fifo))
        read = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert code == 0 and read.startswith(b"name,status") and stat.S_ISFIFO(fifo.lstat().st_mode)
    code, _, err = run_main(project, capsys, "export", "-o", str(fifo))  # nobody reads it now: no hang
    assert code == 1 and "a named pipe nobody reads" in err and stat.S_ISFIFO(fifo.lstat().st_mode)
    code, _, err = run_main(project, capsys, "export", "-o", str(link))
    assert code == 1 and "is a symlink" in err and link.is_symlink() and not (project / "elsewhere.csv").exists()
    (project / "elsewhere.csv").write_text("theirs\n")  # one to an existing file: not followed either
    code, _, err = run_main(project, capsys, "export", "-o", str(link))
    assert code == 1 and "is a symlink" in err and (project / "elsewhere.csv").read_text() == "theirs\n"
    info = store_of(project).layout.task_info("a")  # one leading into `_pyruns_`: nothing written there
    record, into = info.read_bytes(), project / "into.json"
    into.symlink_to(info)
    code, _, err = run_main(project, capsys, "export", "-o", str(into))
    assert code == 1 and "is a symlink" in err and err.count("\n") == 1 and info.read_bytes() == record
    code, _, err = run_main(project, capsys, "export", "-o", str(folder))
    assert code == 1 and "it is a folder" in err
    if os.geteuid() == 0:  # a character device like /dev/null: written into (root may make one)
        null = project / "null"
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        code, out, _ = run_main(project, capsys, "export", "-o", str(null))
        assert code == 0 and stat.S_ISCHR(null.lstat().st_mode)


def test_a_report_written_over_keeps_its_permissions(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the temp file renamed over it had the default mode: a private (600) report became world-readable
    store_of(project).create_tasks([NewTask(name="a", config={"lr": 1})], task_kind="pyruns_load", script=None)
    report = project / "private.csv"
    report.write_text("old\n")
    report.chmod(0o600)
    assert run_main(project, capsys, "export", "-o", str(report))[0] == 0
    assert report.read_text().startswith("name,") and (report.stat().st_mode & 0o777) == 0o600
