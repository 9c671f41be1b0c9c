"""The one text of a number (`number_text`): what the Manager, `ls -c`, export and compare show
(that they agree: tests/tui/test_manager_number_text.py)."""

from __future__ import annotations

import math

from pyruns_tui.params.number_text import number_text, too_large_for_float


def test_a_whole_float_keeps_its_point_at_any_number_of_digits() -> None:
    assert [number_text(64.0, d) for d in (None, 6, 4, 1)] == ["64.0", "64.0", "64.0", "6e+01"]
    assert number_text(-2.0, 4) == "-2.0" and number_text(-0.0, 4) == "-0.0"


def test_ints_are_exact_and_a_float_rounded_to_a_whole_number_claims_no_point() -> None:
    assert number_text(123456, 4) == "123456"
    assert number_text(123456.7, 6) == "123457"  # rounded: `123457.0` would say it is exact
    assert number_text(1234.5, 4) == "1234"


def test_non_finite_floats_and_round_trip_form() -> None:
    assert [number_text(v, 4) for v in (math.nan, math.inf, -math.inf)] == ["nan", "inf", "-inf"]
    assert number_text(0.1 + 0.2) == "0.30000000000000004" and number_text(0.1 + 0.2, 6) == "0.3"


def test_a_number_too_large_for_a_float_is_shown_cut_whether_an_int_or_its_text() -> None:
    # the same words for `lr: 1000…0` and `lr: "1000…0"` (400 digits); a short text as it is written
    huge = 10 ** 399
    said = "1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a smaller number)"
    assert too_large_for_float(huge) == too_large_for_float(str(huge)) == too_large_for_float(f" {huge}\n") == said
    assert too_large_for_float(-huge) == too_large_for_float(f"-{huge}")
    assert too_large_for_float("1_" + "0" * 399).startswith("1_" + "0" * 17 + "… (400 digits) is too large")
    assert too_large_for_float("1e400").startswith("1e400 is too large for a float")
    assert too_large_for_float("1" * 30 + "e300").startswith("1" * 19 + "… (34 characters) is too large")
