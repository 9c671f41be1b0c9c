"""The batch (grid) grammar of SPEC 2.3: fields, ranges, zip, order, count limit, names."""

from __future__ import annotations

from typing import Any

import pytest

from pyruns_tui.errors import GridError
from pyruns_tui.params.grid import (
    GridSpec,
    count_grid,
    escape_literal,
    expand_grid,
    is_grid_value,
    parse_field,
    parse_grid,
    task_names,
)
from pyruns_tui.params.yamlio import load_text

FIELDS: list[tuple[str, list[Any]]] = [
    # products, typed like YAML scalars
    ("a | b | c", ["a", "b", "c"]),
    ("1 | null | yes", [1, None, "yes"]),
    ("1e-3 | 3e-4 | .5 | 1.", [0.001, 0.0003, 0.5, 1.0]),
    ("true | False | ~", [True, False, None]),
    ("0x10 | 010 | -7", [16, 10, -7]),
    (" spaced | out ", ["spaced", "out"]),
    ("a|b", ["a", "b"]),
    ("[1, 2] | [3]", [[1, 2], [3]]),
    ("{lr: 1, m: [a|b]} | {lr: 2}", [{"lr": 1, "m": ["a|b"]}, {"lr": 2}]),
    ("f(x) | g(y | z)", ["f(x)", "g(y | z)"]),
    # quotes and escapes
    ("'a|b' | c", ["a|b", "c"]),
    ('"a|b" | "c:d"', ["a|b", "c:d"]),
    ("'it''s' | \"q\\\"x\"", ["it's", 'q"x']),
    ("'1:3' | '12:30'", ["1:3", "12:30"]),
    ("'' | x", ["", "x"]),
    ("a\\|b | c", ["a|b", "c"]),
    ("a\\|b", ["a|b"]),
    ("'a|b'", ["a|b"]),
    ("'12:30'", ["12:30"]),
    ("'yes'", ["yes"]),
    # ranges: ints, floats, negatives, exponents, stop excluded
    ("0:5", [0, 1, 2, 3, 4]),
    ("0:10:3", [0, 3, 6, 9]),
    ("-2:2", [-2, -1, 0, 1]),
    ("5:0:-2", [5, 3, 1]),
    ("-1:-5:-1", [-1, -2, -3, -4]),
    ("0.1:0.5:0.1", [0.1, 0.2, 0.3, 0.4]),
    ("0:1:0.25", [0.0, 0.25, 0.5, 0.75]),
    ("0.5:3", [0.5, 1.5, 2.5]),
    ("1:0:-0.3", [1.0, 0.7, 0.4, 0.1]),
    ("1e-3:5e-3:1e-3", [0.001, 0.002, 0.003, 0.004]),
    ("0.3:0.0:-0.1", [0.3, 0.2, 0.1]),
    (" 0 : 3 ", [0, 1, 2]),
    ("12:15", [12, 13, 14]),
    ("1:3 | 10", [1, 2, 10]),
    ("x | 0:2 | 0.5:1:0.25", ["x", 0, 1, 0.5, 0.75]),
    # zip fields list their own values
    ("(1 | 2 | 3)", [1, 2, 3]),
    ("(0:3)", [0, 1, 2]),
    ("( a | 'b|c' )", ["a", "b|c"]),
    ("(0:2 | 9)", [0, 1, 9]),
]


@pytest.mark.parametrize(("text", "values"), FIELDS)
def test_field_expands_to_typed_values(text: str, values: list[Any]) -> None:
    got = parse_field(text, "x")
    assert got == values
    assert [type(v) for v in got or []] == [type(v) for v in values]
    assert is_grid_value(text)


def test_float_range_values_are_exactly_the_decimal_floats() -> None:
    assert parse_field("0.1:0.5:0.1", "x") == [0.1, 0.2, 0.3, 0.4]
    assert parse_field("0:0.35:0.05", "x") == [float(f"0.{i:02d}") for i in range(0, 35, 5)]
    assert parse_field("0.1:0.2:0.01", "x") == [float(f"0.{i}") for i in range(10, 20)]


