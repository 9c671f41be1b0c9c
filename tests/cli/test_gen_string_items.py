"""A grid over a declared string (`type=str`, a configurator's str global) keeps each item's text,
as a lone value does: `name: 007 | 7` is two tasks, '007' and '7', not two named 7."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import pyr
from tests.scripts import CONFIGURATOR

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--name", type=str, default="x")
p.add_argument("--seed", type=int, default=0)
print(vars(p.parse_args()))
"""

CONFIGURATOR_SCRIPT = """\
wandb_run_name = 'gpt2'
exec(open('configurator.py').read())
"""


def configs(project: Path, workspace: str) -> dict[str, object]:
    from pyruns_tui.params.yamlio import load_text

    tasks = project / "_pyruns_" / workspace / "tasks"
    return {folder.name: load_text((folder / "config.yaml").read_text())
            for folder in sorted(tasks.iterdir()) if not folder.name.startswith(".")}


def test_a_grid_over_a_string_parameter_keeps_the_texts_typed(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    assert pyr(tmp_path, "init", "train.py").code == 0
    result = pyr(tmp_path, "gen", "-", "-n", "g", stdin="name: 007 | 7 | 0x10\nseed: 1 | 2\n")
    assert result.code == 0, result.err
    names = [(c["name"], c["seed"]) for c in configs(tmp_path, "train").values()]
    assert sorted(names) == [("007", 1), ("007", 2), ("0x10", 1), ("0x10", 2), ("7", 1), ("7", 2)]


def test_a_grid_over_a_configurator_text_global_keeps_the_texts_typed(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(CONFIGURATOR_SCRIPT)
    (tmp_path / "configurator.py").write_text(CONFIGURATOR)
    assert pyr(tmp_path, "init", "train.py").code == 0
    assert pyr(tmp_path, "gen", "-", "-n", "g", stdin="wandb_run_name: 1e-3 | 1e-4\n").code == 0
    assert sorted(c["wandb_run_name"] for c in configs(tmp_path, "train").values()) == ["1e-3", "1e-4"]
