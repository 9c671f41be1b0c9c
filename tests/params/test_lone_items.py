"""The config a task records for a list argument is what argparse gives its script: a lone value
as its one-item list (`layers: 64` -> `[64]`), the launch's own answer of which arguments take
lists (nargs '+', '*', N, REMAINDER; append, extend), a default left off the command line as is."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from pyruns_tui.params.argparse_ast import extract_params
from pyruns_tui.params.argv import build_argv
from pyruns_tui.params.lone_items import LoneItems

SOURCE = textwrap.dedent("""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", nargs="+", type=int, default=[32])
    parser.add_argument("--tags", nargs="*", default=[])
    parser.add_argument("--keep", action="append", type=int)
    parser.add_argument("--more", action="extend", nargs="+", type=int)
    parser.add_argument("--one", nargs=1, type=int, default=[0])
    parser.add_argument("--width", nargs="+", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--opt", nargs="?", default="adam", const="sgd")
    parser.add_argument("--amp", action="store_true")
    parser.add_argument("opts", nargs=argparse.REMAINDER, default=None)
""")


@pytest.mark.parametrize(("key", "value", "recorded"), [
    ("layers", 64, [64]), ("layers", 32, [32]), ("tags", "a", ["a"]), ("keep", 3, [3]), ("more", 4, [4]),
    ("one", 5, [5]), ("opts", "x", ["x"]),
    ("width", 8, 8),  # the script's own scalar default, not passed: the script gets 8
    ("width", 9, [9]), ("lr", 0.5, 0.5), ("opt", "b", "b"), ("amp", True, True), ("layers", [1, 2], [1, 2]),
])
def test_a_recorded_value_is_what_the_script_gets(key: str, value: Any, recorded: Any) -> None:
    namespace: dict[str, Any] = {"__name__": "inline"}
    exec(compile(SOURCE, "inline.py", "exec"), namespace)  # noqa: S102 - our own test code
    sp = extract_params(SOURCE, "inline.py")
    config = {key: value}
    listed = LoneItems(sp).listed(config)
    assert listed == {key: recorded} and config == {key: value}  # (a new mapping: the planned one stays)
    got = vars(namespace["parser"].parse_args(build_argv(listed, sp)))
    assert got[key] == recorded
