"""A lone value for a list parameter (nargs '+'/'*'/N, REMAINDER, append) is its one item, as
argparse reads `--layers 64`: in the launch's argv, and so in every check of a spec (the form's
fields, YAML mode and `gen`, which ask the launch), through the real grid parse and expansion."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from pyruns_tui.errors import ParamsError
from pyruns_tui.params import yamlio
from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.argv import build_argv
from pyruns_tui.params.form_checks import check_text, check_value, spec_problems
from pyruns_tui.params.form_model import FieldModel, build_form
from pyruns_tui.params.grid import expand_grid

SOURCE = textwrap.dedent("""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", nargs="+", type=int, default=[32])
    parser.add_argument("--tags", nargs="*", default=[])
    parser.add_argument("--keep", action="append", type=int, default=[])
    parser.add_argument("--betas", nargs=2, type=float, default=[0.9, 0.999])
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("opts", nargs=argparse.REMAINDER, default=None)
""")
NOT_A_LIST = "is not a list (write [a, b]; a grid of lists: [a] | [b, c])"
LAYERS = "expects an integer or a list of them, e.g. [32]"  # its default as the example


@pytest.fixture(scope="module")
def script() -> tuple[ScriptParams, Any]:
    namespace: dict[str, Any] = {"__name__": "inline"}
    exec(compile(SOURCE, "inline.py", "exec"), namespace)  # noqa: S102 - our own test code
    return extract_params(SOURCE, "inline.py"), namespace["parser"]


def fields(sp: ScriptParams, spec: dict[str, Any]) -> dict[str, FieldModel]:
    """The form of `spec` as the Generator and `gen` build it (the params as script_info.json holds them)."""
    form = build_form(spec, [p.to_dict() for p in sp.params], sp.defaults(), sp)
    return {field.key: field for field in form.fields()}


def test_a_lone_value_for_a_list_parameter_is_its_one_item(script: tuple[ScriptParams, Any]) -> None:
    sp, parser = script
    argv = build_argv({"layers": 64, "tags": "a b", "keep": 3}, sp)
    assert argv == ["--keep", "3", "--layers", "64", "--tags", "a b"]  # text is never split
    assert vars(parser.parse_args(argv)) == {
        "layers": [64], "tags": ["a b"], "keep": [3], "betas": [0.9, 0.999], "lr": 0.1, "opts": []}
    argv = build_argv({"opts": "SOLVER.LR"}, sp)
    assert argv == ["SOLVER.LR"] and vars(parser.parse_args(argv))["opts"] == ["SOLVER.LR"]
    assert build_argv({"layers": [64, 128]}, sp) == ["--layers", "64", "128"]
    with pytest.raises(ParamsError, match=r"'betas' takes exactly 2 values, got 1"):
        build_argv({"betas": 0.5}, sp)
    # `a, b` in a YAML spec is text: no one item, a list written the wrong way
    with pytest.raises(ParamsError, match=r"'tags' takes a list \(nargs='\*'\), got 'a, b'"):
        build_argv({"tags": "a, b"}, sp)


def test_a_grid_of_lone_values_checks_and_expands_to_one_item_lists(script: tuple[ScriptParams, Any]) -> None:
    sp, parser = script
    spec = yamlio.load_text("layers: 64 | 128\nkeep: 1:3\n")  # YAML mode and gen: no quotes needed
    assert spec_problems({**sp.defaults(), **spec}, build_form({**sp.defaults(), **spec},
                         [p.to_dict() for p in sp.params], sp.defaults(), sp)) == []
    configs = expand_grid(spec)
    argvs = [build_argv(config, sp) for config in configs]
    assert argvs == [["--keep", "1", "--layers", "64"], ["--keep", "2", "--layers", "64"],
                     ["--keep", "1", "--layers", "128"], ["--keep", "2", "--layers", "128"]]
    assert [vars(parser.parse_args(argv))["layers"] for argv in argvs] == [[64], [64], [128], [128]]
    # a grid of lists still works, mixed with lone values too
    layers = fields(sp, sp.defaults())["layers"]
    for text, expected in (("[64, 128] | [256]", [[64, 128], [256]]), ("[64, 128] | 256", [[64, 128], 256])):
        value, problem = check_text(text, layers)
        assert problem is None, text
        built = [build_argv(config, sp) for config in expand_grid({"layers": value})]
        assert [vars(parser.parse_args(argv))["layers"] for argv in built] == [
            item if isinstance(item, list) else [item] for item in expected]
    assert build_argv({"layers": [64, 128]}, sp) == ["--layers", "64", "128"]


# what the form (and YAML mode, and `gen`) says of each text; the lone values were refused before
CASES = [
    ("layers", "64 | 128", None),
    ("layers", "(64 | 128)", None),
    ("layers", "64:66", None),
    ("layers", "-5 | 64", None),  # a negative number is an item, not a flag
    ("layers", "64", None),  # a field's plain text is its own comma list: [64]
    ("tags", "'a b' | c", None),
    ("keep", "1 | 2", None),
    # a value that cannot be the one item either says why, in the user's terms (it said "'fast' is
    # not a list" where the parameter expects integers), and what the parameter takes
    ("layers", "'64 128' | 256", f"'64 128' is not an integer ({LAYERS})"),  # not split on spaces
    ("layers", "'0, 1' | 2", f"'0, 1' {NOT_A_LIST}"),  # a list written as text
    ("tags", "'a, b' | c", f"'a, b' {NOT_A_LIST}"),  # a comma in a grid item is no one item
    ("betas", "0.5 | 0.6", "0.5 is one value (expects a list of 2 numbers, e.g. [0.9, 0.999])"),  # nargs=2
    ("betas", "fast | [0.5, 0.6]", "'fast' is not a number (expects a list of 2 numbers, e.g. [0.9, 0.999])"),
    ("layers", "fast | 64", f"'fast' is not an integer ({LAYERS})"),
    ("layers", "true", f"true is not an integer ({LAYERS})"),
    ("keep", "2.5 | 1", "2.5 is not an integer (expects an integer or a list of them, e.g. [1, 2])"),
    ("tags", "--x | a", None),  # one item that reads as a flag goes as `--tags=--x`
    ("tags", "'--' | a", "'--' cannot be passed as a value (argparse reads it as the end of the flags)"),
    ("layers", "[fast] | [64]", f"'fast' is not an integer ({LAYERS})"),  # in a list alike
]


def test_the_form_asks_the_launch_about_lone_values(script: tuple[ScriptParams, Any]) -> None:
    sp, _ = script
    form = fields(sp, sp.defaults())
    assert [(key, text, check_text(text, form[key])[1]) for key, text, _ in CASES] == CASES
    # a script reading config.yaml itself (pyruns_tui.load()) gets the value as written: 64 is no list
    field = FieldModel(path=("layers",), kind="list")
    assert check_value("64 | 128", field) == f"64 {NOT_A_LIST}"
    assert check_value("[64] | [128]", field) is None
