"""`pyr-tui export --best`: only tasks whose latest run completed compete, each with the values
that stand for it (the Manager's: its latest run that logged metrics); the others are said."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.cli import main
from tests.cli.helpers import log_rows, pyr, record_run
from tests.conftest import environ_without_pyruns
from tests.waiting import gate_code, wait_until

T0 = 1_700_000_000.0
NOTE = "only tasks whose latest run completed compete"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    (tmp_path / "train.yaml").write_text("lr: 0.1\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    return tmp_path


def gen(project: Path, *names: str) -> None:
    for name in names:
        assert pyr(project, "gen", "-", "-n", name, stdin="lr: 0.1\n").code == 0


def test_a_running_task_whose_partial_metrics_lead_never_wins(tmp_path: Path) -> None:
    # the real runner: `fast` completes with loss 0.5; `slow` logs loss 0.1 and keeps running
    gate = tmp_path / "gate"
    (tmp_path / "train.py").write_text(
        "import pyruns_tui as pr\ncfg = pr.load()\npr.log({'loss': cfg.loss})\n" + gate_code(gate)
        + "pr.log({'loss': cfg.loss + 1})\n")
    (tmp_path / "train.yaml").write_text("loss: 1.0\n")
    env = environ_without_pyruns()

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pyruns_tui", *args], cwd=tmp_path, input=stdin,
                              capture_output=True, text=True, env=env, timeout=120)

    assert cli("init", "train.py").returncode == 0
    assert cli("gen", "-", "-n", "fast", stdin="loss: 0.5\n").returncode == 0
    assert cli("gen", "-", "-n", "slow", stdin="loss: 0.1\n").returncode == 0
    try:
        gate.touch()
        assert cli("run", "fast", "--wait").returncode == 0
        gate.unlink()
        assert cli("run", "slow").returncode == 0
        metrics = tmp_path / "_pyruns_" / "train" / "tasks" / "slow" / "metrics.jsonl"
        wait_until(lambda: metrics.exists() and metrics.read_text().endswith("\n"), 60, "slow's first metric")
        assert json.loads(cli("show", "slow", "--json").stdout)["status"] == "running"
        done = cli("export", "--best", "loss")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[:2] == ["fast", "# loss.min = 0.5 (run 1)"]
        assert done.stderr == f"note: 1 running task not considered: {NOTE}\n"
        alone = cli("export", "--best", "loss", "name:slow")
        assert alone.returncode == 1 and alone.stdout == ""
        assert alone.stderr == ("pyr-tui: error: no completed task has a numeric value for 'loss.min' (not considered: "
                                f"1 running; {NOTE}: wait for them, or see every run with `pyr-tui export`)\n")
    finally:
        gate.touch()
        cli("runner", "stop", "--tasks")


def test_failed_stopped_and_requeued_tasks_are_left_out_and_counted(project: Path) -> None:
    gen(project, "done", "broke", "stopped", "again", "fresh", "idle")
    record_run(project, "idle", "running", T0)  # left out, but with no value to rank: not counted
    for name, status, loss in (("done", "completed", 0.5), ("broke", "failed", 0.1), ("stopped", "interrupted", 0.2),
                               ("again", "completed", 0.05)):
        record_run(project, name, status, T0, task_status="queued" if name == "again" else None)
        log_rows(project, name, {"t": T0 + 0.5, "loss": loss})
    log_rows(project, "fresh", {"t": T0, "loss": 0.01})  # metrics, but no run: never ran under pyruns
    done = pyr(project, "export", "--best", "loss", "--json")
    assert done.code == 0, done.err
    assert (done.json()["name"], done.json()["value"]) == ("done", 0.5)
    assert done.err == f"note: 4 tasks (1 pending, 1 queued, 1 failed, 1 interrupted) not considered: {NOTE}\n"
    assert pyr(project, "export", "--best", "loss", "status:completed").err == ""  # none left out: no note


def test_a_rerun_task_competes_with_its_latest_run_never_an_older_one(project: Path) -> None:
    gen(project, "rerun", "other")
    record_run(project, "rerun", "completed", T0)
    log_rows(project, "rerun", {"t": T0 + 0.5, "loss": 0.01})  # run 1: the lowest loss of all
    record_run(project, "rerun", "completed", T0 + 10)
    log_rows(project, "rerun", {"t": T0 + 10.5, "loss": 0.9})  # run 2, which stands for the task now
    record_run(project, "other", "completed", T0)
    log_rows(project, "other", {"t": T0 + 0.5, "loss": 0.5})
    done = pyr(project, "export", "--best", "loss")
    assert done.code == 0 and done.out.splitlines()[:2] == ["other", "# loss.min = 0.5 (run 1)"]
    best = pyr(project, "export", "--best", "loss", "--max", "--json").json()
    assert (best["name"], best["run"], best["value"]) == ("rerun", 2, 0.9)


def test_a_completed_task_whose_metrics_file_cannot_be_read_is_said_not_passed_over(project: Path) -> None:
    gen(project, "hidden", "seen")
    for name in ("hidden", "seen"):
        record_run(project, name, "completed", T0)
    log_rows(project, "seen", {"t": T0 + 0.5, "loss": 0.5})
    metrics = project / "_pyruns_" / "train" / "tasks" / "hidden" / "metrics.jsonl"
    os.mkfifo(metrics)  # its loss may have been the lowest: nobody can tell
    done = pyr(project, "export", "--best", "loss")
    assert done.code == 0 and done.out.splitlines()[:2] == ["seen", "# loss.min = 0.5 (run 1)"]
    assert done.err == ("note: 1 completed task not considered, its file cannot be read: hidden (metrics.jsonl is "
                        "a FIFO, not a regular file); see `pyr-tui show TASK`\n")
    gen(project, "broke")
    record_run(project, "broke", "failed", T0)
    log_rows(project, "broke", {"t": T0 + 0.5, "loss": 0.1})
    alone = pyr(project, "export", "--best", "loss", "-name:seen")
    assert (alone.code, alone.out) == (1, "")
    assert alone.err == ("pyr-tui: error: no completed task has a numeric value for 'loss.min' that can be read "
                         "(not considered: 1 failed): hidden (metrics.jsonl is a FIFO, not a regular file); "
                         "see `pyr-tui show TASK`\n")


def test_best_writes_json_to_a_json_file_and_refuses_a_table_format(project: Path) -> None:
    gen(project, "only")
    record_run(project, "only", "completed", T0)
    log_rows(project, "only", {"t": T0 + 0.5, "loss": 0.5})
    assert pyr(project, "export", "--best", "loss", "-o", "best.json").code == 0
    assert json.loads((project / "best.json").read_text())["name"] == "only"  # (it held the YAML text)
    for asked in (("-f", "csv"), ("-f", "md", "--json"), ("-o", "best.csv"), ("-o", "best.md")):
        refused = pyr(project, "export", "--best", "loss", *asked)
        assert (refused.code, refused.out) == (2, ""), asked
        assert refused.err.startswith("pyr-tui: error: --best prints a task's name and config, not a table: "
                                      f"{' '.join(asked[:2])} does not apply"), refused.err
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("best")) == ["best.json"]


def test_an_infinite_or_nan_value_never_wins_and_the_tasks_are_named(project: Path) -> None:
    # a loss of -inf (a run that diverged) is not the lowest loss; NaN is not a loss at all
    gen(project, "sane", "diverged", "blown", "lost")
    for name, loss in (("sane", 0.5), ("diverged", float("-inf")), ("blown", float("inf")), ("lost", float("nan"))):
        record_run(project, name, "completed", T0)
        log_rows(project, name, {"t": T0 + 0.5, "loss": loss})  # json.dumps: -Infinity, Infinity, NaN
    low = pyr(project, "export", "--best", "loss", "--json")
    assert low.code == 0, low.err
    assert (low.json()["name"], low.json()["value"]) == ("sane", 0.5)
    assert low.err == "note: 3 completed tasks not ranked, loss.min is not finite: diverged (-inf), blown (inf), lost (nan)\n"
    high = pyr(project, "export", "--best", "loss", "--max")
    assert high.code == 0 and high.out.splitlines()[:2] == ["sane", "# loss.max = 0.5 (run 1)"]
    alone = pyr(project, "export", "--best", "loss", "-name:sane")
    assert (alone.code, alone.out) == (1, "")
    assert alone.err == ("pyr-tui: error: no completed task has a finite value for 'loss.min' (not ranked: "
                         "diverged (-inf), blown (inf), lost (nan); see every run with `pyr-tui export`)\n")
