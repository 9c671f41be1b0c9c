"""config -> argv, checked by running each script's REAL parser on the built argv."""

from __future__ import annotations

import runpy
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.argv import LaunchCheck, build_argv
from tests.params.real_parser import SCRIPTS, real_namespaces, strict_equal


def script_params(script: str, subcommand: str | None = None) -> ScriptParams:
    return extract_params((SCRIPTS / script).read_text(), script, subcommand=subcommand)


def inline(source: str) -> tuple[ScriptParams, Any]:
    """Static params of an inline script and its real `parser` object (built in-process)."""
    source = textwrap.dedent(source)
    namespace: dict[str, Any] = {"__name__": "inline"}
    exec(compile(source, "inline.py", "exec"), namespace)  # noqa: S102 - our own test code
    return extract_params(source, "inline.py"), namespace["parser"]


# script, sub-command, changed values: every value must come back exactly from real argparse
CHANGES = [
    ("train_basic.py", None, {
        "data_root": "/mnt/data", "batch_size": 128, "lr": -1e-05, "weight_decay": 0.0,
        "epochs": 3, "steps": 2 ** 40, "model": "vit_tiny", "run_name": "a b  'c' \"d\"",
        "seed": -7, "label_smoothing": 1e-300, "cache_dir": "/c", "resume": True,
        "evaluate": False, "notes": "", "tag": "--not-a-flag"}),
    ("groups_mutex.py", None, {
        "model_name": "llama", "max_len": 4096, "lr": 1e-4, "schedule": "cosine",
        "precision": "bf16", "amp": True, "log_every": 1}),
    ("groups_mutex.py", None, {"schedule": "constant", "amp": False, "precision": None}),
    ("groups_mutex.py", None, {"schedule": "linear", "precision": "fp16"}),
    ("set_defaults_script.py", None, {
        "gamma": 0.9, "tau": 0.01, "env": "Pong", "buffer": 5, "render": True,
        "algo": "dqn", "seeds": [1, 2, 3]}),
    ("subcommands.py", None, {"verbose": 2, "device": "cpu", "seed": 5, "lr": 0.5,
                              "epochs": 1, "out": "o"}),
    ("subcommands.py", "eval", {"checkpoint": "best.pt", "split": "val", "seed": 1,
                                "verbose": 0}),
    ("parents_parser.py", None, {"train_list": "l.txt", "img_size": 320, "model_depth": 1.0,
                                 "anchors": [4, -8], "head_width": 0.25, "batch": 2,
                                 "num_workers": 4}),
    ("boolean_optional.py", None, {"ema": False, "compile": True, "tiling": False,
                                   "steps": 10, "guidance": 1.5,
                                   "prompt": "ünïcode ✓ 'q' \"dq\" $HOME `x` \\n"}),
    ("boolean_optional.py", None, {"tiling": True, "ema": True}),
    ("collections_script.py", None, {
        "checkpoint": "ck.pt", "split": "test", "extra_files": ["a.txt", "b.txt"],
        "metrics": ["loss"], "crop": [128, 96], "scales": [-0.5, 1e-07, -2.5e-08],
        "resize": 300, "include": ["*.py", "-x"], "exclude": ["*.tmp", "*.bak"],
        "layers": [1, 2, 3], "pair": [["a", "b"], ["c", "d"]], "verbose": 3, "quiet": 2,
        "types": ["str", "int", "str"], "level": 3}),
    ("collections_script.py", None, {"checkpoint": "ck.pt", "extra_files": [], "scales": [],
                                     "resize": -1, "exclude": ["*.tmp"]}),
    ("dynamic_args.py", None, {"cls_weight": 2.0, "obj_weight": 0.0, "momentum": 0.5,
                               "nesterov": True, "aug_hflip": 0.5, "optimizer": "adam"}),
    ("class_based.py", None, {"lr": 1.0, "betas": [0.5, 0.99], "name": "x",
                              "latent_dim": 64, "g_layers": 2}),
]


@pytest.mark.parametrize("script,sub,changes", CHANGES,
                         ids=[f"{c[0]}:{i}" for i, c in enumerate(CHANGES)])
