"""The freshness rule: max-age grows with the quiet since a file changed, bounded by the calendar."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from feedsvc import freshness
from feedsvc.calendar import Calendar
from feedsvc.model import Suspension

TZ = ZoneInfo("Asia/Shanghai")
# The seed's notice: no issue from 2023-09-29 to 10-11, the paper resumes Friday 10-13 at 06:00.
BREAK = Suspension(
    dates=tuple(date(2023, m, d) for m, d in ((9, 29), (10, 2), (10, 4), (10, 6), (10, 9), (10, 11))),
    resume=date(2023, 10, 13), declared_count=6, notice="国庆休刊", notice_date=date(2023, 9, 27),
)
RESUME = datetime(2023, 10, 13, 6, tzinfo=TZ)
ISSUE = datetime(2023, 9, 27, 6, tzinfo=TZ)  # the last issue before the break


def calendar(cap_days: float = 30) -> Calendar:
    return Calendar.build(weekdays=(0, 2, 4), release_time=clock_time(6), tz=TZ, notices=[BREAK],
                          cache_cap=timedelta(days=cap_days))


def has_issue(day: date) -> bool:
    return True


def test_right_after_a_change_readers_come_back_within_ten_minutes() -> None:
    """A correction dropped just after the issue must not wait for the end of the break."""
    now = ISSUE + timedelta(seconds=30)
    age = freshness.max_age(calendar(), now, ISSUE, has_issue)
    assert freshness.MIN_MAX_AGE <= age <= 600


def test_after_three_quiet_days_in_a_break_at_least_a_day_and_never_past_the_resume_release() -> None:
    now = ISSUE + timedelta(days=3)
    age = freshness.max_age(calendar(), now, ISSUE, has_issue)
    assert age >= 24 * 3600
    assert now + timedelta(seconds=age) <= RESUME
    assert age == 36 * 3600  # half of the three quiet days


def test_late_in_a_long_break_the_resume_release_is_the_limit() -> None:
    now = datetime(2023, 10, 11, 6, tzinfo=TZ)  # 14 quiet days; half of them would run to 10-18
    age = freshness.max_age(calendar(), now, ISSUE, has_issue)
    assert now + timedelta(seconds=age) == RESUME


def test_the_configured_cap_wins() -> None:
    now = ISSUE + timedelta(days=10)
    assert freshness.max_age(calendar(cap_days=1), now, ISSUE, has_issue) == 24 * 3600


def test_the_floor_never_runs_past_the_next_release() -> None:
    """Two minutes before a release, nothing may promise five."""
    now = RESUME - timedelta(minutes=2)
    assert freshness.max_age(calendar(), now, now, has_issue) == 120


def test_an_unknown_change_time_counts_as_just_changed() -> None:
    assert freshness.max_age(calendar(), ISSUE + timedelta(days=3), None, has_issue) == freshness.MIN_MAX_AGE


@given(quiet=st.integers(min_value=0, max_value=40 * 86400), offset=st.integers(min_value=0, max_value=30 * 86400))
def test_never_more_than_half_the_quiet_nor_past_the_next_release(quiet: int, offset: int) -> None:
    cal = calendar()
    now = ISSUE + timedelta(seconds=offset)
    age = freshness.max_age(cal, now, now - timedelta(seconds=quiet), has_issue)
    nxt = cal.next_expected(now)
    assert nxt is not None
    assert 0 <= age <= max(freshness.MIN_MAX_AGE, quiet // 2)
    assert now + timedelta(seconds=age) <= cal.release_at(nxt)


def test_a_files_change_time_follows_its_mtime_on_an_offset_clock(tmp_path: Path) -> None:
    """The service's clock may be a replay (FEEDSVC_NOW) running at wall speed: elapsed time is what counts."""
    path = tmp_path / "rss.xml"
    path.write_bytes(b"x")
    wall = time.time()
    os.utime(path, (wall - 3 * 86400, wall - 3 * 86400))
    now = datetime(2023, 10, 1, 12, tzinfo=UTC)
    changed = freshness.file_changed_at(path, now)
    assert changed is not None
    assert abs((now - changed).total_seconds() - 3 * 86400) < 5
    assert freshness.file_changed_at(tmp_path / "missing.xml", now) is None
