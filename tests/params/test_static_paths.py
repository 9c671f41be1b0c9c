"""Paths as the static evaluator computes them agree with pathlib/os.path on the same input."""

from __future__ import annotations

import os
import posixpath
from pathlib import PurePosixPath

import pytest

from pyruns_tui.params.argparse_ast import extract_params

PATHS = ["a", "a/b", "a/b/", "./a//b", "/", "/x", "/x/y.tar.gz", ".", "..", "../up/x.py", "a/./b/../c"]


def value_of(expr: str, run_dir: str | None = "/work/proj", script: str = "/work/proj/tools/train.py") -> object:
    source = ("import argparse, os\nfrom pathlib import Path\nimport pathlib\n"
              f"p = argparse.ArgumentParser()\np.add_argument('--x', default={expr})\np.parse_args()\n")
    sp = extract_params(source, "t.py", script_path=script, run_dir=run_dir)
    spec = sp.specs_for("x")[0]
    return spec.default if spec.default_resolved else "UNRESOLVED"


@pytest.mark.parametrize("text", PATHS)
def test_path_operations_agree_with_pathlib(text: str) -> None:
    real = PurePosixPath(text)
    assert value_of(f"str(Path({text!r}))") == str(real)
    assert value_of(f"Path({text!r}) / 'k.yaml'") == str(real / "k.yaml")
    assert value_of(f"'base' / Path({text!r})") == str("base" / real)
    assert value_of(f"[str(q) for q in Path({text!r}).parents]") == [str(q) for q in real.parents]
    for attr in ("name", "stem", "suffix"):
        assert value_of(f"Path({text!r}).{attr}") == getattr(real, attr), attr
    assert value_of(f"str(Path({text!r}).parent)") == str(real.parent)
    assert value_of(f"list(Path({text!r}).parts)") == list(real.parts)


def test_working_directory_functions_use_the_tasks_directory() -> None:
    assert value_of("os.getcwd()") == "/work/proj"
    assert value_of("str(Path.cwd() / 'runs')") == "/work/proj/runs"
    assert value_of("os.path.abspath('data')") == "/work/proj/data"
    assert value_of("os.path.relpath('/work/data', Path.cwd())") == posixpath.relpath("/work/data", "/work/proj")
    assert value_of("str(Path(__file__).resolve().parents[1])") == "/work/proj"
    assert value_of("os.path.join(os.path.dirname(__file__), 'cfg')") == "/work/proj/tools/cfg"
    assert value_of("pathlib.Path(__file__).with_suffix('.yaml').name") == "train.yaml"


def test_what_needs_the_running_program_stays_unresolved() -> None:
    assert value_of("os.getcwd()", run_dir=None) == "UNRESOLVED"
    assert value_of("str(Path('x').resolve())", run_dir=None) == "UNRESOLVED"
    assert value_of("str(Path.home())") == "UNRESOLVED"
    assert value_of("os.path.expanduser('~/data')") == "UNRESOLVED"
    assert value_of("str(Path('~/x').expanduser())") == "UNRESOLVED"
    assert value_of("Path('x').exists()") == "UNRESOLVED"
    assert value_of("hash('text')") == "UNRESOLVED"  # differs per process (PYTHONHASHSEED)
    assert value_of("hash(os.getuid())") == hash(os.getuid())
