"""The times a record holds are written with `time`, not `datetime` (whose import costs every
command ~2-3 ms): the text must be exactly what datetime's isoformat wrote before, in any zone,
for any instant (readers parse it with `datetime.fromisoformat`, and queue times sort as text)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from pyruns_tui.workspace import model

# UTC; half-hour, quarter-hour and negative offsets; a zone with DST; a historical offset with
# seconds (Monrovia, -0:44:30 until 1972); POSIX strings that need no tz database
ZONES = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin", "Africa/Monrovia",
         "ABC-5:30", "XYZ+0:44:30"]
EDGES = [0.0, 1e9 + 0.9999996, 1e9 + 0.9995, 1_700_000_000.0005, -1e8 + 0.5, -0.0000004, -1.9999996, 2.5e-7,
         63_000_000.0001, 4_102_444_800.123456]


@pytest.fixture(params=ZONES)
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_local_times_are_datetimes_text(zone: str) -> None:
    rng = random.Random(zone)
    for seconds in EDGES + [rng.uniform(-2e9, 4.2e9) for _ in range(3000)]:
        expected = datetime.fromtimestamp(seconds, timezone.utc).astimezone().isoformat(timespec="milliseconds")
        assert model.local_iso(seconds) == expected, seconds


def test_now_is_local_time_to_the_millisecond(zone: str) -> None:
    before = datetime.now(timezone.utc).astimezone()
    text = model.now_iso()
    after = datetime.now(timezone.utc).astimezone()
    parsed = datetime.fromisoformat(text)
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= parsed <= after
    assert text[-6:] == after.isoformat()[-6:]  # the zone's offset, as datetime writes it
    assert len(text) == len(after.isoformat(timespec="milliseconds"))


def test_queue_times_are_one_microsecond_apart_in_utc_across_a_second(zone: str) -> None:
    times = model.queue_times(2_500_000 // 1000)  # 2,500 of them
    first = datetime.fromisoformat(times[0])
    assert times == [(first + timedelta(microseconds=i)).isoformat(timespec="microseconds") for i in range(len(times))]
    assert times == sorted(times) and first.utcoffset() == timedelta(0)
    assert abs(first.timestamp() - time.time()) < 60
    assert os.environ["TZ"] == zone  # (UTC whatever the zone)


def test_queue_times_cross_a_second_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2023, 11, 14, 22, 13, 20, 999_998, tzinfo=timezone.utc)
    monkeypatch.setattr(model.time, "time_ns", lambda: int(start.timestamp()) * 10**9 + 999_998_000)
    assert model.queue_times(4) == [(start + timedelta(microseconds=i)).isoformat(timespec="microseconds")
                                    for i in range(4)]


def test_legacy_epoch_queue_times_read_as_datetime_wrote_them() -> None:
    # records from before ISO queue times hold epoch seconds; read as UTC text, microseconds
    rng = random.Random(7)
    for seconds in [s for s in EDGES if s >= 0] + [rng.uniform(0, 4.2e9) for _ in range(3000)] + [1_700_000_000]:
        expected = datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="microseconds")
        assert model._queue_time(seconds) == expected, seconds


@pytest.mark.parametrize("seconds", [1e20, -1e20, float("inf"), float("nan"), -1.0, 253_402_300_800])
def test_an_epoch_queue_time_that_is_no_time_makes_the_record_invalid(seconds: float) -> None:
    # (1e20 raised OverflowError out of the reader: a traceback from `ls`)
    with pytest.raises(ValueError, match="'queued_at' is not a time"):
        model._queue_time(seconds)