PLAIN = ["plain", "http://example.com:8080/x", "a:b", "1::2", "1:2:3:4", "12:30:00x",
         "(none)", "(a, b)", "()", "|", " | ", "||", "[1 | 2]", "{a: 1 | 2}", "it's",
         '"a" and "b"', "'a' b", "1e-3", "yes", "", "  ", "path/to/file", "C:\\data"]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_strings_are_not_batch_syntax(text: str) -> None:
    assert parse_field(text, "x") is None
    assert not is_grid_value(text)


@pytest.mark.parametrize("value", PLAIN + [1, 1.5, None, True, [1, 2], ["a | b"], {"a": 1}])
def test_plain_values_are_kept_exactly_not_retyped(value: Any) -> None:
    configs = expand_grid({"x": value, "y": "1 | 2"})
    assert [c["x"] for c in configs] == [value, value]
    assert all(type(c["x"]) is type(value) for c in configs)


ERRORS: list[tuple[str, str]] = [
    ("a | | b", "empty item"),
    ("a |", "empty item"),
    ("| a", "empty item"),
    ("(a | )", "empty item"),
    ("5:0", "empty range"),
    ("0:5:-1", "empty range"),
    ("0:0", "empty range"),
    ("0:5:0", "step must not be 0"),
    ("0.0:1:0.0", "step must not be 0"),
    ("12:30:00", "step must not be 0"),
    ("(a | b) | c", "zip group"),
    ("c | (0:3)", "zip group"),
    ("'tis | b", "unterminated quote"),
    ("'a'b | c", "after a closing quote"),
    ("a | b(", "unclosed bracket"),
    ("[1, 2 | 3", "unclosed bracket"),
    ("(a | b]", "does not match"),
    ("[1, | 2", "unclosed bracket"),
    ("1e400:1e401", "out of range"),
    ("0:1:1e-500", "out of range"),
    ('"\\q" | x', "cannot read item"),
]


@pytest.mark.parametrize(("text", "problem"), ERRORS)
def test_invalid_field_raises_grid_error_naming_key(text: str, problem: str) -> None:
    with pytest.raises(GridError) as info:
        parse_grid({"model": {"lr": text}})
    message = str(info.value)
    assert message.startswith("model.lr: ")
    assert problem in message
    assert "\n" not in message
    assert is_grid_value(text)


def test_parse_field_raises_naming_the_given_key() -> None:
    with pytest.raises(GridError, match=r"^depth: empty range"):
        parse_field("3:1", "depth")


def test_yaml_text_acceptance_examples() -> None:
    config = load_text("x: 0.1:0.5:0.1\n")
    assert [c["x"] for c in expand_grid(config)] == [0.1, 0.2, 0.3, 0.4]
    config = load_text("x: \"'a|b' | c\"\n")
    assert [c["x"] for c in expand_grid(config)] == ["a|b", "c"]
    config = load_text("x: 1 | null | yes\n")
    assert [c["x"] for c in expand_grid(config)] == [1, None, "yes"]
    config = load_text("model: {depth: 18 | 34}\nlr: (0.1 | 0.2)\nseed: (1 | 2)\n")
    assert expand_grid(config) == [
        {"model": {"depth": 18}, "lr": 0.1, "seed": 1},
        {"model": {"depth": 18}, "lr": 0.2, "seed": 2},
        {"model": {"depth": 34}, "lr": 0.1, "seed": 1},
        {"model": {"depth": 34}, "lr": 0.2, "seed": 2},
    ]


def test_zip_lengths_must_match_and_error_names_each_field() -> None:
    with pytest.raises(GridError) as info:
        parse_grid({"lr": "(0.1 | 0.2 | 0.3)", "opt": {"seed": "(1 | 2)"}, "b": "(0:3)"})
    message = str(info.value)
    assert "zip fields must have equal length" in message
    assert "lr has 3 values" in message
    assert "opt.seed has 2 values" in message
    assert "b has 3 values" in message


