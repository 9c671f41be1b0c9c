"""A script with argparse sub-commands (pytorch/examples fast_neural_style: `train` and `eval`):
its workspace keeps the sub-command it was made for, and one holding tasks does not change it."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import pyr

SCRIPT = """\
import argparse
main = argparse.ArgumentParser(description="parser for fast-neural-style")
subparsers = main.add_subparsers(title="subcommands", dest="subcommand")
train = subparsers.add_parser("train", help="parser for training arguments")
train.add_argument("--epochs", type=int, default=2)
train.add_argument("--lr", type=float, default=1e-3)
ev = subparsers.add_parser("eval", help="parser for evaluation/stylizing arguments")
ev.add_argument("--content-scale", type=float, default=None)
ev.add_argument("--model", type=str, default="x.pth")
print(vars(main.parse_args()))
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "neural_style.py").write_text(SCRIPT)
    return tmp_path


def config_keys(proj: Path, workspace: str = "neural_style") -> list[str]:
    text = (proj / "_pyruns_" / workspace / "config_default.yaml").read_text()
    return [line.split(":")[0] for line in text.splitlines() if line and not line.startswith(("#", " "))]


def test_a_refresh_keeps_the_sub_command_the_workspace_was_made_for(tmp_path: Path) -> None:
    # `init --subcommand eval`, then `pyr-tui neural_style.py` (or `init` again) read the script
    # anew with the first sub-command: the workspace silently became `train`'s
    proj = project(tmp_path)
    made = pyr(proj, "init", "neural_style.py", "--subcommand", "eval")
    assert made.code == 0, made.err
    assert "sub-command 'eval'" in made.out
    again = pyr(proj, "init", "neural_style.py")
    assert again.code == 0, again.err
    assert "sub-command 'eval'" in again.out
    assert config_keys(proj) == ["content_scale", "model"]


def test_a_workspace_with_tasks_keeps_its_sub_command_and_says_where_another_goes(tmp_path: Path) -> None:
    # its tasks' reruns failed: `config key 'epochs' is not a parameter of the script`
    proj = project(tmp_path)
    assert pyr(proj, "init", "neural_style.py").code == 0
    (proj / "sweep.yaml").write_text("lr: 0.001 | 0.01\n")
    assert pyr(proj, "gen", "sweep.yaml", "-n", "st").code == 0
    refused = pyr(proj, "init", "neural_style.py", "--subcommand", "eval")
    assert refused.code == 1
    assert refused.err.count("\n") == 1 and "Traceback" not in refused.err
    assert ("workspace 'neural_style' holds tasks of the sub-command 'train'" in refused.err
            and refused.err.rstrip().endswith("pyr-tui -w neural_style_eval init neural_style.py --subcommand eval"))
    assert config_keys(proj) == ["epochs", "lr"]
    hint = pyr(proj, "-w", "neural_style_eval", "init", "neural_style.py", "--subcommand", "eval")
    assert hint.code == 0, hint.err
    assert config_keys(proj, "neural_style_eval") == ["content_scale", "model"]
    assert "sub-command 'train'" in pyr(proj, "init", "neural_style.py", "--subcommand", "train").out
