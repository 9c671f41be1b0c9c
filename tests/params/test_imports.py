"""Extraction across files: parsers and helpers in the project's own modules or installed
packages, several parsers, defaults from the environment. The truth is each script's real
parser, run by the probe for an empty command line (in a subprocess, with its folder on sys.path)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.workspace.module_files import ModuleFiles, project_root_of
from tests.params.real_parser import real_namespaces, strict_equal

PROJECTS = Path(__file__).parent / "projects"


def extract(script: Path, run_dir: Path | None = None) -> ScriptParams:
    """As `init` reads it; `run_dir` is where its tasks run (`Path.cwd()` unknown without it)."""
    return extract_params(script.read_text(), str(script), finder=ModuleFiles(script),
                          script_path=str(script.resolve()), run_dir=None if run_dir is None else str(run_dir.resolve()))


def truth(script: Path, parses: int = 1, pythonpath: Path | None = None, stubs: Path | None = None,
          cwd: Path | None = None) -> dict[str, Any]:
    """The real parser's namespace; `stubs` is a folder of empty stand-ins for missing imports."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOCAL_RANK", "WORLD_SIZE", "DATA_DIR")}
    paths = [str(p) for p in (pythonpath, stubs) if p is not None]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    (result,) = real_namespaces(script.resolve(), [[]], parses=parses, env=env, cwd=cwd)
    assert "ok" in result, result
    return result["ok"]


def assert_matches_truth(sp: ScriptParams, real: dict[str, Any], unresolved: set[str] = frozenset()) -> None:
    assert sp.kind == "argparse"
    assert set(sp.keys()) == set(real)
    assert {k for k in sp.keys() if not sp.specs_for(k)[0].default_resolved} == set(unresolved)
    defaults = sp.defaults()
    for key in sp.keys():
        if key not in unresolved:
            assert strict_equal(defaults[key], real[key]), (key, defaults[key], real[key])


def test_a_config_pre_pass_and_the_main_parser_are_both_read() -> None:
    script = PROJECTS / "two_parsers" / "train.py"
    sp = extract(script)
    assert_matches_truth(sp, truth(script, parses=2))
    assert sp.keys()[0] == "config"  # argparse sees the pre-pass first
    assert len(sp.keys()) == 9


def test_a_parser_from_a_sibling_module_is_read_without_importing_it() -> None:
    script = PROJECTS / "sibling_parser" / "main_pretrain.py"
    sp = extract(script)
    assert_matches_truth(sp, truth(script))
    assert sp.defaults()["output_dir"] == "./out_400"  # a constant of the module, through `utils.X`
    assert sp.files_read == (str(PROJECTS / "sibling_parser" / "utils.py"),)
    assert any(w == f"{PROJECTS / 'sibling_parser' / 'utils.py'}:6: parser built by utils.get_args_parser (read from there)" for w in sp.warnings)


def test_a_package_of_the_project_is_followed_through_relative_and_star_imports() -> None:
    script = PROJECTS / "pkg_project" / "tools" / "train_net.py"
    assert project_root_of(script) == PROJECTS / "pkg_project"
    sp = extract(script)
    assert_matches_truth(sp, truth(script, pythonpath=PROJECTS / "pkg_project"))  # dist_url: a port from the uid
    assert any(": parser built by mypkg.engine.defaults.default_argument_parser (read from there)" in w for w in sp.warnings)


