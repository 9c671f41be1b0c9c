"""YAML I/O: core-schema typing, fast loader, quoting dumper, round-trip and commented dumps."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.yaml_roundtrip import dump_commented, dump_roundtrip, load_roundtrip
from pyruns_tui.params.yamlio import dump_text, load_file, load_text, parse_scalar

SCALARS: list[tuple[str, Any]] = [
    ("1", 1),
    ("-5", -5),
    ("+7", 7),
    ("010", 10),
    ("0x1F", 31),
    ("0o17", 15),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ("1.5", 1.5),
    ("1e-3", 0.001),
    ("1E3", 1000.0),
    (".5", 0.5),
    ("1.", 1.0),
    ("-2.5e+2", -250.0),
    (".inf", math.inf),
    ("-.inf", -math.inf),
    ("+.Inf", math.inf),
    ("true", True),
    ("False", False),
    ("TRUE", True),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("~", None),
    ("", None),
    ("   ", None),
    ("[1, 2]", [1, 2]),
    ("[1, yes, 1e3, null]", [1, "yes", 1000.0, None]),
    ("{a: 1, b: [x]}", {"a": 1, "b": ["x"]}),
    ("'a|b'", "a|b"),
    ("'it''s'", "it's"),
    ("'1'", "1"),
    ('"x"', "x"),
    ('"tab\\there"', "tab\there"),
    ('"null"', "null"),
    ("yes", "yes"),
    ("no", "no"),
    ("on", "on"),
    ("off", "off"),
    ("y", "y"),
    ("tRue", "tRue"),
    ("nan", "nan"),
    ("1_000", "1_000"),
    ("12:30", "12:30"),
    ("2024-01-01", "2024-01-01"),
    ("0b101", "0b101"),
    ("-0x10", "-0x10"),
    ("hello world", "hello world"),
    ("a: b", "a: b"),
    ("x # not a comment", "x # not a comment"),
    ("  padded  ", "padded"),
    ("héllo ✓", "héllo ✓"),
    ("'unbalanced", "'unbalanced"),
]


@pytest.mark.parametrize(("text", "expected"), SCALARS)
def test_parse_scalar_types_like_yaml_core_schema(text: str, expected: Any) -> None:
    value = parse_scalar(text)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_scalar_nan_is_float_nan() -> None:
    for text in (".nan", ".NaN", ".NAN"):
        value = parse_scalar(text)
        assert isinstance(value, float) and math.isnan(value)


def test_parse_scalar_reads_ints_beyond_python_digit_limit() -> None:
    assert parse_scalar("9" * 5000) == 10**5000 - 1


@pytest.mark.parametrize("text", ["[1, 2", "{a: 1", '"open', '"a" b', "[a, b]]"])
def test_parse_scalar_refuses_malformed_flow_and_quotes(text: str) -> None:
    with pytest.raises(ParamsError):
        parse_scalar(text)


@pytest.mark.parametrize(("text", "expected"), [
    (t, v) for t, v in SCALARS
    if t.strip() and t.strip()[0] not in "'\"" and "#" not in t and ": " not in t
])
def test_load_text_agrees_with_parse_scalar_on_plain_scalars(text: str, expected: Any) -> None:
    assert load_text(f"k: {text}") == {"k": parse_scalar(text)}


def test_load_text_reads_nested_document_in_order() -> None:
    data = load_text("b: 1\na:\n  x: [1, 2]\n  y: yes\nc: 2024-01-01\nd: 1e-3\n")
    assert data == {"b": 1, "a": {"x": [1, 2], "y": "yes"}, "c": "2024-01-01", "d": 0.001}
    assert list(data) == ["b", "a", "c", "d"]


def test_load_text_of_empty_document_is_none() -> None:
    assert load_text("") is None
    assert load_text("# only a comment\n") is None


def test_load_text_supports_anchors_and_merge_keys() -> None:
    assert load_text("base: &b {x: 1, y: 2}\nrun:\n  <<: *b\n  y: 3\n") == {
        "base": {"x": 1, "y": 2}, "run": {"x": 1, "y": 3}}


@pytest.mark.parametrize(("text", "line"), [
    ("a: 1\nb: [1, 2\n", 2),  # the line of the `[` left open (the parser gives up on line 3)
    ("a: 1\n  b: 2\n", 2),
    ("a: b: c\n", 1),
    ("a: 1\na: 2\n", 2),
    ("x: !!float abc\n", 1),
    ("x: !!int 1.5\n", 1),
])
def test_load_text_malformed_raises_one_line_error_with_file_and_line(text: str,
                                                                      line: int) -> None:
    with pytest.raises(ParamsError) as info:
        load_text(text, where="conf.yaml")
    message = str(info.value)
    assert message.startswith(f"conf.yaml:{line}:")
    assert "\n" not in message


def test_load_text_refuses_duplicate_keys_in_nested_mappings() -> None:
    with pytest.raises(ParamsError, match="duplicate key 'x'"):
        load_text("a:\n  x: 1\n  x: 2\n")


def test_load_text_deep_nesting_is_a_params_error() -> None:
    with pytest.raises(ParamsError):
        load_text("[" * 5000 + "]" * 5000)


def test_load_file_reads_file_and_names_it_in_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("lr: 1e-3\nname: héllo\n", encoding="utf-8")
    assert load_file(good) == {"lr": 0.001, "name": "héllo"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"bad\.yaml:1:4: .* the `\[` on line 1 is not closed"):
        load_file(bad)
    with pytest.raises(ParamsError, match="cannot read"):
        load_file(tmp_path / "missing.yaml")


AMBIGUOUS_STRINGS = ["yes", "no", "on", "off", "y", "n", "Y", "NO", "true", "null", "~", "",
                     "1e3", "0x10", "0o17", "010", "12:30", "1_000", "0b11", "2024-01-01",
                     ".inf", ".nan", "1.5", "-3", "<<", "=", "a: b # c", "- x", "#c", "  sp",
                     "multi\nline", "tab\tin", "héllo ✓", "'q'", '"dq"', "[1]", "{a: 1}"]


@pytest.mark.parametrize("text", AMBIGUOUS_STRINGS)
def test_dump_text_strings_read_back_as_same_string_by_both_yaml_versions(text: str) -> None:
    dumped = dump_text({"k": text, text: 1})
    assert load_text(dumped) == {"k": text, text: 1}
    assert yaml.safe_load(dumped) == {"k": text, text: 1}


def test_dump_text_is_block_style_keeps_order_and_unicode() -> None:
    data = {"z": 1, "a": {"y": [1, 2], "b": "é"}, "m": None, "f": 1e-5}
    text = dump_text(data)
    assert text == "z: 1\na:\n  y:\n  - 1\n  - 2\n  b: é\nm: null\nf: 1.0e-05\n"
    assert load_text(text) == data


def test_dump_text_writes_big_ints_and_infinities_readably() -> None:
    data = {"big": 10**40, "neg": -(10**25), "inf": math.inf, "ninf": -math.inf}
    assert load_text(dump_text(data)) == data
    assert yaml.safe_load(dump_text(data)) == data


def test_dump_text_nan_reads_back_as_nan() -> None:
    assert math.isnan(load_text(dump_text({"x": math.nan}))["x"])


def test_roundtrip_keeps_comments_order_and_quotes() -> None:
    text = ("# header\nlr: 0.001  # learning rate\nmodel:\n  depth: 18  # layers\n"
            "name: 'yes'\nz: 1\na: 2\n")
    data = load_roundtrip(text)
    assert dump_roundtrip(data) == text
    data["model"]["depth"] = 34
    assert "depth: 34  # layers" in dump_roundtrip(data)


def test_roundtrip_types_by_yaml_1_2() -> None:
    data = load_roundtrip("a: yes\nb: 1e-3\nc: 010\n")
    assert data == {"a": "yes", "b": 0.001, "c": 10}


def test_load_roundtrip_malformed_raises_params_error_with_line() -> None:
    with pytest.raises(ParamsError, match=r"cfg.yaml:2:"):
        load_roundtrip("a: 1\na: 2\n", where="cfg.yaml")


def test_dump_commented_puts_help_on_scalars_and_before_sections() -> None:
    text = dump_commented(
        {"lr": 0.001, "model": {"depth": 18, "act": "relu"}, "tags": [1, 2]},
        {"lr": "learning rate", "model": "network shape", "model.depth": "resnet depth",
         "tags": "list of tags", "nowhere": "ignored"})
    lines = text.splitlines()
    assert lines[0].startswith("lr: 0.001") and lines[0].endswith("# learning rate")
    assert lines[1] == "# network shape"
    assert lines[2] == "model:"
    assert lines[3].startswith("  depth: 18") and lines[3].endswith("# resnet depth")
    assert "# list of tags" in lines
    assert "ignored" not in text
    assert load_text(text) == {"lr": 0.001, "model": {"depth": 18, "act": "relu"},
                               "tags": [1, 2]}


def test_dump_commented_multiline_and_unicode_help_stays_valid_yaml() -> None:
    help_text = "first line\nsecond: line # with hash\r\nthird\u2028fourth ✓\x07bell"
    data = {"x": 1, "m": {"inner": "v"}}
    text = dump_commented(data, {"x": help_text, "m.inner": help_text})
    assert load_text(text) == data
    assert yaml.safe_load(text) == data
    assert "# second: line # with hash" in text
    assert "✓" in text


def test_dump_commented_values_read_back_identical() -> None:
    data = {"s": "a: b # c", "y": "yes", "n": "null", "e": "", "none": None, "big": 10**30,
            "f": 1e-5, "t": True, "nested": {"on": "off", "lst": ["no", 1.5, None]},
            "dotted.key": 3}
    text = dump_commented(data, {k: f"help {k}" for k in data} | {"nested.on": "switch"})
    assert load_text(text) == data
    assert yaml.safe_load(text) == data
    assert load_roundtrip(text) == data


def test_dump_commented_finds_keys_containing_dots() -> None:
    text = dump_commented({"a.b": 1, "a": {"c": 2}}, {"a.b": "dotted", "a.c": "nested"})
    assert "a.b: 1  # dotted" in text or "a.b: 1 # dotted" in text
    assert "# nested" in text


def test_dump_commented_keeps_comments_through_roundtrip_edit() -> None:
    text = dump_commented({"lr": 0.1, "depth": 18}, {"lr": "learning rate"})
    data = load_roundtrip(text)
    data["depth"] = 50
    edited = dump_roundtrip(data)
    assert "# learning rate" in edited and "depth: 50" in edited


def _yaml_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**40),
                                                             max_value=10**40),
        st.floats(allow_nan=False), st.text(),
        st.sampled_from(AMBIGUOUS_STRINGS))
    keys = st.one_of(st.text(min_size=0, max_size=12), st.sampled_from(AMBIGUOUS_STRINGS))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


CONFIGS = st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(AMBIGUOUS_STRINGS)),
                          _yaml_values(), max_size=6)


@settings(max_examples=300, deadline=None)
@given(CONFIGS)
def test_dump_text_round_trips_through_both_loaders(data: dict) -> None:
    text = dump_text(data)
    assert load_text(text) == data
    assert yaml.safe_load(text) == data


@settings(max_examples=150, deadline=None)
@given(CONFIGS, st.dictionaries(st.text(max_size=12), st.text(), max_size=4))
def test_dump_commented_round_trips_with_any_help(data: dict, helps: dict) -> None:
    comments = {key: text for key, text in zip(data, helps.values())}
    text = dump_commented(data, comments)
    assert load_text(text) == data
