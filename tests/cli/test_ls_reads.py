"""What `ls` looks at on disk: `ls --names` prints names only, so it looks at no task's config.yaml
even when parameters are pinned (their columns are not printed); a query on a parameter still
reads them. (100,000 tasks: `ls --names` 2.6 -> 2.0 s.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyruns_tui.cli import main

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.parse_args()
"""


def _stats_of_configs(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    """The `ls` call's exit code, and the config.yaml paths it stat'ed or opened."""
    seen: list[str] = []
    real_stat, real_open = os.stat, os.open

    def stat(path, *rest, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(os.fsdecode(path))
        return real_stat(path, *rest, **kwargs)

    def open_(path, *rest, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(os.fsdecode(path))
        return real_open(path, *rest, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "open", open_)
    try:
        code = main(args)
    finally:
        monkeypatch.setattr(os, "stat", real_stat)
        monkeypatch.setattr(os, "open", real_open)
    return code, [path for path in seen if os.path.basename(path) == "config.yaml"]


def test_ls_names_reads_no_config_with_pinned_parameters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    (tmp_path / "spec.yaml").write_text("lr: 0.1 | 0.01 | 0.001\n")
    assert main(["-C", str(tmp_path), "init", "train.py"]) == 0
    assert main(["-C", str(tmp_path), "gen", "spec.yaml", "-n", "b"]) == 0
    assert main(["-C", str(tmp_path), "pin", "--param", "lr"]) == 0
    assert main(["-C", str(tmp_path), "ls"]) == 0  # (the scan index learns every file)
    capsys.readouterr()

    code, configs = _stats_of_configs(["-C", str(tmp_path), "ls", "--names"], monkeypatch)
    assert code == 0 and configs == [], configs
    assert capsys.readouterr().out == "b_1-of-3\nb_2-of-3\nb_3-of-3\n"

    code, configs = _stats_of_configs(["-C", str(tmp_path), "ls", "--names", "lr<0.05"], monkeypatch)
    assert code == 0 and len(configs) == 3, configs  # a query on a parameter reads each task's
    assert capsys.readouterr().out == "b_2-of-3\nb_3-of-3\n"
