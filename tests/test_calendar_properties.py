"""Property tests of the calendar over zones with DST, awkward release times, weekday sets and notices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.calendar import Calendar
from feedsvc.model import Suspension

pytestmark = pytest.mark.slow  # hypothesis, many examples

ZONES = [ZoneInfo(z) for z in ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
                               "America/Santiago", "Asia/Shanghai", "UTC")]
START = date(2024, 1, 1)


def days(lo: int = 0, hi: int = 400) -> st.SearchStrategy[date]:
    return st.integers(lo, hi).map(lambda n: START + timedelta(days=n))


@st.composite
def notices(draw: st.DrawFn) -> Suspension:
    issue = draw(days())
    near = days((issue - START).days - 20, (issue - START).days + 40)
    first = draw(near)
    ranges = draw(st.lists(st.tuples(near, st.integers(0, 10)), max_size=2))
    return Suspension(
        dates=tuple(draw(st.lists(near, max_size=4))),
        resume=draw(st.none() | near),
        declared_count=draw(st.none() | st.integers(0, 6)),
        notice="休刊通知",
        notice_date=issue,
        ranges=tuple((a, a + timedelta(days=n)) for a, n in ranges),
        restored=tuple(draw(st.lists(near, max_size=2))),
        resume_moved_from=draw(st.none() | st.just(first)),
        issue_date=issue,
        edition=draw(st.integers(1, 2)),
    )


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    return Calendar.build(
        weekdays=draw(st.sets(st.integers(0, 6), min_size=1)),
        release_time=draw(st.sampled_from([time(0), time(2, 30), time(23, 59)]) | st.times()),
        tz=draw(st.sampled_from(ZONES)),
        notices=draw(st.lists(notices(), max_size=5)),
        on_hand=draw(st.lists(days(), max_size=3)),
        cache_cap=timedelta(days=draw(st.integers(1, 30))),
    )


instants = st.datetimes(datetime(2024, 1, 1), datetime(2025, 1, 1)).map(lambda t: t.replace(tzinfo=UTC))


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), now=instants, public=st.booleans(), local=st.booleans())
def test_max_age_is_never_negative_nor_past_the_next_release(cal, now, public, local):
    if local:  # a `now` in the paper's own zone must give the same answers as the UTC instant
        now = now.astimezone(cal.tz)
    age = cal.max_age(now, lambda _: public)
    assert age >= 0
    nxt = cal.next_release(now)
    if nxt is not None:
        # In UTC: adding a timedelta to a zoned datetime adds wall-clock time, which is off by the shift across a
        # DST change (Lord Howe's 30 minutes on 2024-04-07 made this fail while max_age was right to the second).
        assert now.astimezone(UTC) + timedelta(seconds=age) <= nxt
        assert nxt > now
    assert age == cal.max_age(now.astimezone(UTC), lambda _: public)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), now=instants)
def test_next_expected_is_never_a_suspended_date(cal, now):
    nxt = cal.next_expected(now)
    if nxt is not None:
        assert nxt not in cal.suspended_dates()
        assert cal.hold_reason(nxt) is None
        assert cal.release_at(nxt) > now
    last = cal.last_expected(now)
    if last is not None:
        assert last not in cal.suspended_dates()
        assert cal.release_at(last) <= now


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), day=days())
def test_a_release_falls_on_its_own_day_in_the_papers_zone(cal, day):
    at = cal.release_at(day)
    assert at.utcoffset() == timedelta(0)
    # In a DST gap the wall time moves forward by the gap, never onto another day for these times.
    assert at.astimezone(cal.tz).date() == day or cal.release_time >= time(23)


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), now=instants, hours=st.integers(1, 24 * 20))
def test_releases_between_are_expected_and_in_order(cal, now, hours):
    found = cal.releases_between(now, now + timedelta(hours=hours))
    assert found == sorted(found)
    assert all(now <= t < now + timedelta(hours=hours) for t in found)
    assert all(cal.is_expected(t.astimezone(cal.tz).date()) for t in found)
    if found:
        assert found[0] == cal.next_release(now - timedelta(microseconds=1))


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), later=notices())
def test_a_later_notice_never_holds_its_own_issue_nor_rewrites_the_past(cal, later):
    """What was expected (and so may be public) before a notice's issue stays as it was: a later notice is history
    there. The issue printing it is never held by it."""
    issue = later.issue_date
    if any(n.issue_date is not None and n.issue_date >= issue for n in cal.notices):
        later = replace(later, issue_date=max(n.issue_date for n in cal.notices if n.issue_date) + timedelta(days=1))
        issue = later.issue_date
    after = replace(cal, notices=(*cal.notices, later))
    assert after.hold_reason(issue) is None or cal.hold_reason(issue) is not None
    past = [issue - timedelta(days=n) for n in range(1, 60)]
    assert [after.hold_reason(d) is None for d in past] == [cal.hold_reason(d) is None for d in past]


@given(printed=st.lists(notices(), max_size=6), configured=st.lists(notices(), max_size=2),
       weekdays=st.sets(st.integers(0, 6), min_size=1))
def test_a_fold_gone_on_from_the_last_one_is_the_fold_from_scratch(printed, configured, weekdays):
    """A backfill reloads the calendar once per notice, in date order: each fold goes on from the last one
    (schedule._last). Whatever order the notices come in, the result is the fold of them all from nothing."""
    from feedsvc import schedule

    operator = [replace(n, issue_date=None, notice_date=None) for n in configured]  # applied after every notice
    for n in range(len(printed) + 1):
        gone_on = schedule.fold([*printed[:n], *operator], weekdays)
    schedule._last = ((), frozenset(), schedule._Fold())
    assert gone_on == schedule.fold([*printed, *operator], weekdays)
