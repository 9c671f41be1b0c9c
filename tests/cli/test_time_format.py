"""The creation times `ls` prints: one formatter for a whole listing gives what format_time gives each."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pyruns_tui.humanize import TimeFormatter, format_time
from pyruns_tui.workspace.model import now_iso


def test_a_listing_formatter_says_what_format_time_says_of_every_timestamp() -> None:
    now = datetime(2026, 12, 4, 23, 30, tzinfo=timezone.utc)
    isos = [
        "2026-12-04T23:29:51.032+00:00", "2026-12-04T23:29:01.999+00:00",  # one minute: one result
        "2026-12-03T23:29:51.032+00:00",  # yesterday, same clock time
        "2026-12-05T00:10:00.000+01:00",  # another offset: dates compared where it was written
        "2026-12-04T20:10:00.000-05:00",  # the 5th in UTC, the 4th where it was written
        "2026-12-04T23:29:51+00:00", "2026-12-04T23:29:51.032", "2026-12-04 23:29:51.032+00:00",
        "not a time", "", None, now_iso(),
    ]
    formatter = TimeFormatter(now)
    for iso in isos * 2:  # twice: the second answers come from what it kept
        assert formatter(iso) == format_time(iso, now=now), iso
    assert formatter("2026-12-04T23:29:51.032+00:00") == "23:29"
    assert formatter("2026-12-03T23:29:51.032+00:00") == "12-03 23:29"


def test_format_time_compares_dates_where_the_time_was_written() -> None:
    """A `now` in another offset is moved to the timestamp's offset before the dates are compared."""
    late = "2026-12-04T23:50:00.000-05:00"  # the 5th, 04:50 in UTC
    now = datetime(2026, 12, 5, 4, 59, tzinfo=timezone.utc)  # still the 4th at -05:00
    assert format_time(late, now=now) == "23:50"
    assert format_time(late, now=now + timedelta(days=1)) == "12-04 23:50"