def test_real_argparse_reads_back_every_config_value(
        script: str, sub: str | None, changes: dict[str, Any]) -> None:
    sp = script_params(script, sub)
    config = {**sp.defaults(), **changes}
    argv = build_argv(config, sp)
    (result,) = real_namespaces(script, [argv])
    assert "ok" in result, (argv, result)
    namespace = result["ok"]
    for key, value in config.items():
        if key in changes or sp.specs_for(key)[0].default_resolved:
            assert strict_equal(namespace[key], value), (key, argv, namespace[key])
    if sub is not None or sp.subcommands:
        assert namespace["command"] == sp.subcommand


def test_subcommand_goes_between_main_and_sub_options() -> None:
    sp = script_params("subcommands.py")
    argv = build_argv({"verbose": 1, "lr": 0.5, "device": "cpu"}, sp)
    assert argv == ["--verbose", "train", "--device", "cpu", "--lr", "0.5"]
    sp = script_params("subcommands.py", "eval")
    assert build_argv({"checkpoint": "c.pt"}, sp) == ["eval", "c.pt"]


def test_shell_syntax_stays_one_literal_item(tmp_path: Path) -> None:
    sp = script_params("train_basic.py")
    evil = f"; touch {tmp_path}/pwned && echo $(id) `id` | cat > {tmp_path}/x"
    argv = build_argv({"run_name": evil, "notes": "'; rm -rf ~ #"}, sp)
    assert argv == ["--run-name", evil, "--notes", "'; rm -rf ~ #"]
    (result,) = real_namespaces("train_basic.py", [argv])
    assert result["ok"]["run_name"] == evil and result["ok"]["notes"] == "'; rm -rf ~ #"
    assert list(tmp_path.iterdir()) == []


def test_exact_argv_forms() -> None:
    sp = script_params("collections_script.py")
    config = {"checkpoint": "ck", "scales": [-2.5e-08, 3.0], "resize": 5, "include": ["a", "-b"],
              "verbose": 2, "exclude": ["*.tmp", "x"], "types": ["int"], "lr_missing": None}
    config.pop("lr_missing")
    assert build_argv(config, sp) == [
        "ck", "val", "--resize=5", "--include", "a", "--include=-b", "--exclude", "x", "--verbose",
        "--verbose", "--with-int", "--scales", "-0.000000025", "3.0"]
    sp = script_params("train_basic.py")
    assert build_argv({"lr": 1e-05, "seed": -3, "steps": 10 ** 30}, sp) == [
        "--lr", "1e-05", "--steps", str(10 ** 30), "--seed=-3"]


def test_bools_for_typed_params() -> None:
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--flag", type=bool, default=True)
        parser.add_argument("--name", default="x")
    """)
    for flag in (True, False):
        argv = build_argv({"flag": flag, "name": flag}, sp)
        assert vars(parser.parse_args(argv)) == {"flag": flag, "name": str(flag)}


def test_main_list_option_before_a_subcommand_is_ended_by_a_fixed_option() -> None:
    source = """
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--tags", nargs="+")
        parser.add_argument("--seed", type=int, default=0)
        subs = parser.add_subparsers(dest="cmd")
        fit = subs.add_parser("fit")
        fit.add_argument("--lr", type=float, default=0.1)
    """
    sp, parser = inline(source)
    argv = build_argv({"tags": ["a", "b"], "seed": 1, "lr": 0.2}, sp)
    assert vars(parser.parse_args(argv)) == {"tags": ["a", "b"], "seed": 1, "cmd": "fit",
                                             "lr": 0.2}
    # one item ends itself (`--tags=a`); two need an option after them, here none is set
    argv = build_argv({"tags": ["a"], "seed": None}, sp)
    assert argv == ["--tags=a", "fit"] and vars(parser.parse_args(argv))["tags"] == ["a"]
    with pytest.raises(ParamsError, match=r"config key 'tags' \(--tags, which is a list that ends only at the "
                                          r"next flag\) cannot be passed before the sub-command 'fit'"):
        build_argv({"tags": ["a", "b"], "seed": None}, sp)


def test_an_optional_value_equal_to_its_const_is_the_flag_alone() -> None:
    # yolov5's train.py: `--resume` (nargs='?', const=True, default=False) also takes a checkpoint's
    # path; `resume: true` was passed as `--resume=True`, which gave the script the text "True"
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--resume", nargs="?", const=True, default=False)
        parser.add_argument("--cache", type=str, nargs="?", const="ram")
        parser.add_argument("--evolve", type=int, nargs="?", const=300)
    """)
    argv = build_argv({"resume": True, "cache": "ram", "evolve": 300}, sp)
    assert argv == ["--resume", "--cache", "--evolve"]
    assert vars(parser.parse_args(argv)) == {"resume": True, "cache": "ram", "evolve": 300}
    argv = build_argv({"resume": "runs/exp/weights/last.pt", "cache": "disk", "evolve": 10}, sp)
    assert vars(parser.parse_args(argv)) == {"resume": "runs/exp/weights/last.pt", "cache": "disk", "evolve": 10}


