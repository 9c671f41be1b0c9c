"""fsio.indented_json (every workspace *.json file and every `--json` output) gives exactly the
text `json.dumps(indent=2, ensure_ascii=False, allow_nan=False)` gives, whatever it is handed."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from pyruns_tui.workspace.fsio import dump_json, indented_json


def deep(levels: int) -> Any:
    value: Any = "bottom"
    for i in range(levels):
        value = {"k": [value, i]}
    return value


class Count(int):
    """An int subclass (as an IntEnum is): not one of the plain types laid out by hand."""


VALUES = [
    {}, [], "", 0, None, True, 1.5, -0.0, 10**30, 1e-7, "text",
    {"name": "t1", "status": "pending", "runs": [], "after": [], "notes": "", "pinned": False},
    {"runs": [{"index": 1, "env": {"PATH": "/usr/bin", "EMPTY": ""}, "gpus": [0, 1], "exit_code": None}]},
    [{"a": 1}, {"b": [1, [2, [3, {}]]]}, [], {}],
    {"unicode": "λ → ✔ 日本", "controls": "\x00\x1b[31m\x7f\u0085\u202e", "quote": "\"\\/"},
    {"nested": {"empty": {}, "list": [[]], "floats": [0.1, 1e300, -2.5e-10]}},
    deep(5), deep(40),  # past the hand layout's depth: json lays it out
    {"count": Count(3)},  # a subclass: json lays it out
    {1: "int key"},  # json turns the key into "1"
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_exactly_what_json_dumps_gives(value: Any) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    assert indented_json(value) == expected
    assert dump_json(value) == (expected + "\n").encode("utf-8")


@pytest.mark.parametrize("value", [math.nan, {"loss": math.inf}, [1, -math.inf]])
def test_no_nan_or_infinity_is_written(value: Any) -> None:
    with pytest.raises(ValueError):
        indented_json(value)


@pytest.mark.parametrize("value", [
    [{"name": "t1", "params": {"lr": 0.1}, "gpus": [0]}],  # plain: laid out as it is
    [{"loss": math.nan, "gain": -math.inf}],  # NaN and infinities become null
    {"pair": (1, 2), 3: "int key", "other": Count(2)},  # what json_safe turns into plain data
])
def test_the_json_rule_is_json_safe_then_json_dumps(value: Any) -> None:
    """`--json` output (metrics.report_format.json_text): the fast path for plain data changes nothing."""
    from pyruns_tui.metrics.report_format import json_safe, json_text

    expected = json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    assert json_text(value) == expected
    assert "NaN" not in expected and "Infinity" not in expected
