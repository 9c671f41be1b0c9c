"""A lone value of a list argument is recorded as the one-item list its run gets (`layers: 64` is
`[64]`, passed as `--layers 64`): show, ls -c, export, the Manager and --skip-existing see it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import pyr
from tests.runner.harness import finish_project, script_project

SCRIPT = """\
import argparse
import json
import os
import sys

p = argparse.ArgumentParser()
p.add_argument("--layers", nargs="+", type=int, default=[32])
p.add_argument("--tags", action="append")
p.add_argument("--width", nargs="+", type=int, default=8)
p.add_argument("--lr", type=float, default=0.1)
args = p.parse_args()
with open(os.path.join(os.environ["PYRUNS_TASK_DIR"], "ran.json"), "w") as out:
    json.dump({"argv": sys.argv[1:], "args": vars(args)}, out)
"""


def config_of(layout_tasks: Path, name: str) -> dict[str, object]:
    from pyruns_tui.params.yamlio import load_text

    return load_text((layout_tasks / name / "config.yaml").read_text())


def test_a_grid_of_lone_values_records_the_lists_its_runs_get(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train = script_project(tmp_path / "proj", monkeypatch, SCRIPT)  # a real runner, stopped at the end
    layout = train.layout
    spec = train.dir / "spec.yaml"
    # (width: 8 is the script's own scalar default, left off the command line: the script gets 8)
    spec.write_text("layers: 64 | 128\ntags: a\nwidth: 8\nlr: 0.5\n")
    try:
        assert train.cli("-w", "train", "gen", str(spec), "-n", "g") == 0
        assert config_of(layout.tasks_dir, "g_1-of-2") == {"layers": [64], "tags": ["a"], "width": 8, "lr": 0.5}
        assert config_of(layout.tasks_dir, "g_2-of-2")["layers"] == [128]
        assert train.cli("-w", "train", "run", "g_1-of-2", "g_2-of-2", "--wait") == 0
        for name, layers in (("g_1-of-2", "64"), ("g_2-of-2", "128")):
            ran = json.loads((layout.tasks_dir / name / "ran.json").read_text())
            assert ran["argv"] == ["--tags", "a", "--lr", "0.5", "--layers", layers], ran
            recorded = config_of(layout.tasks_dir, name)
            assert {key: ran["args"][key] for key in recorded} == recorded  # what it records is what it got
    finally:
        finish_project(train)


def test_skip_existing_compares_a_lone_value_as_its_one_item_list(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    assert pyr(tmp_path, "init", "train.py").code == 0
    assert pyr(tmp_path, "gen", "-", "-n", "a", stdin="layers: [64]\ntags: [x]\n").code == 0
    again = pyr(tmp_path, "gen", "-", "-n", "b", "--skip-existing", stdin="layers: 64 | 128\ntags: x\n")
    assert (again.code, again.out.strip()) == (0, "created 1 task b (1 identical skipped)"), again.err
    assert config_of(tmp_path / "_pyruns_" / "train" / "tasks", "b")["layers"] == [128]
    shown = pyr(tmp_path, "ls", "-c", "layers", "--json")
    assert [t["params"]["layers"] for t in shown.json()] == [[64], [128]]
