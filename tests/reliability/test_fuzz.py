"""Fuzzing what the params and logs rooms' own property tests do not reach.

tests/params/test_grid_props.py fuzzes one field's text and tests/logs/test_terminal_fuzz.py
short noisy byte strings. Here: whole nested configs and whole YAML spec texts through
grid + naming (count == len(expand), names valid and unique, only our error types), plain
rendering that must not depend on how the log was chunked, and huge parameters / long lines
that must neither hang nor grow memory. Every example runs under a hard alarm (no hang).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyruns_tui.errors import GridError, PyrunsError
from pyruns_tui.logs.plain import iter_plain_lines
from pyruns_tui.logs.terminal import TerminalModel
from pyruns_tui.params import yamlio
from pyruns_tui.params.grid import count_grid, parse_grid
from pyruns_tui.workspace.generate import plan_tasks
from pyruns_tui.workspace.names import name_problem

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HANG_S = 10


class Hang(Exception):
    pass


@contextmanager
def no_hang(seconds: int = HANG_S) -> Iterator[None]:
    """Fail the example (instead of the whole run) when it takes longer than `seconds`."""
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"took more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


_PIECES = ["a", "b", "1", "2.5", "-3", "1e-3", "0", "10", " | ", "|", "(", ")", "[", "]", "{", "}", ":",
           "::", "'", '"', "\\|", " ", "null", "true", "x y", "0:3", "1:10:2", "0.1:0.5:0.1", "5:1", "1e999"]
FIELD = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8).map("".join)
LEAF = st.one_of(FIELD, st.integers(-5, 5), st.none(), st.booleans(), st.lists(st.integers(0, 3), max_size=3))
KEY = st.text(alphabet="abcdef", min_size=1, max_size=2)
CONFIG = st.recursive(st.dictionaries(KEY, LEAF, min_size=1, max_size=4),
                      lambda inner: st.dictionaries(KEY, st.one_of(LEAF, inner), min_size=1, max_size=4),
                      max_leaves=10)


def _same_shape(template: Any, value: Any) -> bool:
    if isinstance(template, dict):
        return isinstance(value, dict) and template.keys() == value.keys() and all(
            _same_shape(template[k], value[k]) for k in template)
    return True


@FUZZ
@given(config=CONFIG, max_tasks=st.integers(1, 300))
def test_nested_configs_expand_to_their_count_or_raise_one_grid_error(config: dict, max_tasks: int) -> None:
    with no_hang():
        try:
            spec = parse_grid(config, max_tasks=max_tasks)
        except GridError as exc:
            message = str(exc)
            assert message and "\n" not in message
            try:
                total = count_grid(config)
            except GridError:
                return
            assert total > max_tasks, (config, message)  # only an over-large grid may fail then
            assert f"{total:,}" in message or str(total) in message, message
            return
        expanded = list(spec.expand())
        assert spec.count == len(expanded) <= max_tasks
        assert all(_same_shape(config, one) for one in expanded)


_TEXT_PIECES = ["a: ", "b: ", "c:\n  d: ", "\n", "  ", "1 | 2", "(1 | 2)", "(x | y | z)", "0:4", "'q|r'",
                "[1, 2]", "{e: 1}", "&x ", "*x", "<<: *x\n", "- ", "#c", "null", '"s"', "|", ":", "\t", "~"]
SPEC_TEXT = st.lists(st.sampled_from(_TEXT_PIECES), max_size=20).map("".join)


@FUZZ
@given(text=SPEC_TEXT, prefix=st.sampled_from(["p", "run", "学习", "x" * 190]))
def test_spec_text_plans_named_tasks_or_fails_with_our_error(text: str, prefix: str) -> None:
    with no_hang():
        try:
            spec = yamlio.load_text(text, where="spec.yaml")
            if not isinstance(spec, dict):
                return
            plan = plan_tasks(spec, prefix=prefix, max_tasks=100)
        except PyrunsError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        names = [t.name for t in plan.tasks]
        assert plan.count == len(plan.tasks) == len(set(names))
        for name in names:
            problem = name_problem(name)
            # a long prefix may make names too long: create_tasks refuses those with a clear error
            assert problem is None or "at most" in problem, (name, problem)


_LOG_PIECES = [b"\x1b[", b"31m", b"0m", b"1;2H", b"999999999999A", b"99999999999999L", b"2J", b"K", b"\r",
               b"\n", b"\r\n", b"tqdm 50%|####", b"\x1b]0;title\x07", b"\x1b]8;;http://x\x1b\\", b"\xff",
               b"\xe2\x96\x88", b"\x1b7", b"\x1b8", b"\x1bM", b"x" * 300, b"\t", b"\x08", b"\x00"]
LOG = st.lists(st.sampled_from(_LOG_PIECES), max_size=200).map(b"".join)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:])]


@FUZZ
@given(data=LOG, cuts=st.lists(st.integers(0, 100_000), max_size=10))
def test_plain_text_of_a_log_does_not_depend_on_how_it_was_read(data: bytes, cuts: list[int]) -> None:
    with no_hang():
        whole = list(iter_plain_lines(data, height=6, columns=20))
        chunked = list(iter_plain_lines(_split(data, cuts), height=6, columns=20))
    assert chunked == whole


@FUZZ
@given(parts=st.lists(st.one_of(
    st.sampled_from(_LOG_PIECES),
    st.integers(0, 10**30).map(lambda n: b"\x1b[" + str(n).encode() + b"L"),
    st.integers(0, 10**30).map(lambda n: b"\x1b[" + str(n).encode() + b";" + str(n).encode() + b"H"),
    st.integers(1, 200_000).map(lambda n: b"y" * n),
), max_size=30), cuts=st.lists(st.integers(0, 10**6), max_size=6))
def test_huge_parameters_and_long_lines_stay_bounded(parts: list[bytes], cuts: list[int]) -> None:
    data = b"".join(parts)
    model = TerminalModel(columns=80, height=10, max_lines=40, max_line_chars=1000)
    with no_hang():
        for chunk in _split(data, cuts):
            model.feed(chunk)
        model.finish()
    assert model.end_line - model.first_line <= 40
    assert all(len(model.plain_line(n)) <= 1000 for n in range(model.first_line, model.end_line))


@pytest.mark.parametrize("size", [50 * 2**20])
def test_a_50mb_line_streams_through_plain_rendering_whole(size: int) -> None:
    with no_hang(60):
        lines = list(iter_plain_lines(iter([b"z" * (1 << 20)] * (size >> 20))))
    assert sum(map(len, lines)) == size and set("".join(lines[:2])) == {"z"}
