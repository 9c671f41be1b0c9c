"""A nanoGPT config file read statically as the values it sets (params/configurator_file.py): each
value as `exec` in train.py's globals gives it (the truth: the fixture's train.py run on the file),
within what a `--key=value` item can carry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.configurator_file import config_file_values
from pyruns_tui.workspace.module_files import ModuleFiles

PROJECT = Path(__file__).parent / "projects" / "nanogpt_project"
SCRIPT = PROJECT / "train.py"


def extract() -> ScriptParams:
    return extract_params(SCRIPT.read_text(), str(SCRIPT), finder=ModuleFiles(SCRIPT), script_path=str(SCRIPT))


def read(text: str) -> dict[str, object]:
    sp = extract()
    return config_file_values(text, "config/x.py", sp, sp.defaults(), "train.py")


def real_run(tmp_path: Path, text: str) -> dict[str, object]:
    """The config train.py ends with for `python train.py CONFIG` (CONFIG holding `text`)."""
    config = tmp_path / "x.py"
    config.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "stubs")}
    proc = subprocess.run([sys.executable, str(SCRIPT), str(config)], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


TEXT = '''"""a docstring"""
# a comment
batch_size = 4 * 8  # an expression
max_iters = 5000
lr_decay_iters = max_iters  # an earlier value of the file
min_lr = learning_rate / 10  # the script's default
n_layer = n_head = 6
wandb_run_name: str = f"run-{batch_size}-{int(2.5e3)}"
init_from = 'gpt2' + '-xl'
max_iters = 6000  # assigned again: the later value
'''


def test_values_are_what_exec_in_the_script_gives(tmp_path: Path) -> None:
    values = read(TEXT)
    assert values == {"batch_size": 32, "max_iters": 6000, "lr_decay_iters": 5000, "min_lr": 6e-4 / 10, "n_layer": 6,
                      "n_head": 6, "wandb_run_name": "run-32-2500", "init_from": "gpt2-xl"}
    truth = real_run(tmp_path, TEXT)
    assert {key: truth[key] for key in values} == values


def test_a_whole_number_for_a_float_global_is_that_float() -> None:
    # configurator.py's --dropout=0 would fail its type assert: the task records and passes 0.0
    values = read("dropout = 0\nlearning_rate = 1\n")
    assert values == {"dropout": 0.0, "learning_rate": 1.0}
    assert all(type(value) is float for value in values.values())


@pytest.mark.parametrize(("text", "problem"), [
    ("from math import pi\n", "config/x.py:1: `from math import pi` is not a `name = value` line"),
    ("batch_size += 1\n", "config/x.py:1: `batch_size += 1` is not a `name = value` line"),
    ("a, b = 1, 2\n", "config/x.py:1: `a, b = 1, 2` is not a `name = value` line"),
    ("dtype2 = dtype\n", "config/x.py:1: dtype2 is not a parameter of train.py (did you mean 'dtype'?)"),
    ("wandb_run_name = dtype\n", "config/x.py:1: the value of wandb_run_name (`dtype`) cannot be known"),
    ("compile = 1\n", "config/x.py:1: 'compile' expects true or false, got 1"),
    ("min_lr = float('nan')\n", "config/x.py:1: 'min_lr': nan cannot be passed"),
])
def test_what_is_not_a_plain_assignment_of_a_parameter_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ParamsError) as caught:
        read(text)
    message = str(caught.value)
    assert message.startswith(problem) and "\n" not in message, message