def test_a_module_named_setup_in_a_package_is_no_project_root(tmp_path: Path) -> None:
    # dinov2's dinov2/eval/linear.py takes the parser of its sibling module dinov2/eval/setup.py as
    # a parent (`from dinov2.eval.setup import get_args_parser`): that setup.py is a module of the
    # package, the project root is where pyproject.toml is, and the parent's arguments are read.
    eval_dir = tmp_path / "repo" / "pkg" / "eval"
    eval_dir.mkdir(parents=True)
    (tmp_path / "repo" / "pyproject.toml").write_text("")
    (tmp_path / "repo" / "pkg" / "__init__.py").write_text("")
    (eval_dir / "__init__.py").write_text("")
    (eval_dir / "setup.py").write_text(
        "import argparse\n\ndef get_args_parser(parents=None, add_help=True):\n"
        "    parser = argparse.ArgumentParser(parents=parents or [], add_help=add_help)\n"
        "    parser.add_argument('--config-file', type=str)\n"
        "    parser.add_argument('--opts', default=[], nargs='+')\n    return parser\n")
    script = eval_dir / "linear.py"
    script.write_text(
        "import argparse\nfrom pkg.eval.setup import get_args_parser as get_setup_args_parser\n\n"
        "def get_args_parser(parents=None):\n    parents = parents or []\n"
        "    setup_args_parser = get_setup_args_parser(parents=parents, add_help=False)\n"
        "    parser = argparse.ArgumentParser(parents=[setup_args_parser])\n"
        "    parser.add_argument('--epochs', type=int, default=10)\n    return parser\n\n"
        "if __name__ == '__main__':\n    args = get_args_parser().parse_args()\n")
    assert project_root_of(script) == tmp_path / "repo"
    sp = extract(script)
    assert_matches_truth(sp, truth(script, pythonpath=tmp_path / "repo"))
    assert sp.keys() == ["config_file", "opts", "epochs"]
    assert sp.warnings == (f"{eval_dir / 'setup.py'}:3: parser built by pkg.eval.setup.get_args_parser (read from there)",)


def test_an_installed_package_is_read_from_its_file_where_it_builds_the_parser(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    shutil.copytree(PROJECTS / "pkg_project" / "mypkg", site / "mypkg")
    (site / "mypkg" / "__init__.py").write_text("import torch  # an installed package's import is not followed\n")
    script = tmp_path / "work" / "train_net.py"
    script.parent.mkdir()
    shutil.copy(PROJECTS / "pkg_project" / "tools" / "train_net.py", script)
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "venv"))
    sp = extract(script)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "torch.py").write_text("")
    assert_matches_truth(sp, truth(script, pythonpath=site, stubs=stubs))
    assert str(site / "mypkg" / "engine" / "defaults.py") in sp.files_read
    assert not any("torch" in f for f in sp.files_read)


def test_helpers_in_other_files_add_arguments_and_dicts_of_defaults() -> None:
    script = PROJECTS / "helpers" / "train.py"
    sp = extract(script)
    assert_matches_truth(sp, truth(script))
    assert sp.defaults()["gpus"] == 8 and sp.defaults()["diffusion_steps"] == 1000
    assert sp.specs_for("depth")[0].group == "model"


def test_a_star_import_of_a_module_level_parser() -> None:
    script = PROJECTS / "star_options" / "train.py"
    sp = extract(script)
    assert_matches_truth(sp, truth(script))


def test_a_function_of_the_project_that_builds_and_parses() -> None:
    script = PROJECTS / "rl_project" / "ppo.py"
    sp = extract(script)
    assert_matches_truth(sp, truth(script))  # --exp-name: from the module's own `__file__`
    assert sp.defaults()["exp_name"] == "utils"


def test_defaults_from_the_environment_hold_the_fallback_and_say_so() -> None:
    script = PROJECTS / "env_defaults" / "train.py"
    sp = extract(script)
    assert_matches_truth(sp, truth(script))
    assert [s.env_vars for s in sp.params] == [("LOCAL_RANK",), ("WORLD_SIZE",), ("DATA_DIR",)]