def test_a_mapping_default_is_left_to_the_script() -> None:
    # timm's train.py: `--model-kwargs`, nargs='*' with a custom action, defaults to {}
    source = """
        import argparse
        class ParseKwargs(argparse.Action):
            def __call__(self, parser, namespace, values, option_string=None):
                setattr(namespace, self.dest, dict(v.split("=", 1) for v in values))
        parser = argparse.ArgumentParser()
        parser.add_argument("--model-kwargs", nargs="*", default={}, action=ParseKwargs)
        parser.add_argument("--lr", type=float, default=0.1)
    """
    sp, parser = inline(source)
    assert build_argv({"model_kwargs": {}, "lr": 0.2}, sp) == ["--lr", "0.2"]
    argv = build_argv({"model_kwargs": ["drop=0.1"], "lr": 0.1}, sp)
    assert vars(parser.parse_args(argv)) == {"model_kwargs": {"drop": "0.1"}, "lr": 0.1}
    with pytest.raises(ParamsError, match="holds a mapping"):
        build_argv({"model_kwargs": {"drop": "0.1"}}, sp)


@pytest.mark.parametrize("config,message", [
    ({"lrr": 0.1}, r"config key 'lrr' is not a parameter of the script \(did you mean lr\?\)"),
    ({"zzz": 1}, r"config key 'zzz' is not a parameter .*\(remove it or add the argument"),
    ({"lr": {"a": 1}}, r"config key 'lr' holds a mapping"),
    ({"resume": "yes"}, r"config key 'resume' is a flag: true or false"),
    ({"batch_size": 1.5}, r"config key 'batch_size' expects int, got 1.5"),
    ({"batch_size": True}, r"config key 'batch_size' expects int, got True"),
    ({"lr": "fast"}, r"config key 'lr' expects float, got 'fast'"),
    ({"model": "vgg"}, r"config key 'model': 'vgg' is not one of the choices \(resnet18, resnet34, vit_tiny\)"),
    ({"lr": [0.1]}, r"config key 'lr' takes single values here"),
    ({"run_name": "a\x00b"}, r"config key 'run_name' contains a NUL character"),
])
def test_bad_values_name_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        build_argv(config, script_params("train_basic.py"))


