"""Quiet hours in the region's time zone, across midnight and daylight-saving-free Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.quiet_hours import QuietHours

NIGHT = QuietHours.parse("22:00-07:00", "Asia/Shanghai")


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [
        ("2026-11-29T13:59:00", False),  # 21:59 in Shanghai
        ("2026-11-29T14:00:00", True),   # 22:00
        ("2026-11-29T18:30:00", True),   # 02:30
        ("2026-11-29T22:59:00", True),   # 06:59
        ("2026-11-29T23:00:00", False),  # 07:00
        ("2026-11-29T04:00:00", False),  # noon
    ],
)
def test_the_window_is_where_the_resident_lives(utc, quiet):
    assert NIGHT.contains(datetime.fromisoformat(utc).replace(tzinfo=UTC)) is quiet


def test_a_message_held_at_night_goes_at_seven_the_next_morning():
    late = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    assert NIGHT.ends_after(late) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    early = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)  # 04:00 in Shanghai
    assert NIGHT.ends_after(early) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    day = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
    assert NIGHT.ends_after(day) == day


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)))
def test_the_end_of_a_quiet_window_is_never_quiet_and_never_earlier(moment):
    end = NIGHT.ends_after(moment)
    assert end >= moment and not NIGHT.contains(end)


def test_bad_windows_are_refused_and_an_empty_one_is_never_quiet():
    for text in ("22-07", "25:00-07:00", "22:00"):
        with pytest.raises(ValueError, match="22:00-07:00"):
            QuietHours.parse(text, "Asia/Shanghai")
    assert not QuietHours.parse("00:00-00:00", "UTC").contains(datetime(2026, 1, 1, tzinfo=UTC))
