"""A task naming its script's YAML file of defaults (timm's `--config`) records the file's values,
and its run gets exactly what it records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.helpers import pyr
from tests.runner.harness import finish_project, script_project

# timm's train.py, its parsers and `_parse_args` (the namespace is written where the run can be read)
SCRIPT = """\
import argparse
import json
import os

import yaml

config_parser = parser = argparse.ArgumentParser(description="Training Config", add_help=False)
parser.add_argument("-c", "--config", default="", type=str, metavar="FILE", help="YAML config file")

parser = argparse.ArgumentParser(description="PyTorch ImageNet Training")
parser.add_argument("--model", default="resnet50", type=str)
parser.add_argument("--lr", type=float, default=None)
parser.add_argument("--epochs", type=int, default=300)
parser.add_argument("--weight-decay", type=float, default=2e-5)
scripting = parser.add_mutually_exclusive_group()
scripting.add_argument("--torchscript", action="store_true")
scripting.add_argument("--torchcompile", nargs="?", type=str, default=None, const="inductor")


def _parse_args():
    args_config, remaining = config_parser.parse_known_args()
    if args_config.config:
        with open(args_config.config, "r") as f:
            cfg = yaml.safe_load(f)
            parser.set_defaults(**cfg)
    args = parser.parse_args(remaining)
    args_text = yaml.safe_dump(args.__dict__, default_flow_style=False)
    return args, args_text


args, _ = _parse_args()
with open(os.path.join(os.environ["PYRUNS_TASK_DIR"], "namespace.json"), "w") as out:
    json.dump(vars(args), out)
