"""The publication calendar: expected days, declared suspensions, release times and caching hints."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from feedsvc.calendar import Calendar
from feedsvc.model import Suspension

TZ = ZoneInfo("Asia/Shanghai")
MWF = (0, 2, 4)

# The seed's notice, written out by hand: 休刊六期 from 9-29, resuming 10-13.
SEED_NOTICE = Suspension(
    dates=tuple(date(2023, m, d) for m, d in ((9, 29), (10, 2), (10, 4), (10, 6), (10, 9), (10, 11))),
    resume=date(2023, 10, 13),
    declared_count=6,
    notice="因中秋节、国庆节放假……",
    notice_date=date(2023, 9, 27),
)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


@pytest.fixture(name="cal")
def _cal() -> Calendar:
    """The seed paper: Mon/Wed/Fri at 06:00 Shanghai time, with the seed's suspension notice."""
    return Calendar.build(weekdays=MWF, release_time=time(6), tz=TZ, notices=[SEED_NOTICE])


def test_next_expected_skips_the_declared_suspension(cal: Calendar) -> None:
    """On 2023-09-28 the next issue is the resume date, not the suspended Friday 09-29."""
    assert cal.next_expected(at(2023, 9, 28, 9)) == date(2023, 10, 13)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2023, 9, 25, 5, 59), date(2023, 9, 25)),  # before Monday's release
        (at(2023, 9, 25, 6, 0), date(2023, 9, 27)),  # at release time the Monday issue is due, not ahead
        (at(2023, 10, 13, 5), date(2023, 10, 13)),
        (at(2023, 10, 13, 7), date(2023, 10, 16)),
    ],
)
def test_next_expected_around_release_time(cal: Calendar, now: datetime, expected: date) -> None:
    assert cal.next_expected(now) == expected


def test_suspended_and_non_publication_days_are_not_expected(cal: Calendar) -> None:
    expected = [d for d in (date(2023, 9, 29) + timedelta(days=n) for n in range(15)) if cal.is_expected(d)]
    assert expected == [date(2023, 10, 13)]


def test_hold_reason_names_the_notice(cal: Calendar) -> None:
    assert cal.hold_reason(date(2023, 10, 4)) == "2023-10-04 is a declared suspension date (休刊通知 of 2023-09-27)"
    assert cal.hold_reason(date(2023, 10, 13)) is None


def test_release_at_is_in_the_papers_zone(cal: Calendar) -> None:
    assert cal.release_at(date(2023, 10, 13)) == datetime(2023, 10, 12, 22, 0, tzinfo=ZoneInfo("UTC"))


def test_current_break_during_the_suspension(cal: Calendar) -> None:
    assert cal.break_until(at(2023, 9, 28, 9)) == (date(2023, 10, 13), "休刊通知 of 2023-09-27")
    assert cal.break_until(at(2023, 10, 12, 9)) is None  # next publication day 10-13 is not suspended
    assert cal.break_until(at(2023, 9, 26, 9)) is None  # 09-27 still appears


def test_missing_checks_never_name_suspended_dates(cal: Calendar) -> None:
    """Between the notice and the resume date, the last checkable expected date stays 09-27."""
    moments = [at(2023, 9, 28) + timedelta(hours=h) for h in range(0, 15 * 24, 5)]
    assert {cal.last_checkable(m) for m in moments} == {date(2023, 9, 27)}


def test_next_check_is_release_plus_grace(cal: Calendar) -> None:
    assert cal.next_check(at(2023, 9, 28, 9)) == date(2023, 10, 13)
    assert cal.missing_check_at(date(2023, 10, 13)) == at(2023, 10, 13, 8)
    assert cal.next_check(at(2023, 10, 13, 7, 59)) == date(2023, 10, 13)
    assert cal.next_check(at(2023, 10, 13, 8, 0)) == date(2023, 10, 16)


def test_max_age_is_capped(cal: Calendar) -> None:
    assert cal.max_age(at(2023, 9, 28, 9), is_public=lambda d: True) == 7 * 24 * 3600


def test_max_age_points_at_the_next_release() -> None:
    cal = Calendar.build(weekdays=MWF, release_time=time(6), tz=TZ, notices=[SEED_NOTICE], cache_cap=timedelta(days=30))
    now = at(2023, 9, 28, 9)
    assert cal.max_age(now, is_public=lambda d: True) == int((at(2023, 10, 13, 6) - now).total_seconds())


def test_max_age_is_short_while_an_expected_issue_is_late(cal: Calendar) -> None:
    now = at(2023, 10, 13, 7)
    assert cal.max_age(now, is_public=lambda d: d != date(2023, 10, 13)) == 300
    assert cal.overdue(now, has_issue=lambda d: False) == date(2023, 10, 13)
    assert cal.overdue(now, has_issue=lambda d: True) is None
    assert cal.max_age(now, is_public=lambda d: True) == int((at(2023, 10, 16, 6) - now).total_seconds())


def test_a_later_notice_replaces_an_earlier_one_for_the_same_period() -> None:
    """The desk first suspends Oct 2 and 4, then decides to appear on the 4th after all."""
    first = Suspension((date(2023, 10, 2), date(2023, 10, 4)), date(2023, 10, 6), 2, "", date(2023, 9, 25))
    later = Suspension((date(2023, 10, 2),), date(2023, 10, 4), 1, "", date(2023, 9, 27))
    cal = Calendar.build(weekdays=MWF, release_time=time(6), tz=TZ, notices=[first, later])
    assert cal.is_expected(date(2023, 10, 4))
    assert not cal.is_expected(date(2023, 10, 2))


def test_non_overlapping_notices_both_stay() -> None:
    a = Suspension((date(2024, 1, 1),), None, 1, "", date(2023, 12, 28))
    b = Suspension((date(2024, 2, 9),), None, 1, "", date(2024, 2, 5))
    cal = Calendar.build(weekdays=MWF, release_time=time(6), tz=TZ, notices=[a, b])
    assert cal.suspended_dates() == {date(2024, 1, 1), date(2024, 2, 9)}


def test_configured_suspensions_count_too() -> None:
    configured = Suspension((date(2024, 2, 9),), date(2024, 2, 14), None, "春节休刊", None)
    cal = Calendar.build(weekdays=MWF, release_time=time(6), tz=TZ, configured=[configured])
    assert not cal.is_expected(date(2024, 2, 9))
    reason = "2024-02-09 is a declared suspension date (configured suspension 春节休刊)"
    assert cal.hold_reason(date(2024, 2, 9)) == reason
    # The resume date says the break lasts until 02-14: Monday 02-12 is inside it.
    assert cal.next_expected(at(2024, 2, 8, 9)) == date(2024, 2, 14)


def test_a_year_crossing_notice() -> None:
    """A notice of late December suspending 1 January (a Monday in 2024)."""
    notice = Suspension((date(2024, 1, 1),), date(2024, 1, 3), 1, "元旦休刊", date(2023, 12, 27))
    cal = Calendar.build(weekdays=MWF, release_time=time(6), tz=TZ, notices=[notice])
    assert cal.next_expected(at(2023, 12, 29, 9)) == date(2024, 1, 3)
    assert cal.last_checkable(at(2024, 1, 2, 9)) == date(2023, 12, 29)
