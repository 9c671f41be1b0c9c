"""Mutually exclusive groups: recorded on each ParamSpec, and `exclusive_problem` says what the
script's REAL argparse refuses (run in a subprocess on the argv build_argv makes)."""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any

import pytest

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ParamSpec, ScriptParams, extract_params
from pyruns_tui.params.argv import build_argv
from pyruns_tui.params.exclusive_check import exclusive_problem
from tests.params.real_parser import SCRIPTS, real_namespaces

SCRIPT = "exclusive_groups.py"


def script_params() -> ScriptParams:
    return extract_params((SCRIPTS / SCRIPT).read_text(), SCRIPT)


def without_groups(sp: ScriptParams) -> ScriptParams:
    """The same parameters with no group recorded: the argv the launch passed before the check."""
    return dataclasses.replace(sp, params=tuple(
        dataclasses.replace(spec, exclusive=None, exclusive_required=False) for spec in sp.params))


def test_groups_are_recorded_on_each_spec_and_survive_script_info() -> None:
    sp = script_params()
    groups = {spec.flags[0]: (spec.exclusive, spec.exclusive_required) for spec in sp.params}
    precision, mode, start = groups["--fp16"][0], groups["--train"][0], groups["--resume"][0]
    assert len({precision, mode, start}) == 3 and None not in (precision, mode, start)
    assert groups["--bf16"] == groups["--no-tf32"] == (precision, False)
    assert groups["--evaluate"] == (mode, True)
    assert groups["--init-from"] == groups["--warm"] == groups["--cold"] == (start, False)
    assert groups["--lr"] == groups["--seed"] == (None, False)
    assert [s.group for s in sp.specs_for("resume")] == ["Weights"]  # the argument group's title is kept
    assert ScriptParams.from_dict(sp.to_dict()) == sp
    old = [{k: v for k, v in spec.to_dict().items() if not k.startswith("exclusive")} for spec in sp.params]
    assert all(spec.exclusive is None and not spec.exclusive_required  # a script_info.json of before
               for spec in (ParamSpec.from_dict(d) for d in old))


OK = None
# changes over the defaults -> the keys the problem names (OK: argparse accepts the command line)
CASES: list[tuple[dict[str, Any], Any]] = [
    ({"train": True}, OK),
    ({"train": True, "fp16": True}, OK),
    ({"train": True, "fp16": True, "bf16": True}, ("fp16: true", "bf16: true", "--fp16 and --bf16", "change one")),
    ({"train": True, "bf16": True, "tf32": False}, ("bf16: true", "tf32: false", "--bf16 and --no-tf32")),
    ({"train": True, "fp16": True, "bf16": True, "tf32": False},
     ("fp16: true, bf16: true and tf32: false cannot be set together", "keep one")),
    ({"train": True, "fp16": False, "bf16": True, "tf32": True}, OK),  # defaults are not passed
    ({"train": True, "evaluate": True}, ("train: true and evaluate: true",)),
    ({}, ("none of train, evaluate is set", "requires one of --train or --evaluate", "set one")),
    ({"evaluate": True, "resume": "last.pt"}, OK),
    ({"evaluate": True, "init_from": "imagenet", "resume": "last.pt"}, OK),  # the default is not passed
    ({"evaluate": True, "init_from": "scratch", "resume": "last.pt"},
     ('resume: "last.pt" and init_from: "scratch"', "--resume and --init-from")),
    ({"evaluate": True, "start": "warm"}, OK),
    ({"evaluate": True, "start": "cold", "resume": "a.pt"}, ("start: \"cold\"", "--cold")),
]


def test_the_check_agrees_with_real_argparse() -> None:
    sp = script_params()
    plain = without_groups(sp)
    configs = [{**sp.defaults(), **changes} for changes, _ in CASES]
    argvs = [build_argv(config, plain) for config in configs]
    results = real_namespaces(SCRIPT, argvs)
    for (changes, expected), config, argv, result in zip(CASES, configs, argvs, results):
        problem = exclusive_problem(config, sp, "train.py")
        if expected is OK:
            assert problem is None and "ok" in result, (changes, argv, problem, result)
            assert build_argv(config, sp) == argv
            continue
        assert problem is not None, (changes, argv)
        for part in expected:
            assert part in problem, (part, problem)
        assert result.get("exit") == "2", (changes, argv, result)
        assert "not allowed with argument" in result["stderr"] or "is required" in result["stderr"]
        with pytest.raises(ParamsError, match=r"^config\.yaml: .*mutually exclusive"):
            build_argv(config, sp)  # the launch of a config edited by hand names it too


def inline(source: str) -> ScriptParams:
    return extract_params(textwrap.dedent(source), "train.py")


def test_parent_and_subcommand_groups() -> None:
    sp = inline("""
        import argparse
        common = argparse.ArgumentParser(add_help=False)
        g = common.add_mutually_exclusive_group(required=True)
        g.add_argument("--cpu", action="store_true")
        g.add_argument("--gpu", type=int)
        parser = argparse.ArgumentParser(parents=[common])
        subs = parser.add_subparsers(dest="cmd")
        fit = subs.add_parser("fit")
        q = fit.add_mutually_exclusive_group()
        q.add_argument("--quiet", action="store_true")
        q.add_argument("--verbose", action="count", default=0)
        args = parser.parse_args()
    """)
    base = sp.defaults()
    assert exclusive_problem({**base, "gpu": 0}, sp) is None
    assert "none of cpu, gpu is set" in exclusive_problem(base, sp)
    assert "--cpu and --gpu" in exclusive_problem({**base, "cpu": True, "gpu": 1}, sp)
    assert "--quiet and --verbose" in exclusive_problem({**base, "cpu": True, "quiet": True, "verbose": 2}, sp)
    assert exclusive_problem({**base, "cpu": True, "quiet": True, "verbose": 0}, sp) is None


def test_a_group_with_an_unreadable_member_is_not_judged_for_none_set() -> None:
    sp = inline("""
        import argparse, os
        parser = argparse.ArgumentParser()
        g = parser.add_mutually_exclusive_group(required=True)
        g.add_argument("--a", action="store_true")
        g.add_argument(os.environ["FLAG"], action="store_true")
        args = parser.parse_args()
    """)
    assert sp.specs_for("a")[0].exclusive is not None
    assert exclusive_problem(sp.defaults(), sp) is None


def test_scripts_without_groups_and_config_scripts_have_no_problem() -> None:
    sp = extract_params((SCRIPTS / "train_basic.py").read_text(), "train_basic.py")
    assert all(spec.exclusive is None for spec in sp.params)
    assert exclusive_problem({**sp.defaults(), "resume": True, "evaluate": True}, sp) is None
    assert exclusive_problem({"a": 1}, ScriptParams(kind="pyruns_load")) is None
