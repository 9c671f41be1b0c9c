"""The order of the launch's command line, checked against the REAL argparse (this Python's): a
list option (nargs '*', '+') reads every plain item after it as its own, a REMAINDER positional or
a sub-command takes every item after its first one, positionals are filled in order, and a
value that looks like a flag only passes after `--`. What no order passes is refused with one
line, by the launch and by the checks before any task is written (ExclusiveCheck's ORDER line)."""

from __future__ import annotations

import argparse
import contextlib
import io
import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.argv import LaunchCheck, build_argv
from pyruns_tui.params.exclusive_check import ORDER, ExclusiveCheck
from tests.params.real_parser import strict_equal


def inline(source: str) -> tuple[ScriptParams, argparse.ArgumentParser]:
    """Static params of an inline script and its real `parser` object (built in-process)."""
    source = textwrap.dedent(source)
    namespace: dict[str, Any] = {"__name__": "inline"}
    exec(compile(source, "inline.py", "exec"), namespace)  # noqa: S102 - our own test code
    return extract_params(source, "inline.py"), namespace["parser"]


def parsed(parser: argparse.ArgumentParser, argv: list[str]) -> dict[str, Any]:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return vars(parser.parse_args(argv))
    except SystemExit:
        raise AssertionError(f"argparse refused {argv}: {err.getvalue().strip()}") from None


DETECTRON = """
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--config-file", default="")
    parser.add_argument("--tags", nargs="*", default=[])
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("opts", nargs=argparse.REMAINDER, default=None)
"""


def test_a_list_option_before_a_remainder_keeps_its_items() -> None:
    # `--tags a X` gave the script tags=['a', 'X'], opts=[]: the list read the REMAINDER's items
    sp, parser = inline(DETECTRON)
    base = {"config_file": "", "tags": [], "lr": 0.1, "opts": []}
    for config, argv in [
        ({"tags": ["a"], "opts": ["X"]}, ["--tags=a", "X"]),  # one item ends itself
        ({"tags": ["a", "b"], "opts": ["X", "1"], "lr": 0.2}, ["--tags", "a", "b", "--lr", "0.2", "X", "1"]),
        ({"tags": ["-a"], "opts": ["X"]}, ["--tags=-a", "X"]),  # one item that looks like a flag, too
        ({"tags": ["a", "b"], "opts": []}, ["--tags", "a", "b"]),
    ]:
        assert build_argv(config, sp) == argv
        assert parsed(parser, argv) == {**base, **config}
        assert ExclusiveCheck(sp).problem({**base, **config}) is None
    # two items and nothing after them that ends the list: no command line passes it
    line = ("key 'tags' (--tags, which is a list that ends only at the next flag) cannot be passed before the "
            "items of 'opts': argparse would read the items of 'opts' as part of it; give 'tags' one item, or "
            "set an option that takes one value too")
    with pytest.raises(ParamsError) as refused:
        build_argv({"tags": ["a", "b"], "opts": ["X"]}, sp)
    assert str(refused.value) == f"config {line}"
    check = ExclusiveCheck(sp)  # what `gen` and the Generator ask before writing any task
    assert check.problems({**base, "tags": ["a", "b"], "opts": ["X"]}) == ((ORDER, line),)
    assert check.problems({**base, "tags": ["a", "b"], "opts": ["X"], "lr": 0.2}) == ()