def test_an_environment_read_is_a_warning_only_when_its_value_reaches_the_parser() -> None:
    # yolov5's train.py: LOCAL_RANK, RANK and WORLD_SIZE read at the top of the script for its
    # training loop were three warnings at every `init`, of nothing the parameters depend on
    script = PROJECTS / "env_reads" / "train.py"
    sp = extract(script)
    said = [w.removeprefix(str(script.parent) + "/") for w in sp.warnings]
    read = "is read while the parser is built; taken as unset"
    assert said == [f"train.py:14: the environment variable CACHE_DIR {read}",  # a default through a variable,
                    f"train.py:15: the environment variable SEED {read}",  # a dict,
                    f"train.py:23: the environment variable MASTER_PORT {read}",  # an attribute,
                    f"train.py:39: the environment variable WORKERS {read}",  # a parameter's default,
                    f"settings.py:4: the environment variable DATA_ROOT {read}",  # another module (LOG_LEVEL is not used),
                    f"train.py:53: the environment variable DEBUG_ARGS {read}",  # a test deciding an argument,
                    f"train.py:55: the environment variable EXTRA_FLAGS {read}"]  # names of arguments
    assert sp.defaults() == {"epochs": 100, "batch_size": 16, "local_rank": -1, "data": "/data",
                             "cache": "/tmp/cache", "seed": 0, "port": "29500", "workers": 8}


def test_extraction_never_imports_what_it_reads() -> None:
    script = PROJECTS / "side_effects" / "train.py"
    marker = Path(str(PROJECTS / "side_effects" / "model_zoo.py") + ".imported")
    marker.unlink(missing_ok=True)
    sp = extract(script)
    assert sp.keys() == ["arch"] and sp.defaults() == {"arch": "resnet50"}
    assert not marker.exists()


def test_without_a_finder_imports_are_not_followed_and_the_script_says_why() -> None:
    script = PROJECTS / "rl_project" / "ppo.py"
    sp = extract_params(script.read_text(), str(script))
    assert sp.kind == "plain"
    assert sp.warnings and "argparse is used but no parser was found" in sp.warnings[-1]


