"""Working days across 国庆节 2025 (off Oct 1–8; make-up working days Sun Sep 28 and Sat Oct 11) and
across the end of the holiday data (2026 → 2027)."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from backend.policy import workdays
from backend.policy.workdays import Count, add_workdays, workday, workdays_between


def test_make_up_working_days_count_and_the_golden_week_does_not() -> None:
    assert workday(date(2025, 9, 27)) == (False, False)  # a Saturday off
    assert workday(date(2025, 9, 28)) == (True, False)  # Sunday, 调休: a working day
    assert all(workday(date(2025, 10, d)) == (False, False) for d in range(1, 9))
    assert workday(date(2025, 10, 11)) == (True, False)  # Saturday, 调休


def test_counting_across_national_day_2025() -> None:
    # Friday + 1 lands on the make-up Sunday, not on Monday.
    assert add_workdays(date(2025, 9, 26), 1) == Count(date(2025, 9, 28))
    # Sep 29, Sep 30, then the holiday (Oct 1–8) is skipped: the third is Thursday Oct 9.
    assert add_workdays(date(2025, 9, 28), 3) == Count(date(2025, 10, 9))
    # Oct 10 (Fri), then the make-up Saturday Oct 11.
    assert add_workdays(date(2025, 10, 9), 2) == Count(date(2025, 10, 11))
    # Ten working days from the last day before the holiday: Sep 30 → Oct 9, 10, 11, 13 … 17, 20, 21.
    assert add_workdays(date(2025, 9, 30), 10) == Count(date(2025, 10, 21))
    assert add_workdays(date(2025, 9, 30), 0) == Count(date(2025, 9, 30))


def test_working_days_between_two_dates() -> None:
    assert workdays_between(date(2025, 9, 30), date(2025, 10, 11)) == (3, False)
    assert workdays_between(date(2025, 10, 11), date(2025, 10, 11)) == (0, False)
    assert workdays_between(date(2025, 10, 11), date(2025, 10, 1)) == (0, False)


def test_past_the_holiday_data_monday_to_friday_is_assumed_and_marked(caplog: pytest.LogCaptureFixture) -> None:
    workdays._warn_once.cache_clear()
    # Within 2026 the count is known.
    assert add_workdays(date(2026, 12, 28), 3) == Count(date(2026, 12, 31))
    with caplog.at_level(logging.INFO, logger="backend.policy.workdays"):
        # Dec 31 (Thu), then Fri Jan 1 2027 counted as a working day (its holiday is not yet known), Mon Jan 4.
        assert add_workdays(date(2026, 12, 30), 3) == Count(date(2027, 1, 4), estimated=True)
        assert add_workdays(date(2027, 3, 1), 5) == Count(date(2027, 3, 8), estimated=True)
        assert workdays_between(date(2026, 12, 30), date(2027, 1, 4)) == (3, True)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1  # logged once, however many counts reach into 2027


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        add_workdays(date(2025, 1, 2), -1)