def test_a_list_option_and_a_positional_before_a_remainder_are_ended_by_double_dash() -> None:
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("data")
        parser.add_argument("--tags", nargs="+")
        parser.add_argument("opts", nargs=argparse.REMAINDER)
    """)
    config = {"data": "d", "tags": ["a", "b"], "opts": ["X", "--y"]}
    argv = build_argv(config, sp)
    assert argv == ["--tags", "a", "b", "--", "d", "X", "--y"]
    assert parsed(parser, argv) == config


def test_a_positional_value_starting_with_a_dash_is_passed_after_double_dash() -> None:
    # pytorch/examples imagenet's `data` positional: `-weird` was refused as "list item '-weird'
    # starts with '-'", yet `data` is no list and argparse reads it after `--`
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("data", metavar="DIR", nargs="?", default="imagenet")
        parser.add_argument("-a", "--arch", default="resnet18")
        parser.add_argument("--lr", type=float, default=0.1)
        parser.add_argument("--gpu", type=int, nargs="*")
    """)
    for config, argv in [
        ({"data": "-weird", "lr": 0.2}, ["--lr", "0.2", "--", "-weird"]),
        ({"data": "-", "gpu": [0, 1]}, ["-", "--gpu", "0", "1"]),  # `-` alone is a value (stdin)
        ({"data": "-weird", "gpu": [0, 1]}, ["--gpu", "0", "1", "--", "-weird"]),
        ({"data": "--lr", "arch": "-x"}, ["--arch=-x", "--", "--lr"]),
    ]:
        assert build_argv(config, sp) == argv
        assert parsed(parser, argv) == {"data": "imagenet", "arch": "resnet18", "lr": 0.1, "gpu": None, **config}
        assert LaunchCheck(sp).problem("data", config["data"]) is None
    # what cannot be passed says so for what it is: `--` ends the flags; a list's item looks like a flag
    assert LaunchCheck(sp).problem("data", "--") == "'--' cannot be passed as a value (argparse reads it as the end of the flags)"
    assert LaunchCheck(sp).problem("arch", "--") == "'--' cannot be passed as a value (argparse reads it as the end of the flags)"
    assert LaunchCheck(sp).problem("gpu", [0, -1]) is None  # a negative number is a value
    assert LaunchCheck(sp).problem("gpu", [-1]) is None
    sp, _ = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--names", nargs="+")
    """)
    assert LaunchCheck(sp).problem("names", ["a", "-b"]) == (
        "list item '-b' starts with '-' and would be read as a flag (only a list of one such item can be passed)")
    assert LaunchCheck(sp).problem("names", ["-b"]) is None  # `--names=-b`


def test_positionals_filled_in_order_are_refused_when_one_would_take_the_next_ones_items() -> None:
    sp, parser = inline("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("src", nargs="?")
        parser.add_argument("dst", nargs="?")
    """)
    assert parsed(parser, build_argv({"src": "a", "dst": "b"}, sp)) == {"src": "a", "dst": "b"}
    line = ("positionals 'src', 'dst': argparse fills them in order, each taking all it can and would read "
            "'src': ['b'], 'dst': []; set 'src' too, or leave 'dst' empty")
    with pytest.raises(ParamsError) as refused:
        build_argv({"src": None, "dst": "b"}, sp)
    assert str(refused.value) == f"config {line}"
    assert ExclusiveCheck(sp).problem({"src": None, "dst": "b"}) == line


# random parsers: every kind of positional and option, REMAINDER, sub-commands, prefix chars
_TEXTS = ["a", "b", "-w", "-", "-1", "-0.5", "a b", "-a b", "", "--x=1", "fit", "+p", "++q", "x=y", "--"]
_INTS = [0, 1, -1, 5]