def test_import_cycles_and_missing_modules_end(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from b import f\nimport argparse\ndef g(p):\n    p.add_argument('--x', default=1)\n")
    (tmp_path / "b.py").write_text("from a import g\nfrom nowhere import h\ndef f(p):\n    g(p)\n    h(p)\n")
    script = tmp_path / "train.py"
    script.write_text("import argparse\nfrom b import f\np = argparse.ArgumentParser()\nf(p)\np.parse_args()\n")
    sp = extract(script)
    assert sp.kind == "argparse"
    assert any("a parser is passed to `h`" in w for w in sp.warnings)


_NOT_INSTALLED = ("is not installed where pyr-tui looks (this Python, VIRTUAL_ENV, CONDA_PREFIX); install "
                  "not_installed_d2 there or activate its environment, and run `pyr-tui init` again")


def test_a_parser_made_by_a_package_not_installed_is_said(tmp_path: Path) -> None:
    # detectron2's scripts without detectron2 where pyr-tui looks: `parser = default_argument_parser()`
    # then the script's own `parser.add_argument(...)` read those alone and said nothing of the
    # parser's own arguments (--config-file, --resume, --num-gpus... silently missing)
    script = tmp_path / "train_net.py"
    script.write_text("from not_installed_d2.engine import default_argument_parser\n\n"
                      "if __name__ == '__main__':\n    parser = default_argument_parser()\n"
                      "    parser.add_argument('--my-flag', type=int, default=3)\n    args = parser.parse_args()\n")
    sp = extract(script)
    assert sp.kind == "argparse" and sp.defaults() == {"my_flag": 3}
    assert sp.warnings == (f"{script}:4: the parser comes from `default_argument_parser()` (not_installed_d2.engine), "
                           f"which cannot be read: not_installed_d2 {_NOT_INSTALLED}; until then only the arguments "
                           "the script adds to it are read, the ones it is made with are missing",)
    # detr's d2/train_net.py: `default_argument_parser().parse_args()`, no parser of its own
    script.write_text("import not_installed_d2.engine as engine\n\nargs = engine.default_argument_parser().parse_args()\n")
    sp = extract(script)
    assert sp.kind == "plain"
    assert sp.warnings == (f"{script}:3: argparse is used but no parser was found: it comes from "
                           "`engine.default_argument_parser()` (not_installed_d2.engine), which cannot be read: "
                           f"not_installed_d2 {_NOT_INSTALLED}",)
    # stable-diffusion's main.py: `Trainer.add_argparse_args(parser)` of pytorch_lightning
    script.write_text("import argparse\nfrom not_installed_d2 import Trainer\n\np = argparse.ArgumentParser()\n"
                      "p.add_argument('--lr', type=float, default=0.1)\np = Trainer.add_argparse_args(p)\np.parse_args()\n")
    sp = extract(script)
    assert sp.defaults() == {"lr": 0.1}
    assert sp.warnings == (f"{script}:6: a parser is passed to `Trainer.add_argparse_args` (not_installed_d2), which "
                           f"cannot be read: not_installed_d2 {_NOT_INSTALLED}; until then the arguments it adds are "
                           "missing",)


def test_init_prints_each_warning_and_keeps_them_with_the_files_read(tmp_path: Path) -> None:
    import json

    from tests.cli.helpers import pyr

    shutil.copytree(PROJECTS / "pkg_project", tmp_path / "proj")
    result = pyr(tmp_path / "proj", "init", "tools/train_net.py")
    assert result.code == 0, result.err
    warnings = result.err.splitlines()
    assert all(line.startswith("pyr-tui: warning: ") for line in warnings)
    assert any("defaults.py:" in w and ": parser built by mypkg.engine.defaults.default_argument_parser (read from there)" in w
               for w in warnings)
    assert not any("could not resolve" in w for w in warnings)  # the port from the uid is known
    info = json.loads((tmp_path / "proj" / "_pyruns_" / "train_net" / "script_info.json").read_text())
    proj = f"{tmp_path / 'proj'}/"  # (printed from the project, kept whole)
    assert [w.removeprefix(proj) for w in info["warnings"]] == [w.removeprefix("pyr-tui: warning: ") for w in warnings]
    assert "pyr-tui: warning: mypkg/engine/defaults.py:8: parser built by mypkg.engine.defaults.default_argument_parser " \
           "(read from there)" in warnings
    assert str(tmp_path / "proj" / "mypkg" / "engine" / "defaults.py") in info["files_read"]


def test_defaults_built_from_the_scripts_location_and_the_working_directory() -> None:
    project = PROJECTS / "file_paths"
    script = project / "train.py"
    sp = extract(script, run_dir=project)
    # the home folder and a str's hash (random per process) are left to the running program
    assert_matches_truth(sp, truth(script, cwd=project), unresolved={"cache_dir", "run_tag"})
    defaults = sp.defaults()
    assert (defaults["weights"], defaults["project"], defaults["name"]) == ("yolov5s.pt", "runs/train", "train-train.yaml")
    assert defaults["shared_configs"] == str(project.resolve() / "configs" / "shared")  # the sibling's own `__file__`
    assert [k for k in sp.keys() if k in ("depth", "width", "dropout", "image_size")] == ["depth", "width", "dropout"]


@pytest.mark.parametrize("workdir", [".", "segment"])
def test_a_root_one_folder_up_is_relative_to_where_the_tasks_run(workdir: str) -> None:
    project = PROJECTS / "file_paths"
    script, cwd = project / "segment" / "train.py", project / workdir
    sp = extract(script, run_dir=cwd)
    assert_matches_truth(sp, truth(script, cwd=cwd))
    prefix = "" if workdir == "." else "../"
    assert sp.defaults()["weights"] == prefix + "yolov5s-seg.pt"
    without_run_dir = extract(script)
    assert not without_run_dir.specs_for("weights")[0].default_resolved  # never a guessed directory


def test_init_computes_paths_against_the_project_its_tasks_run_in(tmp_path: Path) -> None:
    from tests.cli.helpers import pyr

    shutil.copytree(PROJECTS / "file_paths", tmp_path / "proj")
    result = pyr(tmp_path / "proj", "init", "segment/train.py")
    assert result.code == 0, result.err
    text = (tmp_path / "proj" / "_pyruns_" / "train" / "config_default.yaml").read_text()
    assert "weights: yolov5s-seg.pt" in text and "hyp: data/hyps/hyp.scratch-low.yaml" in text
