"""config_default.yaml text: defaults read back exactly, help and notes as comments."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.config_default import config_default_text, defaults_from_text, key_comment
from pyruns_tui.params.yaml_roundtrip import load_roundtrip
from pyruns_tui.params.yamlio import load_text
from tests.conftest import DEMO


def literal(value: Any) -> str:
    """Python source for a plain value (repr, with inf/nan spelled as float(...))."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def script_with_defaults(values: dict[str, Any], helps: dict[str, str] | None = None
                         ) -> ScriptParams:
    lines = ["import argparse, os", "p = argparse.ArgumentParser()"]
    for key, value in values.items():
        help_arg = f", help={(helps or {}).get(key)!r}" if helps and key in helps else ""
        lines.append(f"p.add_argument('--{key}', default={literal(value)}{help_arg})")
    lines.append("p.parse_args()")
    return extract_params("\n".join(lines) + "\n", "gen.py")


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


TRICKY = [
    "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "", " ", "true", "False", "1e3",
    "0x10", "0o7", "010", "1_000", ".inf", "-.inf", ".nan", "a: b # c", "# hash", "- item",
    "'", '"', "@at", "`tick", "%pct", "!tag", "&anchor", "*alias", "{a: 1}", "[1, 2]",
    " leading", "trailing ", "line\nbreak", "tab\there", "héllo 🚀 中文", "\x07bell", "\\",
    "2001-12-14", "12:30:00", "<<", "=", "?", "-", "---", "...", "key:", ":value",
]


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_strings_read_back_as_the_same_string(value: str) -> None:
    sp = script_with_defaults({"x": value})
    assert defaults_from_text(config_default_text(sp)) == {"x": value}


@pytest.mark.parametrize("value", [
    2 ** 80, -(2 ** 70), 0, -0.0, 1e-05, 1e300, 5e-324, float("inf"), float("-inf"),
    float("nan"), True, False, None, [1, "yes", None, [2.5]], {"a": {"b": ["no"]}}, [], {},
])
def test_other_values_read_back_with_their_types(value: Any) -> None:
    sp = script_with_defaults({"x": value})
    assert same(defaults_from_text(config_default_text(sp))["x"], value)


_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(min_size=1), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=100, deadline=None)
@given(values=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), _PLAIN,
                              max_size=5),
       helps=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True),
                             st.text(), max_size=5))
def test_any_plain_defaults_read_back_exactly(values: dict[str, Any],
                                              helps: dict[str, str]) -> None:
    sp = script_with_defaults(values, helps)
    loaded = defaults_from_text(config_default_text(sp))
    assert same(loaded, sp.defaults())
    assert same(loaded, values)


def test_keys_keep_declaration_order_and_help_becomes_comments() -> None:
    sp = script_with_defaults({"zeta": 1, "alpha": "a", "mid": 0.5},
                              {"zeta": "first # not a comment end", "mid": "学习率 🚀\nsecond line"})
    text = config_default_text(sp)
    assert list(defaults_from_text(text)) == ["zeta", "alpha", "mid"]
    lines = text.splitlines()
    assert lines[0].startswith("zeta: 1") and lines[0].endswith("# first # not a comment end")
    assert lines[1] == "alpha: a"
    assert lines[2].endswith("# 学习率 🚀 second line")
    rt = load_roundtrip(text)
    assert "学习率" in str(rt.ca.items["mid"])


def test_unresolved_defaults_are_null_with_their_source_as_comment() -> None:
    sp = extract_params(textwrap.dedent("""
        import argparse, os
        p = argparse.ArgumentParser()
        p.add_argument("--cache", default=os.environ.get("CACHE", "/tmp"), help="cache dir")
        p.add_argument("--seed", default=make_seed())
        p.set_defaults(func=main)
    """), "t.py")
    text = config_default_text(sp)
    assert defaults_from_text(text) == {"cache": "/tmp", "seed": None, "func": None}
    lines = text.splitlines()
    assert lines[0].endswith("# cache dir; from environment: CACHE")
    assert lines[1].endswith("# unresolved default: make_seed()")
    assert lines[2].endswith("# unresolved default: main; set by set_defaults(), not a "
                             "command-line option")
    assert "os.environ" not in text.split("#")[0]


def test_scripts_without_params_give_an_empty_mapping() -> None:
    sp = extract_params("print('hi')\n", "t.py")
    assert defaults_from_text(config_default_text(sp)) == {}


@pytest.mark.parametrize("text,expected", [("", {}), ("# only a comment\n", {}),
                                           ("a: 1\n", {"a": 1}), ("a: yes\n", {"a": "yes"})])
def test_defaults_from_text(text: str, expected: dict[str, Any]) -> None:
    assert defaults_from_text(text) == expected


@pytest.mark.parametrize("text,message", [
    ("- 1\n- 2\n", r"config_default.yaml: expected a mapping of parameter: value, got list"),
    ("a: [1\n", r"config_default.yaml:\d+:\d+: invalid YAML"),
])
def test_defaults_from_text_errors(text: str, message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        defaults_from_text(text)


def test_required_parameters_are_marked() -> None:
    sp = extract_params(textwrap.dedent("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("data", help="dataset folder")
        p.add_argument("--model", required=True)
        p.add_argument("--opt", default="sgd")
    """), "t.py")
    lines = config_default_text(sp).splitlines()
    assert lines[0].endswith("# dataset folder (required)")
    assert lines[1].endswith("# required") and lines[2] == "opt: sgd"


def test_the_required_marker_follows_a_help_that_ends_its_sentence() -> None:
    sp = extract_params(textwrap.dedent("""
        import argparse, os
        p = argparse.ArgumentParser()
        p.add_argument("--save-model-dir", type=str, required=True,
                       help="path to folder where trained model will be saved.")
        p.add_argument("--root", default=os.environ.get("ROOT", "/data"), help="where the data is.")
    """), "t.py")
    assert key_comment(sp, "save_model_dir") == "path to folder where trained model will be saved. (required)"
    assert key_comment(sp, "root") == "where the data is; from environment: ROOT"


def test_help_comments_line_up_two_spaces_after_the_widest_value() -> None:
    text = config_default_text(extract_params((DEMO / "train.py").read_text(), "train.py"))
    columns = {line.index(" # ") + 1 for line in text.splitlines() if " # " in line}
    widest = max(len(line.split(" # ")[0].rstrip()) for line in text.splitlines() if " # " in line)
    assert columns == {widest + 2}, text


def test_a_float_default_keeps_the_scripts_short_spelling_that_yaml_11_and_12_read_back() -> None:
    sp = extract_params(textwrap.dedent("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--style-weight", type=float, default=1e10)
        p.add_argument("--tiny", type=float, default=-.5E12)
        p.add_argument("--lr", type=float, default=1e-3)
        p.add_argument("--scale", type=float, default=10**10)
    """), "t.py")
    text = config_default_text(sp)
    assert text.splitlines() == ["style_weight: 1.0e+10", "tiny: -0.5e+12", "lr: 0.001", "scale: 10000000000"]
    assert yaml.safe_load(text) == load_text(text) == sp.defaults()
