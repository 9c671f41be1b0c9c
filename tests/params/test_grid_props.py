"""Property tests of the grid grammar: count, order, ranges, literals, and fuzzing."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pyruns_tui.errors import GridError
from pyruns_tui.params.grid import (
    count_grid,
    escape_literal,
    is_grid_value,
    parse_field,
    parse_grid,
)

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6).filter(
    lambda w: w not in ("true", "false", "null", "nan", "inf"))
ITEM_VALUES = st.one_of(st.integers(-1000, 1000), WORDS)
KEYS = st.text(alphabet="abcdefghij", min_size=1, max_size=3)


def _field_text(values: list[Any]) -> str:
    return " | ".join(str(v) for v in values)


@st.composite
def grids(draw: st.DrawFn) -> tuple[dict, list[tuple[tuple[str, ...], list[Any]]],
                                    list[tuple[tuple[str, ...], list[Any]]]]:
    """A random batch config plus the expected product and zip fields (path, values)."""
    config: dict = {}
    product: list[tuple[tuple[str, ...], list[Any]]] = []
    zipped: list[tuple[tuple[str, ...], list[Any]]] = []
    zip_len = draw(st.integers(1, 4))
    keys = draw(st.lists(KEYS, min_size=1, max_size=6, unique=True))
    for key in keys:
        kind = draw(st.sampled_from(["product", "range", "zip", "plain", "nested"]))
        if kind == "product":
            values = draw(st.lists(ITEM_VALUES, min_size=2, max_size=4))
            config[key] = _field_text(values)
            product.append(((key,), values))
        elif kind == "range":
            start, size, step = draw(st.integers(-50, 50)), draw(st.integers(1, 5)), \
                draw(st.sampled_from([1, 2, 3, -1, -2]))
            config[key] = f"{start}:{start + size * step}:{step}"
            product.append(((key,), list(range(start, start + size * step, step))))
        elif kind == "zip":
            values = draw(st.lists(ITEM_VALUES, min_size=zip_len, max_size=zip_len))
            if zip_len == 1:
                values = [0]
                config[key] = "(0:1)"
            else:
                config[key] = f"({_field_text(values)})"
            zipped.append(((key,), values))
        elif kind == "plain":
            config[key] = draw(st.one_of(st.integers(), WORDS, st.none()))
        else:
            inner_values = draw(st.lists(ITEM_VALUES, min_size=2, max_size=3))
            config[key] = {"inner": _field_text(inner_values), "fixed": 1}
            product.append(((key, "inner"), inner_values))
    return config, product, zipped


def _expected(config: dict, product: list, zipped: list) -> list[dict]:
    zip_len = len(zipped[0][1]) if zipped else 1
    out = []
    for combo in itertools.product(*(values for _, values in product)):
        for z in range(zip_len):
            task = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()}
            for (path, _), value in zip(product, combo):
                _set(task, path, value)
            for path, values in zipped:
                _set(task, path, values[z])
            out.append(task)
    return out


def _set(task: dict, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        task = task[key]
    task[path[-1]] = value


@settings(max_examples=300, deadline=None)
@given(grids())
def test_count_matches_expansion_and_order_is_last_product_field_fastest(grid: tuple) -> None:
    config, product, zipped = grid
    spec = parse_grid(config, max_tasks=10**9)
    expanded = list(spec.expand())
    assert spec.count == len(expanded) == count_grid(config)
    assert expanded == _expected(config, product, zipped)


@settings(max_examples=300, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6),
       st.integers(-10**5, 10**5).filter(bool))
def test_int_range_equals_python_range(start: int, stop: int, step: int) -> None:
    expected = list(range(start, stop, step))
    assume(len(expected) <= 10000)
    text = f"{start}:{stop}:{step}"
    if expected:
        assert parse_field(text, "x") == expected
    else:
        with pytest.raises(GridError, match="x: empty range"):
            parse_field(text, "x")


DECIMALS = st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False,
                       allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(DECIMALS, st.integers(1, 200), st.decimals(min_value=Decimal("0.001"),
                                                  max_value=100, places=3),
       st.booleans())
def test_float_range_values_are_exact_decimal_steps(start: Decimal, n: int, step: Decimal,
                                                    down: bool) -> None:
    if down:
        step = -step
    stop = start + n * step
    text = f"{start}:{stop}:{step}"
    values = parse_field(text, "x")
    assert values == [float(start + i * step) for i in range(n)]
    assert all(isinstance(v, float) for v in values or [])


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_escape_literal_round_trips_any_text(text: str) -> None:
    escaped = escape_literal(text)
    values = parse_field(escaped, "x")
    assert values is None and escaped == text or values == [text]
    assert parse_grid({"x": escaped}).count == 1
    assert next(parse_grid({"x": escaped}).expand()) == {"x": text}


SYNTAX = st.text(alphabet="|'\"()[]{}:\\ ,.-+e0123456789abnulyx~#\n\t", max_size=40)


def _fuzz(text: str) -> None:
    try:
        spec = parse_grid({"x": text, "m": {"y": text}}, max_tasks=5000)
    except GridError as exc:
        assert "\n" not in str(exc)
    else:
        assert spec.count == len(list(spec.expand()))
    flag = is_grid_value(text)
    try:
        values = parse_field(text, "x")
    except GridError:
        assert flag
    else:
        assert flag == (values is not None)
    escape_literal(text)


@pytest.mark.timeout(60)
@settings(max_examples=1500, deadline=None)
@given(SYNTAX)
def test_fuzz_syntax_heavy_text_only_raises_grid_error(text: str) -> None:
    _fuzz(text)


@pytest.mark.timeout(60)
@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_any_text_only_raises_grid_error(text: str) -> None:
    _fuzz(text)


@pytest.mark.timeout(60)
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["1e999999999", "0", "1e-999999", "9" * 500, "-1", ".5",
                                 "1e300", "1e-400", "0e99999999", "5"]), min_size=2,
                max_size=3))
def test_fuzz_extreme_range_numbers_never_hang(parts: list[str]) -> None:
    _fuzz(":".join(parts))
