from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyruns_tui.errors import PyrunsError, WorkspaceError
from pyruns_tui.params import yamlio
from pyruns_tui.workspace.bootstrap import init_shell_workspace, init_workspace, params_of, read_script_info

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1, help="learning rate")
p.parse_args()
"""


def test_init_extracts_params_and_writes_defaults(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    assert layout.workspace_dir == tmp_path / "_pyruns_" / "train"
    assert yamlio.load_file(layout.config_default) == {"lr": 0.1}
    assert [p.key for p in params_of(layout).params] == ["lr"]


def test_reinit_follows_the_script_until_the_defaults_are_edited(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    layout = init_workspace(tmp_path, script)
    script.write_text(SCRIPT.replace("0.1", "0.2"))
    init_workspace(tmp_path, script)
    assert yamlio.load_file(layout.config_default) == {"lr": 0.2}
    layout.config_default.write_text("lr: 0.5  # mine\n")
    script.write_text(SCRIPT.replace("0.1", "0.3"))
    init_workspace(tmp_path, script)
    assert layout.config_default.read_text() == "lr: 0.5  # mine\n"
    assert read_script_info(layout).params[0]["default"] == 0.3


def test_explicit_config_replaces_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    (tmp_path / "c.yaml").write_text("lr: 0.7\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py", tmp_path / "c.yaml")
    assert yamlio.load_file(layout.config_default) == {"lr": 0.7}


def test_load_script_takes_its_sibling_yaml(tmp_path: Path) -> None:
    (tmp_path / "exp.py").write_text("import pyruns_tui as pr\ncfg = pr.load()\n")
    (tmp_path / "exp.yaml").write_text("model:\n  depth: 18\n")
    layout = init_workspace(tmp_path, tmp_path / "exp.py")
    assert read_script_info(layout).kind == "pyruns_load"
    assert yamlio.load_file(layout.config_default) == {"model": {"depth": 18}}


def test_existing_root_above_is_reused(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    init_workspace(tmp_path, tmp_path / "train.py")
    sub = tmp_path / "sub"
    sub.mkdir()
    layout = init_workspace(sub, tmp_path / "train.py")
    assert layout.root == tmp_path / "_pyruns_"


def test_same_stem_from_another_script_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "train.py").write_text(SCRIPT)
    (tmp_path / "b" / "train.py").write_text(SCRIPT)
    init_workspace(tmp_path, tmp_path / "a" / "train.py")
    with pytest.raises(WorkspaceError, match="-w NAME"):
        init_workspace(tmp_path, tmp_path / "b" / "train.py")
    assert init_workspace(tmp_path, tmp_path / "b" / "train.py", name="train_b").name == "train_b"


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("bad.py", "def (:\n", "syntax error"),
        ("notes.txt", "hello", "not a Python script"),
    ],
)
def test_bad_scripts_are_one_clear_error(tmp_path: Path, name: str, text: str, needle: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(PyrunsError, match=needle):
        init_workspace(tmp_path, tmp_path / name)
    assert not (tmp_path / "_pyruns_").exists()


def test_shell_workspace(tmp_path: Path) -> None:
    layout = init_shell_workspace(tmp_path)
    assert read_script_info(layout).kind == "shell"
    spec = yamlio.load_file(layout.config_default)
    assert "{lr}" in spec["command"] and "params" in spec
    assert json.loads(layout.script_info.read_text())["schema_version"] == 1
