"""`init`, `gen` and `show` on the scripts whose parsers read more than plain flags: nanoGPT's
configurator (`--key=value` globals, literal_eval), HfArgumentParser's TrainingArguments, and numbers
written with underscores (`1_000`), which int(), float() and literal_eval read. Real subprocesses on
copies of the fixture projects (tests/params/projects); the truth is the script's own parser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pyruns_tui.params.argv import build_argv
from pyruns_tui.workspace.bootstrap import init_workspace, params_of
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.cli.helpers import SMALL_SCRIPT, pyr, spec_file
from tests.params.real_parser import real_namespaces
from tests.runner.harness import Project, finish_project, shell_project

PROJECTS = Path(__file__).resolve().parent.parent / "params" / "projects"
NANOGPT = PROJECTS / "nanogpt_project"
HF = PROJECTS / "hf_project"


def _config(project: Path, workspace: str, task: str) -> dict:
    return yaml.safe_load((project / "_pyruns_" / workspace / "tasks" / task / "config.yaml").read_text())


def _generated(project: Path, spec: str, prefix: str, count: int = 1) -> list[dict]:
    """The configs of the tasks `gen` makes from the spec text `spec` (named `prefix`, `count` of
    them) in a workspace `init` makes for the project's train.py."""
    assert pyr(project, "init", "train.py").code == 0
    (project / "s.yaml").write_text(spec)
    made = pyr(project, "gen", "s.yaml", "-n", prefix)
    assert made.code == 0, made.err
    names = [prefix] if count == 1 else [f"{prefix}_{i}-of-{count}" for i in range(1, count + 1)]
    return [_config(project, "train", name) for name in names]


def _nanogpt(tmp_path: Path) -> Path:
    project = tmp_path / "nanogpt"
    project.mkdir()
    (project / ".git").mkdir()
    for name in ("train.py", "configurator.py"):
        shutil.copy(NANOGPT / name, project / name)
    return project


def test_a_configurator_script_is_one_kind_for_init_and_show_and_its_warning_has_its_line(tmp_path: Path) -> None:
    # `init` said (configurator, ...) and `show` said `kind: argparse` of its task; the warning about
    # --dtype had no file:line, unlike every other warning
    project = _nanogpt(tmp_path)
    made = pyr(project, "init", "train.py")
    assert made.code == 0, made.err
    assert "(configurator, 33 parameters)" in made.out
    (warning,) = made.err.splitlines()
    assert warning == ("pyr-tui: warning: train.py:56: could not resolve the default of --dtype: 'bfloat16' if "
                       "torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16'")
    (project / "s.yaml").write_text("batch_size: 16\n")
    assert pyr(project, "gen", "s.yaml", "-n", "k").code == 0
    shown = pyr(project, "show", "k")
    assert shown.code == 0, shown.err
    assert "kind:    configurator " in shown.out