@pytest.mark.parametrize("script,config,message", [
    ("collections_script.py", {"split": "x"}, r"'checkpoint' is required by the script"),
    ("collections_script.py", {"checkpoint": "--"}, r"'checkpoint': '--' cannot be passed as a value"),
    ("collections_script.py", {"checkpoint": "c", "crop": [1]}, r"exactly 2 values, got 1"),
    ("collections_script.py", {"checkpoint": "c", "metrics": []}, r"at least one value"),
    ("collections_script.py", {"checkpoint": "c", "metrics": ["a", "-m"]},
     r"'metrics': list item '-m' starts with '-' and would be read as a flag \(only a list of one"),
    ("collections_script.py", {"checkpoint": "c", "exclude": ["*.bak"]},
     r"appends to the default \['\*.tmp'\]"),
    ("collections_script.py", {"checkpoint": "c", "verbose": -1}, r"a whole number >= 0"),
    ("collections_script.py", {"checkpoint": "c", "quiet": True}, r"a whole number >= 0"),
    ("collections_script.py", {"checkpoint": "c", "types": ["float"]}, r"no flag appends"),
    ("collections_script.py", {"checkpoint": "c", "level": 7}, r"7 is not one of the choices \(1, 2, 3\)"),
    ("set_defaults_script.py", {"render": False}, r"'render' is a flag: true or false"),
    ("set_defaults_script.py", {"algo": "ppo"}, r"set by set_defaults\(\) in the script"),
    # every flag of the dest is named (it said "it can only be 'cosine'", and --constant works too)
    ("groups_mutex.py", {"schedule": "step"}, r"it can only be 'cosine' \(--cosine\) or 'constant' \(--constant\) \(fix"),
    ("boolean_optional.py", {"ema": "no"}, r"'ema' is a flag: true or false, got 'no'"),
])
def test_values_a_flag_cannot_express_are_errors(script: str, config: dict[str, Any],
                                                  message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        build_argv(config, script_params(script))


def test_config_scripts_take_no_argv_and_plain_scripts_no_keys() -> None:
    assert build_argv({"lr": 0.1}, script_params("pyruns_load_script.py")) == []
    plain = script_params("plain_script.py")
    assert build_argv({}, plain) == []
    with pytest.raises(ParamsError, match="'lr' is not a parameter"):
        build_argv({"lr": 0.1}, plain)


def test_argv_items_are_a_fresh_list_of_str() -> None:
    argv = build_argv({"lr": 0.5}, script_params("train_basic.py"))
    assert argv == ["--lr", "0.5"] and all(type(item) is str for item in argv)


_TRAIN_BASIC = runpy.run_path(str(SCRIPTS / "train_basic.py"), run_name="train_basic")
_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@settings(max_examples=150, deadline=None)
@given(lr=st.floats(allow_nan=True, allow_infinity=True),
       batch=st.integers(min_value=-(10 ** 40), max_value=10 ** 40),
       run_name=_TEXT, notes=_TEXT, tag=st.none() | _TEXT, resume=st.booleans(),
       evaluate=st.booleans(), model=st.sampled_from(["resnet18", "resnet34", "vit_tiny"]))
def test_any_value_round_trips_through_the_real_parser(
        lr: float, batch: int, run_name: str, notes: str, tag: str | None, resume: bool,
        evaluate: bool, model: str) -> None:
    sp = _STATIC_TRAIN_BASIC
    config = {"lr": lr, "batch_size": batch, "run_name": run_name, "notes": notes, "tag": tag,
              "resume": resume, "evaluate": evaluate, "model": model}
    namespace = vars(_TRAIN_BASIC["build_parser"]().parse_args(build_argv(config, sp)))
    for key, value in config.items():
        assert strict_equal(namespace[key], value), (key, value, namespace[key])


_STATIC_TRAIN_BASIC = script_params("train_basic.py")


def test_configs_loaded_with_ruamel_types_pass_like_plain_ones() -> None:
    from pyruns_tui.params.yaml_roundtrip import load_roundtrip
    sp = script_params("collections_script.py")
    config = load_roundtrip("checkpoint: \"ck\"\nscales: [1.50, -2.5e-08]\nresize: 0x10\n"
                            "include: [a]\nquiet: 2\n")
    assert build_argv(config, sp) == build_argv(
        {"checkpoint": "ck", "scales": [1.5, -2.5e-08], "resize": 16, "include": ["a"],
         "quiet": 2}, sp)


def test_boolean_optional_false_needs_a_double_dash_flag() -> None:
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser(prefix_chars="-+")
        parser.add_argument("-x", "--ex", action=argparse.BooleanOptionalAction, default=True)
        parser.add_argument("++plus", action=argparse.BooleanOptionalAction, default=True)
    """)
    argv = build_argv({"ex": False, "plus": True}, sp)
    assert argv == ["--no-ex"]  # (plus: its default, not passed)
    assert vars(parser.parse_args(argv)) == {"ex": False, "plus": True}
    with pytest.raises(ParamsError, match="'plus' has no --no- form"):
        build_argv({"plus": False}, sp)


def test_a_value_outside_the_choices_reads_the_same_in_the_form_and_at_launch() -> None:
    """One wording of the choices rule: the Generator's form and `gen` (check_value) and the
    launch's command line (build_argv) said it two ways ("is not one of: a, b")."""
    from pyruns_tui.params.form_checks import check_value
    from pyruns_tui.params.form_model import build_form

    sp = script_params("train_basic.py")
    form = build_form(sp.defaults(), [spec.to_dict() for spec in sp.params], script=sp)
    field = next(f for f in form.fields() if f.key == "model")
    in_form = check_value("vgg", field)
    with pytest.raises(ParamsError) as launch:
        build_argv({"model": "vgg"}, sp)
    assert in_form == "'vgg' is not one of the choices (resnet18, resnet34, vit_tiny)"
    assert f"'model': {in_form}" in str(launch.value)


def test_a_key_of_store_const_flags_is_a_choice_whose_every_value_passes_its_own_flag() -> None:
    """groups_mutex's `--cosine`/`--constant` (dest schedule, default linear) and `--fp16`/`--bf16`
    (dest precision, default None): the form offers the values the flags store, and the launch
    passes each one's flag, as the real parser reads back."""
    from pyruns_tui.params.form_checks import check_value
    from pyruns_tui.params.form_model import build_form

    sp = script_params("groups_mutex.py")
    form = build_form(sp.defaults(), [spec.to_dict() for spec in sp.params], script=sp)
    schedule, precision = form.field("schedule"), form.field("precision")
    assert schedule is not None and precision is not None
    assert (schedule.kind, schedule.choices) == ("choice", ("linear", "cosine", "constant"))
    assert (precision.kind, precision.choices) == ("choice", ("fp16", "bf16"))  # null: no flag
    assert check_value("step", schedule) == "'step' is not one of the choices (linear, cosine, constant)"
    configs = [{**sp.defaults(), "schedule": s, "precision": p}
               for s in schedule.choices for p in (*precision.choices, None)]
    argvs = [build_argv(config, sp) for config in configs]
    assert argvs[0] == ["--fp16"] and argvs[4] == ["--cosine", "--bf16"] and argvs[8] == ["--constant"]
    for config, result in zip(configs, real_namespaces("groups_mutex.py", argvs)):
        assert "ok" in result, result
        assert result["ok"]["schedule"] == config["schedule"] and result["ok"]["precision"] == config["precision"]


def test_an_extend_option_without_nargs_gets_what_argparse_reads_back_or_a_refusal() -> None:
    """argparse extends such a list by each value iterated (Python 3.10 to 3.13 alike): `--tags ab`
    gives ['a', 'b'], and `--tags a b` was refused by the script (`b` unrecognized). So each item
    goes with its own flag, a text item must be one character, and a number cannot be passed."""
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--tags", action="extend")
        parser.add_argument("--base", action="extend", default=["x"])
        parser.add_argument("--ids", action="extend", type=int)
        parser.add_argument("--words", action="extend", type=lambda s: [s])
    """)
    for change in ({"tags": ["a", "b", "-"]}, {"tags": ["a"]}, {"base": ["x", "y", "z"]}, {"words": ["ab", "c d"]}):
        config = {**sp.defaults(), **change}
        argv = build_argv(config, sp)
        assert vars(parser.parse_args(argv)) == config, argv
    assert build_argv({"tags": ["a", "b"]}, sp) == ["--tags", "a", "--tags", "b"]
    for change, refusal in (({"tags": ["ab"]}, r"'ab' would give \['a', 'b'\]; write one character per item"),
                            ({"tags": "ab"}, r"'ab' would give \['a', 'b'\]"),
                            ({"base": ["x", "yz"]}, r"'yz' would give \['y', 'z'\]"),
                            ({"ids": [1, 2]}, r"--ids \(action='extend' without nargs, type=int\) iterates each "
                                              r"value and fails on an int")):
        with pytest.raises(ParamsError, match=refusal):
            build_argv(change, sp)
    from pyruns_tui.params.form_checks import check_text
    from pyruns_tui.params.form_model import build_form

    form = build_form(sp.defaults(), [spec.to_dict() for spec in sp.params], script=sp)
    tags = form.field("tags")
    assert tags is not None and tags.kind == "list"
    assert check_text("a, b", tags) == (["a", "b"], None)
    assert "'ab' would give ['a', 'b']" in (check_text("ab", tags)[1] or "")  # the Generator says it, as gen does
    assert [line.split(": ", 1)[1] for line in sp.warnings] == [
        "--tags (action='extend' without nargs) splits each value into characters (--tags ab gives ['a', 'b']); "
        "its list items must be single characters (nargs='+' takes words)",
        "--base (action='extend' without nargs) splits each value into characters (--base ab gives ['a', 'b']); "
        "its list items must be single characters (nargs='+' takes words)",
        "--ids (action='extend' without nargs, type=int) fails on any value (argparse iterates it); it cannot be "
        "set (nargs='+' in the script would take values)",
    ]


def test_an_extend_option_with_nargs_n_takes_any_multiple_of_n_values() -> None:
    """argparse extends the list by N values per use of the flag, so `--pairs 1 2 --pairs 3 4` gives
    [1, 2, 3, 4]: a list of any multiple of N items is one argparse reads back (it was refused as
    "takes exactly 2 values", in the form and `gen` too); a count that is no multiple of N is not."""
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--pairs", action="extend", nargs=2, type=int)
        parser.add_argument("--base", action="extend", nargs=2, default=["x", "y"])
        parser.add_argument("--one", action="extend", nargs=1)
        parser.add_argument("--fixed", nargs=2, type=int, default=[0, 0])
    """)
    for change in ({"pairs": [1, 2]}, {"pairs": [1, 2, 3, 4, -5, 6]}, {"base": ["x", "y", "a", "b", "c", "d"]},
                   {"one": ["a", "-x", "b c"]}, {"one": "-x"}):
        config = {**sp.defaults(), **change}
        argv = build_argv(config, sp)
        expected = {**config, **{key: [value] for key, value in change.items() if not isinstance(value, list)}}
        assert vars(parser.parse_args(argv)) == expected, argv
    assert build_argv({"pairs": [1, 2, 3, 4]}, sp) == ["--pairs", "1", "2", "--pairs", "3", "4"]
    for change, refusal in (({"pairs": [1, 2, 3]}, r"'pairs' takes its values 2 at a time \(nargs=2, action='extend'\): "
                                                   r"a multiple of 2, got 3"),
                            ({"base": ["x", "y", "a"]}, r"a multiple of 2, got 1"),  # after the default's two
                            ({"fixed": [1, 2, 3, 4]}, r"'fixed' takes exactly 2 values, got 4")):
        with pytest.raises(ParamsError, match=refusal):
            build_argv(change, sp)
    from pyruns_tui.params.form_checks import check_text
    from pyruns_tui.params.form_model import build_form

    form = build_form(sp.defaults(), [spec.to_dict() for spec in sp.params], script=sp)
    pairs = form.field("pairs")
    assert pairs is not None and pairs.kind == "list"
    assert check_text("1, 2, 3, 4", pairs) == ([1, 2, 3, 4], None)  # the Generator takes it, as gen does
    assert check_text("[1, 2] | [1, 2, 3, 4]", pairs)[1] is None
    assert check_text("1, 2, 3", pairs)[1] == "takes its values 2 at a time (nargs=2, action='extend'): a multiple of 2, got 3"