@st.composite
def scripts(draw: st.DrawFn, positional_first: bool = False) -> tuple[str, dict[str, Any], str | None]:
    """(source of a parser, a config of its parameters, the sub-command or None). With
    `positional_first`: a required positional `data`, then options, then a REMAINDER `opts`
    starting with a plain item, and no sub-command."""
    prefix = draw(st.sampled_from(["-", "-", "-+", "+"]))
    names = iter(f"k{i}" for i in range(1, 100))
    config: dict[str, Any] = {}

    def value(kind: str) -> Any:
        return draw(st.sampled_from(_INTS if kind == "int" else _TEXTS))

    def values(kind: str, least: int = 0, most: int = 3) -> list[Any]:
        return [value(kind) for _ in range(draw(st.integers(least, most)))]

    def level(parser: str) -> list[str]:
        lines = []
        for _ in range(0 if positional_first else draw(st.integers(0, 2))):
            key, kind = next(names), draw(st.sampled_from(["str", "int"]))
            nargs = draw(st.sampled_from([None, "?", "*", "+", 2]))
            extra = {None: "", "?": ", nargs='?', default=None", "*": ", nargs='*', default=[]",
                     "+": ", nargs='+'", 2: ", nargs=2"}[nargs]
            lines.append(f"{parser}.add_argument({key!r}, type={kind}{extra})")
            config[key] = (value(kind) if nargs is None else draw(st.none() | st.just(value(kind))) if nargs == "?"
                           else values(kind, 1 if nargs == "+" else 0) if nargs in ("*", "+") else values(kind, 2, 2))
        for _ in range(draw(st.integers(0, 4))):
            key, kind = next(names), draw(st.sampled_from(["str", "int"]))
            char = draw(st.sampled_from(prefix))
            flag = repr(char + key if draw(st.booleans()) else char * 2 + key)
            how = draw(st.sampled_from(["store", "optional", "*", "+", "2", "append", "append+", "extend",
                                        "extend2", "store_true", "count", "remainder"]))
            const = value(kind)
            declared, given = {
                "store": (f"type={kind}", lambda: value(kind)),
                "optional": (f"type={kind}, nargs='?', const={const!r}",  # its const, another value, or nothing
                             lambda: draw(st.sampled_from([None, const, value(kind)]))),
                "*": (f"type={kind}, nargs='*'", lambda: values(kind)),
                "+": (f"type={kind}, nargs='+'", lambda: values(kind, 1)),
                "2": (f"type={kind}, nargs=2", lambda: values(kind, 2, 2)),
                "append": (f"type={kind}, action='append'", lambda: values(kind, 1)),
                "append+": (f"type={kind}, action='append', nargs='+'",
                            lambda: [values(kind, 1) for _ in range(draw(st.integers(1, 2)))]),
                "extend": (f"type={kind}, action='extend', nargs='+'", lambda: values(kind, 1)),
                # N values per use of the flag, any multiple of N (an odd count is refused)
                "extend2": (f"type={kind}, action='extend', nargs=2", lambda: values(kind, 1, 6)),
                "store_true": ("action='store_true'", lambda: draw(st.booleans())),
                "count": ("action='count'", lambda: draw(st.integers(1, 2))),
                "remainder": ("nargs=argparse.REMAINDER", lambda: values("str", 0, 2)),
            }[how]
            lines.append(f"{parser}.add_argument({flag}, dest={key!r}, {declared})")
            config[key] = None if how != "store_true" and draw(st.booleans()) else given()
        if positional_first or draw(st.booleans()):
            key = "opts" if positional_first else next(names)
            lines.append(f"{parser}.add_argument({key!r}, nargs=argparse.REMAINDER)")
            config[key] = [draw(st.sampled_from(["SOLVER.LR", "0.1", "a b"]))] * positional_first + values("str")
        return lines

    lines = ["import argparse", f"parser = argparse.ArgumentParser(prefix_chars={prefix!r}, add_help=False)"]
    if positional_first:
        lines.append("parser.add_argument('data')")
        config["data"] = draw(st.sampled_from([t for t in _TEXTS if t != "--"]))
    lines += level("parser")
    sub = None
    if not positional_first and draw(st.booleans()):
        sub = "fit"
        lines += ["subs = parser.add_subparsers(dest='cmd')",
                  f"fit = subs.add_parser('fit', add_help=False, prefix_chars={prefix!r})", *level("fit")]
    return "\n".join(lines) + "\n", config, sub


def check_read_back(parser: argparse.ArgumentParser, sp: ScriptParams, config: dict[str, Any], sub: str | None,
                    argv: list[str]) -> None:
    namespace = parsed(parser, argv)
    defaults = sp.defaults()
    for key, value in config.items():
        expected = defaults[key] if value is None else value
        assert strict_equal(namespace[key], expected), (config, argv, key, namespace[key])
    assert namespace.get("cmd") == sub, (config, argv)


@settings(max_examples=300, deadline=None)
@given(scripts())
def test_what_the_launch_passes_argparse_reads_back_and_what_it_refuses_is_refused_before_writing(
        script: tuple[str, dict[str, Any], str | None]) -> None:
    source, config, sub = script
    sp, parser = inline(source)
    launch = LaunchCheck(sp)
    value_problems = [launch.problem(key, value) for key, value in config.items() if value is not None]
    order = ExclusiveCheck(sp).problem(config)
    try:
        argv = build_argv(config, sp)
    except ParamsError as exc:
        # refused: the checks before a task is written refuse it too (a value, or the order: the same line)
        assert "\n" not in str(exc)
        assert any(value_problems) or f"config {order}" == str(exc), (source, config, str(exc))
        return
    assert not any(value_problems) and order is None, (source, config, argv)
    check_read_back(parser, sp, config, sub, argv)


@settings(max_examples=200, deadline=None)
@given(scripts(positional_first=True))
def test_with_a_positional_first_every_option_passes_before_a_remainder(
        script: tuple[str, dict[str, Any], str | None]) -> None:
    """`--` ends any option when a positional (which takes the `--`) comes first, so every value
    each flag can pass passes, in every combination, before a REMAINDER's items (`--tags a X`
    gave the list the REMAINDER's items); the positional may look like a flag too."""
    source, config, _ = script
    sp, parser = inline(source)
    launch = LaunchCheck(sp)
    passable = {key: value for key, value in config.items() if value is None or launch.problem(key, value) is None}
    rests = [spec.key for spec in sp.params
             if spec.nargs == "..." and not spec.positional and passable.get(spec.key) is not None]
    passable.update({key: None for key in rests[1:]})  # two REMAINDER options: the first takes the second
    check_read_back(parser, sp, passable, None, build_argv(passable, sp))
