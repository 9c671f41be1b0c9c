"""Every warning `pyr-tui init` prints about a place in the script's code starts with `FILE:LINE:`,
the file named from the project (or, for an imported module, that module's own file and line), so
that a default it cannot compute can be found in a script of 1,000 lines. Real `init` processes on
small projects in tmp dirs; each warning line is asserted whole."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.cli.helpers import pyr


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".git").mkdir()
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(textwrap.dedent(text).lstrip("\n"))
    return project


def _warnings(project: Path, script: str = "train.py") -> list[str]:
    made = pyr(project, "init", script)
    assert made.code == 0, made.err
    return made.err.splitlines()


def test_an_argparse_default_from_a_call_is_said_at_its_line(tmp_path: Path) -> None:
    # `could not resolve the default of --workers: os.cpu_count()` named no file or line
    project = _project(tmp_path, {"train.py": """
        import argparse
        import os

        p = argparse.ArgumentParser()
        p.add_argument("--lr", type=float, default=0.1)
        p.add_argument("--workers", type=int,
                       default=os.cpu_count())
        p.set_defaults(seed=hash("x"))
        p.parse_args()
    """})
    assert _warnings(project) == [
        "pyr-tui: warning: train.py:7: could not resolve the default of --workers: os.cpu_count()",
        "pyr-tui: warning: train.py:8: could not resolve the default of seed: hash(\"x\")"]


def test_a_default_from_an_imported_modules_unknown_constant_is_said_at_that_modules_line(tmp_path: Path) -> None:
    # the default is `WORKERS`: what cannot be known is in consts.py, where the user must look
    project = _project(tmp_path, {
        "consts.py": """
            import os

            LR = 0.1
            WORKERS = os.cpu_count()
            BATCH = len(os.listdir("."))
        """,
        "conf/__init__.py": "",
        "conf/paths.py": """
            import os
            CACHE = os.path.expanduser("~") + os.sep + str(os.getpid())
        """,
        "train.py": """
            import argparse

            import consts
            from consts import LR, WORKERS
            from conf.paths import CACHE

            p = argparse.ArgumentParser()
            p.add_argument("--lr", type=float, default=LR)
            p.add_argument("--workers", type=int, default=WORKERS)
            p.add_argument("--batch", type=int, default=consts.BATCH)
            p.add_argument("--cache", default=CACHE)
            p.parse_args()
        """})
    assert _warnings(project) == [
        "pyr-tui: warning: consts.py:4: could not resolve the default of --workers: WORKERS",
        "pyr-tui: warning: consts.py:5: could not resolve the default of --batch: consts.BATCH",
        "pyr-tui: warning: conf/paths.py:2: could not resolve the default of --cache: CACHE"]


def test_a_parser_built_in_an_imported_module_has_its_defaults_said_at_that_modules_lines(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "opts.py": """
            import argparse
            import os


            def get_parser():
                p = argparse.ArgumentParser()
                p.add_argument("--workers", type=int, default=os.cpu_count())
                return p
        """,
        "train.py": """
            from opts import get_parser

            args = get_parser().parse_args()
        """})
    assert _warnings(project) == [
        "pyr-tui: warning: opts.py:5: parser built by opts.get_parser (read from there)",
        "pyr-tui: warning: opts.py:7: could not resolve the default of --workers: os.cpu_count()"]


def test_a_dataclass_fields_default_is_said_at_the_fields_line_in_its_own_file(tmp_path: Path) -> None:
    # HfArgumentParser's fields: `x: int = field(default=compute())` named no file or line; a base
    # dataclass in another module was said at the subclass's file with the base's line number
    project = _project(tmp_path, {
        "base_args.py": """
            import os
            from dataclasses import dataclass, field


            @dataclass
            class BaseArgs:
                seed: int = 1
                workers: int = field(default=os.cpu_count(), metadata={"help": "loader workers"})
        """,
        "train.py": """
            import os
            from dataclasses import dataclass, field

            from transformers import HfArgumentParser

            from base_args import BaseArgs


            @dataclass
            class Args(BaseArgs):
                lr: float = 0.1
                rank: int = field(default=int(os.environ["RANK"]))
                cache: str = field(default_factory=lambda: os.path.expanduser("~"), metadata={"choices": os.sep})


            (args,) = HfArgumentParser(Args).parse_args_into_dataclasses()
        """})
    assert _warnings(project) == [
        "pyr-tui: warning: train.py:13: choices of 'cache' cannot be read statically",
        "pyr-tui: warning: base_args.py:8: could not resolve the default of --workers: os.cpu_count()",
        "pyr-tui: warning: train.py:12: could not resolve the default of --rank: int(os.environ[\"RANK\"])",
        "pyr-tui: warning: train.py:13: could not resolve the default of --cache: lambda: os.path.expanduser(\"~\")"]


def test_an_imported_module_that_is_not_python_is_said_at_its_own_line(tmp_path: Path) -> None:
    # was `train.py:0: /abs/path/broken.py: cannot parse; ...`: a line 0 of the script, no line of the module
    project = _project(tmp_path, {
        "broken.py": """
            LR = 0.1
            def f(:
        """,
        "train.py": """
            import argparse

            from broken import LR

            p = argparse.ArgumentParser()
            p.add_argument("--lr", type=float, default=LR)
            p.parse_args()
        """})
    assert _warnings(project) == [
        "pyr-tui: warning: broken.py:2: syntax error: invalid syntax; names imported from it are unknown (fix the module)",
        "pyr-tui: warning: train.py:6: could not resolve the default of --lr: LR"]


def test_a_default_that_branches_decide_is_said_at_the_if_that_decides_it(tmp_path: Path) -> None:
    # as TrainingArguments' `default_optim`, set again under `if is_torch_available():`: it was said at
    # the argument's line (9), not at the outer `if` where the script decides it
    project = _project(tmp_path, {"train.py": """
        import argparse
        import sys

        mode = "fast"
        if len(sys.argv) > 3:
            if sys.argv[1] == "x":
                mode = "slow"
        p = argparse.ArgumentParser()
        p.add_argument("--mode", default=mode)
        p.parse_args()
    """})
    assert _warnings(project) == [
        "pyr-tui: warning: train.py:5: could not resolve the default of --mode: mode is 'fast' or 'slow', "
        "decided when the script runs"]  # (said with its values, as a dataclass field's is)


def test_a_parser_not_found_and_a_load_script_s_parser_are_said_at_a_line(tmp_path: Path) -> None:
    # both were `train.py: ...`, the only warnings about the script's code without a line
    project = _project(tmp_path, {
        "train.py": """
            import argparse

            from missing_opts import get_parser

            args = get_parser().parse_args()
        """,
        "load.py": """
            import argparse

            import pyruns_tui as pr

            parser = argparse.ArgumentParser()
            parser.add_argument("--config")
            cfg = pr.load()
        """})
    assert _warnings(project)[0] == (
        "pyr-tui: warning: train.py:5: argparse is used but no parser was found: it comes from `get_parser()` "
        "(missing_opts), which cannot be read: missing_opts is not installed where pyr-tui looks (this Python, "
        "VIRTUAL_ENV, CONDA_PREFIX); install missing_opts there or activate its environment, and run `pyr-tui init` "
        "again")
    assert _warnings(project, "load.py") == [
        "pyr-tui: warning: load.py:7: the script calls pyruns_tui.load(); its argparse arguments are not used for "
        "parameters"]