def test_a_number_with_underscores_reaches_a_configurator_script_as_that_number(tmp_path: Path) -> None:
    # `batch_size: 1_000` was refused as "not an integer"; configurator.py's literal_eval reads 1000 from it
    # (and 0x10, which int() refuses, is a literal too)
    project = _nanogpt(tmp_path)
    assert pyr(project, "init", "train.py").code == 0
    (project / "s.yaml").write_text("batch_size: 1_000\nmax_iters: '0x10'\nlearning_rate: 1_000.5\nmin_lr: 1_000\n")
    made = pyr(project, "gen", "s.yaml", "-n", "u")
    assert made.code == 0, made.err
    config = _config(project, "train", "u")
    assert (config["batch_size"], config["max_iters"], config["learning_rate"], config["min_lr"]) == (1000, 16, 1000.5, 1000.0)
    argv = build_argv(config, params_of(Layout(root=project / "_pyruns_", name="train")))
    env = {**os.environ, "PYTHONPATH": str(NANOGPT / "stubs")}
    run = subprocess.run([sys.executable, "train.py", *argv], cwd=project, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.splitlines()[-1])
    assert (got["batch_size"], got["max_iters"], got["learning_rate"], got["min_lr"]) == (1000, 16, 1000.5, 1000.0)
    # a whole number for a float global goes with its point, as `min_lr: 1000` does: the text itself,
    # `--min_lr=1_000`, is an int to literal_eval, and configurator.py's type check stops the script on it
    assert "--min_lr=1000.0" in argv and "--batch_size=1000" in argv
    raw = subprocess.run([sys.executable, "train.py", "--min_lr=1_000"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=60)
    assert raw.returncode == 1 and raw.stderr.endswith("line 67, in <module>\nAssertionError\n"), raw.stderr
    assert (NANOGPT / "configurator.py").read_text().splitlines()[66].strip() == \
        "assert type(attempt) == type(globals()[key])"
    (project / "bad.yaml").write_text("max_iters: '1e3'\n")  # a float to literal_eval: configurator.py stops on it
    refused = pyr(project, "gen", "bad.yaml")
    assert refused.code == 1 and refused.err.count("\n") == 1
    assert "max_iters: '1e3' is not an integer" in refused.err


def test_a_number_with_underscores_fits_type_int_and_float_and_0x10_does_not(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SMALL_SCRIPT)
    configs = _generated(tmp_path, "seed: 1_000 | 2_000\nlr: 1_000.5\n", "u", 2)
    assert [(c["seed"], c["lr"]) for c in configs] == [(1000, 1000.5), (2000, 1000.5)]  # what the script gets
    real = subprocess.run([sys.executable, "train.py", "--seed", "1_000", "--lr", "1_000.5"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert real.stdout.strip() == str({"lr": 1000.5, "seed": 1000, "opt": "adam"})
    (tmp_path / "hex.yaml").write_text("seed: '0x10'\n")  # int('0x10') raises: argparse stops the script
    refused = pyr(tmp_path, "gen", "hex.yaml")
    assert refused.code == 1 and refused.err.count("\n") == 1
    assert "seed: '0x10' is not an integer" in refused.err
    assert subprocess.run([sys.executable, "train.py", "--seed", "0x10"], cwd=tmp_path, capture_output=True,
                          timeout=60).returncode == 2


def _hf(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "hf"
    project.mkdir()
    (project / ".git").mkdir()
    shutil.copy(HF / "run_clm.py", project / "run_clm.py")
    site = str(HF / "site-packages")
    return project, {"PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), site]))}


def test_trainingarguments_optim_default_is_said_with_its_values_once(tmp_path: Path) -> None:
    # `unresolved default: default_optim`: a name the user cannot look up
    project, env = _hf(tmp_path)
    made = pyr(project, "init", "run_clm.py", env=env)
    assert made.code == 0, made.err
    said = "default_optim is 'adamw_torch' or 'adamw_torch_fused', decided when the script runs"
    # at the `if` that decides it (the outer one of two: it was the field's line, 33), the installed
    # package's file named from the package
    assert made.err == f"pyr-tui: warning: transformers/training_args.py:28: could not resolve the default of --optim: {said}\n"
    text = (project / "_pyruns_" / "run_clm" / "config_default.yaml").read_text()
    (line,) = [line for line in text.splitlines() if line.startswith("optim:")]
    assert line.endswith(f"# The optimizer to use; unresolved default: {said}")


BRANCHED_DEFAULTS = """\
import argparse
import os

default_optim = "adamw_torch"
if os.cpu_count() > 4096:
    default_optim = "adamw_torch_fused"
mode = "fast"
if os.cpu_count() > 4096:
    mode = "slow"

parser = argparse.ArgumentParser()
parser.add_argument("--optim", default=default_optim)
parser.add_argument("--mode")
parser.set_defaults(mode=mode)
parser.add_argument("--lr", type=float, default=0.1)
print(vars(parser.parse_args()))
"""


def test_an_argparse_default_only_the_running_script_decides_is_said_as_a_dataclass_fields_is(tmp_path: Path) -> None:
    # `unresolved default: default_optim` for argparse, while the same default of an HfArgumentParser
    # field said its values: one rule (the walker's `default_text`) for both now
    (tmp_path / "train.py").write_text(BRANCHED_DEFAULTS)
    made = pyr(tmp_path, "init", "train.py")
    assert made.code == 0, made.err
    optim = "default_optim is 'adamw_torch' or 'adamw_torch_fused', decided when the script runs"
    mode = "mode is 'fast' or 'slow', decided when the script runs"
    assert made.err.splitlines() == [
        f"pyr-tui: warning: train.py:5: could not resolve the default of --optim: {optim}",
        f"pyr-tui: warning: train.py:8: could not resolve the default of --mode: {mode}"]
    text = (tmp_path / "_pyruns_" / "train" / "config_default.yaml").read_text()
    lines = {line.split(":")[0]: line for line in text.splitlines()}
    assert lines["optim"].endswith(f"# unresolved default: {optim}")
    assert lines["mode"].endswith(f"# unresolved default: {mode}")
    # left at its default, the launch passes no --optim at all (never the name as a value): the script decides
    (tmp_path / "s.yaml").write_text("lr: 0.5\n")
    assert pyr(tmp_path, "gen", "s.yaml", "-n", "d").code == 0
    config = _config(tmp_path, "train", "d")
    assert (config["optim"], config["mode"]) == (None, None)
    argv = build_argv(config, params_of(Layout(root=tmp_path / "_pyruns_", name="train")))
    assert argv == ["--lr", "0.5"]
    run = subprocess.run([sys.executable, "train.py", *argv], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == str({"optim": "adamw_torch", "mode": "fast", "lr": 0.5})


def test_trainingarguments_debug_takes_debugoption_values_only(tmp_path: Path) -> None:
    # `debug: str | list[DebugOption]`: any text was taken, and every run stopped on DebugOption('foo')
    project, env = _hf(tmp_path)
    assert pyr(project, "init", "run_clm.py", env=env).code == 0
    (project / "ok.yaml").write_text("debug: '[underflow_overflow, tpu_metrics_debug] | underflow_overflow'\n")
    made = pyr(project, "gen", "ok.yaml", "-n", "d", env=env)
    assert made.code == 0, made.err
    assert _config(project, "run_clm", "d_1-of-2")["debug"] == ["underflow_overflow", "tpu_metrics_debug"]
    assert _config(project, "run_clm", "d_2-of-2")["debug"] == ["underflow_overflow"]
    for value in ("foo", "'underflow_overflow tpu_metrics_debug'", "[underflow_overflow, foo]"):
        (project / "bad.yaml").write_text(f"debug: {value}\n")
        refused = pyr(project, "gen", "bad.yaml", env=env)
        assert refused.code == 1 and refused.err.count("\n") == 1, (value, refused.err)
        assert "is not one of the choices (underflow_overflow, tpu_metrics_debug)" in refused.err, refused.err
    truth = real_namespaces(project / "run_clm.py", [["--debug", "foo"], ["--debug", "underflow_overflow tpu_metrics_debug"],
                                                     ["--debug", "underflow_overflow", "tpu_metrics_debug"]],
                            env={**os.environ, **env})
    assert [result.get("exit") for result in truth] == ["2", "2", None]  # (argparse stops on DebugOption(text))


FLOATS = """\
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--dropout", type=float, default=0.5)
parser.add_argument("--scale", type=float, default=1.0)
parser.add_argument("--wd", type=float, default=1)
parser.add_argument("--betas", type=float, nargs=2, default=[0.9, 0.999])
parser.add_argument("--seed", type=int, default=0)
print(vars(parser.parse_args()))
"""


def test_a_whole_number_for_a_float_parameter_is_recorded_as_the_float_the_script_gets(tmp_path: Path) -> None:
    # `dropout: 1` stayed the int 1 in config.yaml while `dropout: 1_000` was recorded as 1000.0: the script
    # gets float('1') = 1.0 either way; a value left off the command line is the script's default as it is
    (tmp_path / "train.py").write_text(FLOATS)
    configs = _generated(tmp_path, "dropout: 1 | 1_000\nscale: 1\nwd: 1\nbetas: [1, 0]\nseed: 3\n", "f", 2)
    assert configs[0] == {"dropout": 1.0, "scale": 1.0, "wd": 1, "betas": [1.0, 0.0], "seed": 3}
    assert configs[1]["dropout"] == 1000.0
    assert [type(configs[0][key]) for key in ("dropout", "scale", "wd", "seed")] == [float, float, int, int]
    sp = params_of(Layout(root=tmp_path / "_pyruns_", name="train"))
    for config in configs:  # the truth: what the script's own argparse gives, types included
        run = subprocess.run([sys.executable, "train.py", *build_argv(config, sp)], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60)
        assert run.stdout.strip() == str(config), run.stderr


def test_a_whole_number_for_a_float_global_is_recorded_as_the_float_configurator_passes(tmp_path: Path) -> None:
    project = _nanogpt(tmp_path)
    (config,) = _generated(project, "dropout: 1\n", "g")
    assert type(config["dropout"]) is float and config["dropout"] == 1.0
    assert "--dropout=1.0" in build_argv(config, params_of(Layout(root=project / "_pyruns_", name="train")))


HUGE = "1" + "0" * 399  # 400 digits: no float holds it (float() of its text is inf)


def test_an_int_too_large_for_a_float_parameter_is_refused_in_one_short_line(tmp_path: Path) -> None:
    # a `type=float` parameter took it (the script got inf); a float global's refusal echoed all 400 digits
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".git").mkdir()
    (plain / "train.py").write_text(FLOATS)
    assert pyr(plain, "init", "train.py").code == 0
    project = _nanogpt(tmp_path)
    assert pyr(project, "init", "train.py").code == 0
    (project / "config.py").write_text(f"learning_rate = {HUGE}\n")
    said = "1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a smaller number)"
    for where, spec, key in ((plain, "s.yaml", "dropout"), (project, "s.yaml", "learning_rate"),
                             (project, "config.py", "learning_rate")):
        if spec == "s.yaml":
            (where / spec).write_text(f"{key}: {HUGE} | 0.1\n")
        refused = pyr(where, "gen", spec)
        assert refused.code == 1 and refused.err.count("\n") == 1, refused.err
        assert len(refused.err) < 200 and said in refused.err and key in refused.err, refused.err
        assert not list((where / "_pyruns_" / "train" / "tasks").glob("*")), spec


def test_a_quoted_number_too_large_for_a_float_is_refused_as_the_unquoted_one(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch,
                                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # `dropout: "1000…0"` (400 digits, in quotes) was passed and the script got inf; a float global's refusal
    # was "not a number", echoing every digit; `inf` in quotes, which a user may mean, still passes
    shell = shell_project(tmp_path / "plain", monkeypatch)
    (shell.dir / "train.py").write_text(FLOATS)
    train = Project(shell.dir, init_workspace(shell.dir, shell.dir / "train.py"), TaskStore(shell.layout))
    project = _nanogpt(tmp_path)
    assert pyr(project, "init", "train.py").code == 0
    said = "1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a smaller number)"
    try:
        for where, spec, key in ((shell.dir, f'dropout: "{HUGE}"\n', "dropout"),
                                 (shell.dir, f'betas: ["{HUGE}", 0.1]\n', "betas"),
                                 (shell.dir, """dropout: '"1e400" | 0.1'\nseed: 1 | 2\n""", "dropout"),
                                 (project, f"""learning_rate: '"{HUGE}" | 0.1'\n""", "learning_rate")):
            (where / "s.yaml").write_text(spec)
            refused = pyr(where, "-w", "train", "gen", "s.yaml")
            assert refused.code == 1 and refused.err.count("\n") == 1 and len(refused.err) < 200, refused.err
            assert f"{key}: " in refused.err and ("1e400 is too large" in refused.err or said in refused.err)
            assert not list((where / "_pyruns_" / "train" / "tasks").glob("*")), spec
        assert shell.cli("-w", "train", "gen", str(spec_file(shell.dir, 'dropout: "inf"\nscale: "-Infinity"\n')), "-n",
                         "edited") == 0
        assert _config(shell.dir, "train", "edited")["scale"] == float("-inf")
        config = shell.dir / "_pyruns_" / "train" / "tasks" / "edited" / "config.yaml"
        config.write_text(config.read_text().replace("dropout: .inf", f'dropout: "{HUGE}"'))
        capsys.readouterr()
        assert shell.cli("-w", "train", "run", "edited", "--wait") == 1  # the launch's own check: the same words
        assert f"edited: failed (config key 'dropout': {said} (fix config.yaml))" in capsys.readouterr().out
    finally:
        finish_project(train)
