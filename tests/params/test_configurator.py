"""nanoGPT-style scripts: module-level globals overridden by `exec(open('configurator.py').read())`
are read statically as parameters, and their command lines are `--key=value` items. The truth is the
script itself (projects/nanogpt_project: the top of nanoGPT's train.py and its configurator.py,
verbatim) run in a subprocess on the argv built here, printing the config it ends up with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.argv import LaunchCheck, build_argv
from pyruns_tui.params.form_model import field_for
from pyruns_tui.workspace.bootstrap import init_workspace, params_of
from pyruns_tui.workspace.module_files import ModuleFiles
from tests.params.real_parser import strict_equal

PROJECT = Path(__file__).parent / "projects" / "nanogpt_project"
SCRIPT = PROJECT / "train.py"


def extract(script: Path = SCRIPT) -> ScriptParams:
    """As `init` reads the script."""
    return extract_params(script.read_text(), str(script), finder=ModuleFiles(script), script_path=str(script))


def real_config(argv: list[str]) -> dict[str, Any]:
    """The config train.py ends up with for `argv` (its configurator.py run as nanoGPT runs it: from the
    task's directory, the project)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "stubs")}
    proc = subprocess.run([sys.executable, str(SCRIPT), *argv], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_literal_globals_before_the_configurator_are_the_parameters() -> None:
    sp = extract()
    assert sp.kind == "argparse" and sp.argv_style == "configurator"
    truth = real_config([])
    assert sp.keys() == list(truth)  # config_keys, in their order
    defaults = sp.defaults()
    for key in sp.keys():
        if key != "dtype":
            assert strict_equal(defaults[key], truth[key]), (key, defaults[key], truth[key])
    dtype = sp.specs_for("dtype")[0]  # 'bfloat16' if torch.cuda.is_bf16_supported() else 'float16'
    assert not dtype.default_resolved and dtype.type_name == "str"
    assert sp.warnings == (f"{SCRIPT}:56: could not resolve the default of --dtype: {dtype.default_source}",)
    assert str(PROJECT / "configurator.py") in sp.files_read


def test_comments_are_help_and_headings_are_groups() -> None:
    sp = extract()
    lr = sp.specs_for("learning_rate")[0]
    assert lr.help == "max learning rate" and lr.group == "adamw optimizer"
    assert sp.specs_for("out_dir")[0].group == "I/O" and sp.specs_for("out_dir")[0].help is None
    assert sp.specs_for("backend")[0].group == "DDP settings"  # one global under it, with its own comment
    assert sp.specs_for("compile")[0].help == "use PyTorch 2.0 to compile the model to be faster"
    compile_ = sp.specs_for("compile")[0].to_dict()
    assert field_for(("compile",), True, compile_).kind == "switch"
    assert field_for(("batch_size",), 12, sp.specs_for("batch_size")[0].to_dict()).kind == "int"
    assert field_for(("dropout",), 0.0, sp.specs_for("dropout")[0].to_dict()).kind == "float"


CHANGES = [
    {"batch_size": 32, "compile": False, "learning_rate": 1e-05, "dropout": 1, "init_from": "gpt2-xl",
     "device": "cuda:0", "out_dir": "out-shakespeare-char", "eval_only": True, "dtype": "float32",
     "min_lr": -0.5, "weight_decay": 1e300, "max_iters": 10**30, "log_interval": -3},
    # texts literal_eval would read as something else, or fail on
    {"wandb_run_name": "1e-3", "init_from": "True", "out_dir": "None", "dataset": "[1, 2]",
     "wandb_project": "", "device": " padded ", "backend": "it's \"quoted\"", "dtype": "{[]: 1}"},
    {"wandb_run_name": "\n", "init_from": "-x", "out_dir": "δ dir/x y", "dataset": "'quoted'",
     "wandb_project": "a\\nb", "device": "1+2j", "backend": "set()", "dtype": "()"},
]


@pytest.mark.parametrize("changes", CHANGES, ids=["values", "literal-texts", "more-texts"])
def test_every_value_comes_back_from_the_configurator(changes: dict[str, Any]) -> None:
    sp = extract()
    config = {**sp.defaults(), **changes}
    argv = build_argv(config, sp)
    assert all(item.startswith("--") and "=" in item for item in argv)
    got = real_config(argv)
    for key, value in changes.items():
        want = float(value) if sp.specs_for(key)[0].default.__class__ is float else value
        assert strict_equal(got[key], want), (key, got[key], want)


def test_a_value_equal_to_the_default_is_not_passed() -> None:
    sp = extract()
    assert build_argv({**sp.defaults(), "dropout": 0, "batch_size": 12}, sp) == []
    assert build_argv({"batch_size": 13, "wandb_run_name": "1"}, sp) == ["--wandb_run_name='1'", "--batch_size=13"]


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("batch_size", 1.5, "expects int, got 1.5"),
    ("batch_size", True, "expects int, got True"),
    ("compile", "yes", "expects true or false, got 'yes'"),
    ("learning_rate", "fast", "expects float, got 'fast'"),
    ("learning_rate", float("inf"), "inf cannot be passed (configurator.py's literal_eval reads no nan or inf)"),
    # a number too large for a float, in quotes: "not a number" with all 400 digits, and `inf cannot be passed`
    ("learning_rate", "1" + "0" * 399,
     "1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a smaller number)"),
    ("learning_rate", "-1e400", "-1e400 is too large for a float (at most about 1.8e308: write a smaller number)"),
    ("device", "a=b", "'a=b' holds '=', which configurator.py cannot read back (it splits --key=value at every '=')"),
    ("n_layer", [1, 2], "takes a single int (configurator.py sets one global), got [1, 2]"),
])
def test_a_value_the_configurator_would_refuse_is_refused_at_gen_time(key: str, value: Any, problem: str) -> None:
    sp = extract()
    assert LaunchCheck(sp).problem(key, value) == problem
    with pytest.raises(ParamsError) as caught:
        build_argv({key: value}, sp)
    message = str(caught.value)
    assert message.startswith(f"config key {key!r}") and message.endswith("(fix config.yaml)") and "\n" not in message