"""
CFG = "model: vit_small\nlr: 5e-4\nepochs: 20\nweight_decay: '0.05'\ntorchscript: true\ntorchcompile: inductor\nsched: cosine\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(SCRIPT)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "vit.yaml").write_text(CFG)
    (tmp_path / "configs" / "short.yaml").write_text("epochs: 5\n")
    assert pyr(tmp_path, "init", "train.py").code == 0
    return tmp_path


def config_of(project: Path, name: str) -> dict[str, object]:
    from pyruns_tui.params.yamlio import load_text

    return load_text((project / "_pyruns_" / "train" / "tasks" / name / "config.yaml").read_text())


def test_gen_records_the_values_of_the_file_a_task_names(project: Path) -> None:
    spec = "config: configs/vit.yaml | configs/short.yaml | ''\nlr: 0.01 | null\n"
    result = pyr(project, "gen", "-", "-n", "t", stdin=spec)
    assert result.code == 0, result.err
    # (a value the spec changes from the script's default is passed as a flag: it stays; the file's
    # two flags of one mutually exclusive group are no command line: argparse takes them)
    assert config_of(project, "t_1-of-6") == {"config": "configs/vit.yaml", "model": "vit_small", "lr": 0.01,
                                              "epochs": 20, "weight_decay": 0.05, "torchscript": True,
                                              "torchcompile": "inductor"}
    assert config_of(project, "t_2-of-6") == {**config_of(project, "t_1-of-6"), "lr": 0.0005}
    assert config_of(project, "t_3-of-6") == {"config": "configs/short.yaml", "model": "resnet50", "lr": 0.01,
                                              "epochs": 5, "weight_decay": 2e-5, "torchscript": False,
                                              "torchcompile": None}
    assert config_of(project, "t_6-of-6")["epochs"] == 300  # no file named: the script's defaults
    again = pyr(project, "gen", "-", "-n", "u", "--skip-existing", "--dry-run", "--json", stdin=spec)
    assert again.code == 0 and again.json()["count"] == 0  # what the tasks record is what is compared


MISSING = ("config: configs/none.yaml: no such file in {project} (the script opens it from there, the folder its "
           "tasks run in); fix the path or create the file")
NOT_A_MAPPING = ("config: configs/none.yaml: expected a mapping of parameter: value (the script passes it to "
                 "set_defaults(**...)), got list (fix the file)")


EMPTY = ("config: configs/none.yaml is empty: the script gives what it loads to set_defaults(**...), which fails "
         "on an empty file, so every run would stop there; write parameter: value lines in it ({{}} for none), or "
         "leave config empty")


@pytest.mark.parametrize(("text", "error"), [
    (None, MISSING),
    ("- 1\n- 2\n", NOT_A_MAPPING),
    ("", EMPTY),  # timm's `parser.set_defaults(**cfg)` with `cfg = yaml.safe_load(f)`: `**None`
    ("# lr: 0.1\n", EMPTY),
    ("a: [1\n", "config: configs/none.yaml:2: not valid YAML: <PyYAML's words> (fix the file)"),
    # (argparse converts a string default when its flag is not passed: `invalid int value: 'abc'`)
    ("epochs: abc\n", "config: configs/none.yaml: epochs: 'abc' is not a valid int (the script's argparse converts "
                      "it with type=int and every run stops there); fix the file, or give epochs a value"),
])
def test_a_file_every_run_would_fail_on_is_refused_in_one_line(project: Path, text: str | None, error: str) -> None:
    if text is not None:
        (project / "configs" / "none.yaml").write_text(text)
    expected = re.escape(f"pyr-tui: error: {error.format(project=project)}\n").replace(re.escape("<PyYAML's words>"), "[^\n]+")
    for extra in ((), ("--dry-run",)):
        result = pyr(project, "gen", "-", "-n", "bad", *extra, stdin="config: configs/none.yaml\n")
        assert (result.code, result.out) == (1, "")
        assert re.fullmatch(expected, result.err), result.err
    assert not list((project / "_pyruns_" / "train" / "tasks").iterdir())


def test_each_run_gets_what_its_task_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train = script_project(tmp_path / "proj", monkeypatch, SCRIPT)  # a real runner, stopped at the end
    layout = train.layout
    (train.dir / "configs").mkdir()
    (train.dir / "configs" / "vit.yaml").write_text(CFG)
    spec = train.dir / "spec.yaml"
    spec.write_text("config: configs/vit.yaml\nmodel: vit_base | convnext_tiny\n")
    try:
        assert train.cli("-w", "train", "gen", str(spec), "-n", "r") == 0
        # a task edited by hand back to the script's default: no flag was passed for it, and the
        # run got the file's 20 epochs while the task said 300
        config = layout.tasks_dir / "r_2-of-2" / "config.yaml"
        config.write_text(config.read_text().replace("epochs: 20", "epochs: 300"))
        assert train.cli("-w", "train", "run", "r_1-of-2", "r_2-of-2", "--wait") == 0
        for name in ("r_1-of-2", "r_2-of-2"):
            ran = json.loads((layout.tasks_dir / name / "namespace.json").read_text())
            recorded = config_of(train.dir, name)
            assert {k: v for k, v in ran.items() if k in recorded} == {k: v for k, v in recorded.items() if k != "config"}
            assert ran["sched"] == "cosine"  # (a key of the file that is no parameter reaches the script alone)
        assert config_of(train.dir, "r_1-of-2")["model"] == "vit_base" and config_of(train.dir, "r_1-of-2")["epochs"] == 20
        assert config_of(train.dir, "r_2-of-2")["epochs"] == 300
    finally:
        finish_project(train)


def test_a_value_the_file_cannot_give_is_fine_where_the_task_passes_its_own(project: Path) -> None:
    (project / "configs" / "bad.yaml").write_text("epochs: abc\nlr: '1e-3'\n")
    result = pyr(project, "gen", "-", "-n", "ok", stdin="config: configs/bad.yaml\nepochs: 7\n")
    assert result.code == 0, result.err
    assert config_of(project, "ok")["epochs"] == 7 and config_of(project, "ok")["lr"] == 0.001