def test_a_value_equal_to_the_default_is_not_passed() -> None:
    # a `type=` that transforms its input turned the untouched default 0.5 into 0.005, and a
    # default read from the environment (LOCAL_RANK under torchrun) was fixed at its fallback
    sp, parser = inline("""
        import argparse, os
        parser = argparse.ArgumentParser()
        parser.add_argument("--ratio", type=lambda s: float(s) / 100, default=0.5)
        parser.add_argument("--local_rank", type=int, default=int(os.getenv("LOCAL_RANK", -1)))
        parser.add_argument("--lr", type=float, default=0.1)
    """)
    config = {"ratio": 0.5, "local_rank": -1, "lr": 0.2}
    argv = build_argv(config, sp)
    assert argv == ["--lr", "0.2"]
    assert vars(parser.parse_args(argv)) == config


def test_a_remainder_positional_comes_last() -> None:
    # detectron2's `opts` (nargs=argparse.REMAINDER) was put first and swallowed every flag after it
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--num-gpus", type=int, default=1)
        parser.add_argument("opts", default=None, nargs=argparse.REMAINDER)
    """)
    config = {"num_gpus": 2, "opts": ["SOLVER.BASE_LR", "0.01"]}
    argv = build_argv(config, sp)
    assert argv == ["--num-gpus", "2", "SOLVER.BASE_LR", "0.01"]
    assert vars(parser.parse_args(argv)) == config


def test_the_form_and_the_launch_leave_off_the_same_defaults() -> None:
    """One rule (`ParamSpec.leaves_off`) of which value the launch leaves off the command line, asked
    of script_info.json's dicts by the form and of ScriptParams by the launch. The form decided it
    on the dict's default, which spells a non-finite one as text: `--max-epochs` (type=int,
    default=float('inf')) made its own default `.inf` "not an integer", refusing every batch, while
    the text `Infinity` passed the form and failed the launch."""
    import json

    from pyruns_tui.params.form_checks import check_value
    from pyruns_tui.params.form_model import build_form

    sp, parser = inline("""
        import argparse, os
        class ParseKwargs(argparse.Action):
            def __call__(self, parser, namespace, values, option_string=None):
                setattr(namespace, self.dest, dict(v.split("=", 1) for v in values))
        parser = argparse.ArgumentParser()
        parser.add_argument("--max-epochs", type=int, default=float("inf"))
        parser.add_argument("--model-kwargs", nargs="*", default={}, action=ParseKwargs)
        parser.add_argument("--lr", type=float, default=0.1)
        parser.add_argument("--workers", type=int, default=os.cpu_count())
        parser.add_argument("--data", required=True, default="d")
        parser.add_argument("src", nargs="?", default="a")
    """)
    stored = json.loads(json.dumps(sp.to_dict()))  # as script_info.json holds it
    launch = ScriptParams.from_dict(stored)
    defaults = launch.defaults()
    form = build_form(defaults, stored["params"], defaults, launch)
    fields = {field.key: field for field in form.fields()}
    assert check_value(float("inf"), fields["max_epochs"]) is None
    assert check_value("Infinity", fields["max_epochs"]) == "'Infinity' is not an integer (or grid syntax like 1 | 2, 1:10)"
    with pytest.raises(ParamsError, match="'max_epochs' expects int, got 'Infinity'"):
        build_argv({"data": "x", "max_epochs": "Infinity"}, launch)
    shown = {"max_epochs": "--max-epochs", "model_kwargs": "--model-kwargs", "lr": "--lr", "workers": "--workers",
             "data": "--data", "src": "a"}  # (the positional by its value)
    for key, value in [("max_epochs", float("inf")), ("max_epochs", 5), ("model_kwargs", {}), ("lr", 0.1),
                       ("lr", 0.2), ("workers", 4), ("data", "d"), ("src", "a")]:
        field = fields[key]
        assert field.param is not None
        left_off = field.param.leaves_off(value)
        argv = build_argv({"data": "x", key: value}, launch)
        assert left_off == (shown[key] not in argv), (key, value, argv)
        if left_off:
            assert check_value(value, field) is None, (key, value)
    assert vars(parser.parse_args(build_argv({"data": "x"}, launch)))["max_epochs"] == float("inf")


def test_a_quoted_number_too_large_for_a_float_is_refused_as_the_unquoted_one() -> None:
    # `lr: "1000…0"` (400 digits, in quotes) was passed and the script got inf (float() of the text); the words
    # inf and infinity, which a user may mean, still pass
    import json

    from pyruns_tui.params.form_checks import check_value
    from pyruns_tui.params.form_model import build_form
    from pyruns_tui.params.number_text import too_large_for_float

    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        parser.add_argument("--betas", type=float, nargs=2, default=[0.9, 0.999])
    """)
    stored = json.loads(json.dumps(sp.to_dict()))
    fields = {field.key: field for field in build_form(sp.defaults(), stored["params"], sp.defaults(), sp).fields()}
    launch = LaunchCheck(sp)
    huge = "1" + "0" * 399
    said = "1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a smaller number)"
    for value, shown in [(10 ** 399, said), (huge, said), (f" -{huge} ", too_large_for_float(-10 ** 399)),
                         ("1e400", "1e400 is too large for a float (at most about 1.8e308: write a smaller number)")]:
        assert launch.problem("lr", value) == shown, value
        grid = f'"{value}" | 0.1' if isinstance(value, str) else f"{value} | 0.1"
        assert check_value(value, fields["lr"]) == shown and check_value(grid, fields["lr"]) == shown
        with pytest.raises(ParamsError) as caught:
            build_argv({"lr": value}, sp)
        assert str(caught.value) == f"config key 'lr': {shown} (fix config.yaml)"
    assert launch.problem("betas", [huge, 0.1]) == said and check_value([huge, 0.1], fields["betas"]) == said
    for word in ("inf", "-Infinity", " +INF ", "nan"):
        assert launch.problem("lr", word) is None and check_value(word, fields["lr"]) is None, word
        assert repr(vars(parser.parse_args(build_argv({"lr": word}, sp)))["lr"]) == repr(float(word)), word
