"""`pyr-tui run BATCH` opens each task's files a bounded number of times: the batch's order comes
from the scan index (no task_info.json is opened to read it), the write under the lock checks each
record by one stat, and the index's log is appended once per hold of the lock, not once per task
(10,000 tasks cost 60,000 opens: 6 a task, of which 4 were these)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyruns_tui.cli import main

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, default=0)
p.parse_args()
"""
TASKS = 40


def test_run_of_a_batch_reads_no_task_file_again_and_opens_two_files_a_task(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    (tmp_path / "spec.yaml").write_text(f"seed: 0:{TASKS}\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    assert main(["-C", str(tmp_path), "gen", "spec.yaml", "-n", "b"]) == 0
    opened: list[str] = []
    real_open = os.open

    def counted(path, flags, *args, **kwargs):  # the real open; every path counted
        opened.append(os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", counted)
    try:
        assert main(["-C", str(tmp_path), "run", "-j", "1", "b"]) == 0
    finally:
        monkeypatch.setattr(os, "open", real_open)
        assert f"queued {TASKS} tasks" in capsys.readouterr().out
        assert main(["-C", str(tmp_path), "runner", "stop", "--tasks"]) == 0
    read = [path for path in opened if os.path.basename(path) == "task_info.json"]
    written = [path for path in opened if os.path.basename(path).startswith(".task_info.json.")]
    # (read: only a record the runner rewrote meanwhile, `submits_to_slurm`'s look at the first task)
    assert len(read) <= 2 and len(written) == TASKS, (len(read), len(written))
    # each task: its folder (O_PATH) and its temp file; the rest (settings, the lock, the index, the
    # runner's start) is ~55 opens whatever the count (the old code: 6 a task, 290 here)
    assert len(opened) <= 2 * TASKS + 80, len(opened)