def test_the_workspace_keeps_the_command_line_style(tmp_path: Path) -> None:
    project = tmp_path / "nanogpt"
    project.mkdir()
    (project / ".git").mkdir()
    for name in ("train.py", "configurator.py"):
        (project / name).write_text((PROJECT / name).read_text())
    layout = init_workspace(project, project / "train.py")
    sp = params_of(layout)
    assert build_argv({"batch_size": 32, "compile": False}, sp) == ["--batch_size=32", "--compile=False"]


def _script(tmp_path: Path, configurator: str | None, body: str = "") -> ScriptParams:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import os
        lr = 0.1  # the learning rate
        steps = int(os.environ.get("STEPS", 10))
        name = f"run-{steps}"
        tags = ["a"]  # a list: configurator.py's config_keys leave it out
    """) + body + textwrap.dedent("""
        exec(open('configurator.py').read())
        after = 1  # bound after the configurator: no parameter
    """))
    if configurator is not None:
        (tmp_path / "configurator.py").write_text(configurator)
    return extract(script)


def test_globals_are_read_as_the_script_binds_them(tmp_path: Path) -> None:
    sp = _script(tmp_path, (PROJECT / "configurator.py").read_text(), "_private = 1\nseed = 1\nseed += 1\n")
    assert sp.defaults() == {"lr": 0.1, "steps": 10, "name": "run-10", "seed": 2}
    assert sp.specs_for("steps")[0].env_vars == ("STEPS",)
    assert sp.specs_for("lr")[0].help == "the learning rate"


def test_a_configurator_not_found_or_not_an_overrider_is_one_warning(tmp_path: Path) -> None:
    missing = _script(tmp_path, None)
    assert missing.kind == "plain" and not missing.params
    (warning,) = missing.warnings
    assert warning.endswith("train.py:8: exec(open('configurator.py').read()) runs a file pyr-tui did not find next "
                            "to the script or in its project; the script's parameters are not read (put it there and "
                            "run `pyr-tui init` again)")
    other = _script(tmp_path, "import sys\nprint(sys.argv)\n")
    assert other.kind == "plain" and not other.params
    (warning,) = other.warnings
    assert "configurator.py (run by exec) is not a --key=value configurator like nanoGPT's" in warning
