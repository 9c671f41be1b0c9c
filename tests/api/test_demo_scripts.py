"""The demo scripts run, log through the API, and fail the way they promise."""

from __future__ import annotations

import json
from pathlib import Path

from pyruns_tui.metrics.track import MetricsReader, read_summary
from tests.api.conftest import run_script, task_env

DEMO = Path(__file__).resolve().parents[2] / "demo_scripts"
QUICK = ("--epochs", "2", "--steps", "5", "--step-time", "0")


def test_train_logs_train_and_val_rows_and_a_summary(task_dir: Path) -> None:
    result = run_script(DEMO / "train.py", task_env(task_dir), *QUICK, "--seed", "3")
    assert result.returncode == 0, result.stderr
    reader = MetricsReader.for_task(task_dir)
    assert reader.stages == ["train", "val"]
    assert [step for step, _, _ in reader.series("loss", stage="train")] == list(range(1, 11))
    assert [step for step, _, _ in reader.series("acc", stage="val")] == [5, 10]
    summary = read_summary(task_dir)
    assert summary["steps"] == 10 and summary["best_epoch"] in (1, 2)
    assert summary["best_acc"] == reader.stats()["acc"].max
    assert "epoch 2/2" in result.stdout


def test_train_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        run_script(DEMO / "train.py", task_env(folder), *QUICK, "--seed", "7")
        rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        runs.append([{k: v for k, v in row.items() if k != "t"} for row in rows])
    assert runs[0] == runs[1]


def test_train_tells_apart_the_learning_rates_of_the_readme_sweep(tmp_path: Path) -> None:
    """README's quick tour sweeps `lr: 0.01 | 0.001`: both gave the very same loss and accuracy
    (the speed was capped at lr >= 1e-3), so `export --best acc` picked between equal runs."""
    best = {}
    for lr in ("0.01", "0.001"):
        folder = tmp_path / lr
        folder.mkdir()
        result = run_script(DEMO / "train.py", task_env(folder), *QUICK, "--lr", lr, "--seed", "0")
        assert result.returncode == 0, result.stderr
        best[lr] = read_summary(folder)["best_acc"]
    assert best["0.01"] != best["0.001"], best


def test_train_runs_without_a_task(tmp_path: Path) -> None:
    result = run_script(DEMO / "train.py", task_env(None), *QUICK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_train_yaml_reads_the_task_config(task_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        (DEMO / "train_yaml.yaml").read_text()
        .replace("epochs: 3", "epochs: 2")
        .replace("step_time: 0.03", "step_time: 0")
    )
    result = run_script(DEMO / "train_yaml.py", task_env(task_dir, config=config))
    assert result.returncode == 0, result.stderr
    assert "lr=0.001 " in result.stdout
    reader = MetricsReader.for_task(task_dir)
    assert len(reader.series("acc")) == 2
    assert read_summary(task_dir)["steps"] == 60


def test_fails_exits_non_zero_after_logging_the_steps_before_the_failure(task_dir: Path) -> None:
    result = run_script(
        DEMO / "fails.py", task_env(task_dir), "--fail-at", "4", "--step-time", "0"
    )
    assert result.returncode == 1
    assert "RuntimeError: simulated failure at step 4" in result.stderr
    reader = MetricsReader.for_task(task_dir)
    assert [step for step, _, _ in reader.series("loss")] == [1, 2, 3]


def test_train_falls_back_to_a_plain_progress_line_without_tqdm(tmp_path: Path) -> None:
    hidden = tmp_path / "no_tqdm"
    hidden.mkdir()
    (hidden / "tqdm.py").write_text("raise ImportError('tqdm hidden for this test')\n")
    env = task_env(None)
    env["PYTHONPATH"] = str(hidden)
    result = run_script(DEMO / "train.py", env, *QUICK)
    assert result.returncode == 0, result.stderr
    assert "epoch 1/2 [####" in result.stdout and "5/5 loss=" in result.stdout