@pytest.mark.timeout(10)  # building the range first would take far longer
def test_huge_range_is_refused_before_expansion_with_the_count() -> None:
    with pytest.raises(GridError, match="100000000 tasks") as info:
        parse_grid({"x": "0:100000000:1"})
    assert "max_tasks=10000" in str(info.value)
    with pytest.raises(GridError, match="100000000 values"):
        parse_field("0:100000000:1", "x")


def test_count_above_max_tasks_is_refused_with_the_product_count() -> None:
    config = {"a": "0:100", "b": "0:100", "c": "(1 | 2)"}
    with pytest.raises(GridError, match="20000 tasks"):
        parse_grid(config)
    assert parse_grid(config, max_tasks=20000).count == 20000
    assert count_grid(config) == 20000


def test_astronomical_counts_are_refused_without_building_anything() -> None:
    with pytest.raises(GridError, match=r"about 10\^"):
        parse_grid({"a": "0:1e300:1e-300", "b": "0:1e300:1e-300"})
    with pytest.raises(GridError, match="more than 50"):
        parse_field("0:1e300", "x", max_values=50)


def test_product_order_is_document_order_last_field_fastest() -> None:
    configs = expand_grid({"a": "1 | 2", "fixed": 0, "b": "x | y | z"})
    assert [(c["a"], c["b"]) for c in configs] == [
        (1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z")]


def test_zip_group_is_innermost_and_advances_together() -> None:
    configs = expand_grid({"lr": "(1 | 2 | 3)", "a": "p | q", "seed": "(10 | 20 | 30)"})
    assert [(c["a"], c["lr"], c["seed"]) for c in configs] == [
        ("p", 1, 10), ("p", 2, 20), ("p", 3, 30), ("q", 1, 10), ("q", 2, 20), ("q", 3, 30)]


def test_nested_fields_walk_depth_first_in_document_order() -> None:
    config = {"a": "1 | 2", "model": {"depth": "18 | 34", "opt": {"lr": "0.1 | 0.2"}},
              "z": "x | y"}
    spec = parse_grid(config)
    assert spec.varying_keys == ["a", "model.depth", "model.opt.lr", "z"]
    configs = list(spec.expand())
    assert len(configs) == spec.count == 16
    assert configs[0] == {"a": 1, "model": {"depth": 18, "opt": {"lr": 0.1}}, "z": "x"}
    assert configs[1] == {"a": 1, "model": {"depth": 18, "opt": {"lr": 0.1}}, "z": "y"}
    assert configs[2]["model"]["opt"]["lr"] == 0.2
    assert configs[-1] == {"a": 2, "model": {"depth": 34, "opt": {"lr": 0.2}}, "z": "y"}


def test_lists_are_plain_values_and_never_walked() -> None:
    spec = parse_grid({"layers": ["1 | 2", {"a": "x | y"}], "k": "1 | 2"})
    assert spec.varying_keys == ["k"]
    assert [c["layers"] for c in spec.expand()] == [["1 | 2", {"a": "x | y"}]] * 2


def test_non_string_keys_appear_in_dotted_paths() -> None:
    spec = parse_grid({1: {"a": "x | y"}, None: "(1 | 2)"})
    assert spec.varying_keys == ["1.a", "None"]


def test_varying_keys_skip_single_value_fields() -> None:
    spec = parse_grid({"a": "'x|y'", "b": "0:1", "c": "1 | 2", "d": "plain"})
    assert spec.varying_keys == ["c"]
    assert [f.key for f in spec.fields] == ["a", "b", "c"]
    assert list(spec.expand()) == [{"a": "x|y", "b": 0, "c": 1, "d": "plain"},
                                   {"a": "x|y", "b": 0, "c": 2, "d": "plain"}]


def test_config_without_batch_syntax_is_one_task_equal_to_input() -> None:
    config = {"lr": 0.1, "name": "run", "m": {"d": [1, 2]}}
    spec = parse_grid(config)
    assert spec.count == 1 and spec.varying_keys == []
    assert list(spec.expand()) == [config]


def test_empty_config_is_one_empty_task() -> None:
    assert expand_grid({}) == [{}]


def test_expanded_configs_are_independent_copies() -> None:
    config = {"a": "([1] | [2])", "m": {"l": [1, {"x": 1}]}, "z": "(p | q)"}
    spec = parse_grid(config)
    first, second = spec.expand()
    first["m"]["l"][1]["x"] = 99
    first["a"].append(5)
    first["m"]["new"] = 1
    assert second == {"a": [2], "m": {"l": [1, {"x": 1}]}, "z": "q"}
    assert config == {"a": "([1] | [2])", "m": {"l": [1, {"x": 1}]}, "z": "(p | q)"}
    assert next(spec.expand()) == {"a": [1], "m": {"l": [1, {"x": 1}]}, "z": "p"}


def test_spec_is_unaffected_by_later_changes_to_the_input() -> None:
    config = {"a": "1 | 2", "m": {"b": 3}}
    spec = parse_grid(config)
    config["m"]["b"] = 4
    config["a"] = "9"
    assert [c["m"]["b"] for c in spec.expand()] == [3, 3]


def test_expand_is_lazy() -> None:
    spec = parse_grid({"a": "0:100", "b": "0:100"})
    iterator = spec.expand()
    assert next(iterator) == {"a": 0, "b": 0}
    assert next(iterator) == {"a": 0, "b": 1}


def test_parse_grid_refuses_non_mapping() -> None:
    with pytest.raises(GridError, match="mapping"):
        parse_grid(["a | b"])  # type: ignore[arg-type]


def test_grid_spec_is_frozen() -> None:
    spec = parse_grid({"a": "1 | 2"})
    assert isinstance(spec, GridSpec)
    with pytest.raises(AttributeError):
        spec.fields = ()  # type: ignore[misc]


def test_is_grid_value_is_false_for_non_strings() -> None:
    assert not any(is_grid_value(v) for v in (1, 1.5, None, True, ["a | b"], {"a": "1|2"}))


@pytest.mark.parametrize("text", ["plain", "a|b", "'q'", "12:30", "(x | y)", "it's", "|",
                                  "a\\|b", " lead", "0:3", "'tis | x", "[1 | 2]", "''"])
def test_escape_literal_reads_back_as_the_same_single_value(text: str) -> None:
    escaped = escape_literal(text)
    assert parse_field(escaped, "x") in (None, [text])
    if parse_field(escaped, "x") is None:
        assert escaped == text
    assert expand_grid({"x": escaped}) == [{"x": text}]


@pytest.mark.parametrize(("prefix", "count", "names"), [
    ("exp", 3, ["exp_1-of-3", "exp_2-of-3", "exp_3-of-3"]),
    ("exp", 1, ["exp"]),
    ("run", 0, []),
])
def test_task_names_number_tasks_of_n(prefix: str, count: int, names: list[str]) -> None:
    assert task_names(prefix, count) == names


def test_task_names_for_many_tasks_are_unique() -> None:
    names = task_names("g", 10000)
    assert len(set(names)) == 10000 and names[-1] == "g_10000-of-10000"


@pytest.mark.parametrize(("text", "values"), [
    ("007 | 7", ["007", "7"]),
    ("0x10 | 1e-3 | 1_0 | True", ["0x10", "1e-3", "1_0", "True"]),
    ("(007 | x)", ["007", "x"]),
    ("a | b", ["a", "b"]),
    ("'1' | 2", ["1", "2"]),
    ("a\\|b | 3", ["a|b", "3"]),
    ("x | null", ["x", None]),
])
def test_keep_item_texts_keeps_what_a_string_parameter_was_typed(text: str, values: list[object]) -> None:
    # a type=str parameter's grid `007 | 7` gave two tasks both named 7 (and 0x10 gave 16)
    from pyruns_tui.params.grid_field import keep_item_texts

    assert parse_field(keep_item_texts(text), "name") == values


def test_keep_item_texts_leaves_plain_text_ranges_and_bad_grids_alone() -> None:
    from pyruns_tui.params.grid_field import keep_item_texts

    for text in ("007", "1:4", "a | b", "a | | b", "'unclosed | x"):
        assert keep_item_texts(text) == text
