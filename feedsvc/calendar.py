"""The paper's publication calendar: the one place that does date arithmetic on publication days.

It knows the regular weekdays, the release time in the paper's zone and every declared suspension, and answers:
is this date expected, why not, when is the next issue due, how long may a reader cache the feed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from feedsvc.model import Suspension

# Beyond this, a date question has no answer worth waiting for (a paper with every day suspended).
_HORIZON = timedelta(days=800)
# A late issue keeps readers on a short leash for this long after its release time.
_OVERDUE_WINDOW = timedelta(hours=24)


def _span(s: Suspension) -> tuple[date, date]:
    """The period a notice speaks about: its first suspended date to its resume date (or last suspended date)."""
    last = max(s.dates)
    return min(s.dates), max(last, s.resume) if s.resume else last


def effective_suspensions(notices: Iterable[Suspension], configured: Iterable[Suspension] = ()) -> list[Suspension]:
    """Notices in force: a later notice replaces every earlier one whose period overlaps its own.

    Configured suspensions come from the operator and are never replaced.
    """
    dated = sorted((s for s in notices if s.dates), key=lambda s: (s.notice_date or date.min))
    # The kept periods never overlap (each newcomer evicts all it overlaps), so one order by start is also the
    # order by end, and the periods a newcomer overlaps are one slice found by bisection: O(n log n), not O(n²).
    starts: list[date] = []
    ends: list[date] = []
    kept: list[Suspension] = []
    for notice in dated:
        start, end = _span(notice)
        lo, hi = bisect_left(ends, start), bisect_right(starts, end)
        del starts[lo:hi], ends[lo:hi], kept[lo:hi]
        starts.insert(lo, start)
        ends.insert(lo, end)
        kept.insert(lo, notice)
    kept.sort(key=lambda s: s.notice_date or date.min)  # stable: notice order, as before
    return [*kept, *(s for s in configured if s.dates)]


def notice_label(s: Suspension) -> str:
    """How a reason names its notice: `休刊通知 of 2023-09-27`, or the configured notice text."""
    if s.notice_date is None:
        return f"configured suspension {s.notice}".strip()
    return f"休刊通知 of {s.notice_date.isoformat()}"


@dataclass(frozen=True)
class Calendar:
    weekdays: frozenset[int]  # 0 = Monday
    release_time: time
    tz: ZoneInfo
    suspensions: tuple[Suspension, ...] = ()
    grace: timedelta = timedelta(hours=2)
    cache_cap: timedelta = timedelta(days=7)
    overdue_max_age: int = 300

    @classmethod
    def build(
        cls,
        *,
        weekdays: Collection[int],
        release_time: time,
        tz: ZoneInfo,
        notices: Iterable[Suspension] = (),
        configured: Iterable[Suspension] = (),
        grace: timedelta = timedelta(hours=2),
        cache_cap: timedelta = timedelta(days=7),
        overdue_max_age: int = 300,
    ) -> Calendar:
        return cls(
            frozenset(weekdays), release_time, tz, tuple(effective_suspensions(notices, configured)),
            grace, cache_cap, overdue_max_age,
        )

    # --- dates -------------------------------------------------------------------------------------------

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def is_publication_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays

    @cached_property
    def _by_day(self) -> dict[date, Suspension]:
        by_day: dict[date, Suspension] = {}
        for s in self.suspensions:
            for day in s.dates:
                held = by_day.get(day)
                if held is None or (s.notice_date or date.min) > (held.notice_date or date.min):
                    by_day[day] = s
        return by_day

    def suspension_for(self, day: date) -> Suspension | None:
        """The notice in force that declares `day` suspended (the latest one, if several do)."""
        return self._by_day.get(day)

    def is_expected(self, day: date) -> bool:
        return self.is_publication_day(day) and self.suspension_for(day) is None

    def suspended_dates(self) -> frozenset[date]:
        return self._suspended_dates

    @cached_property
    def _suspended_dates(self) -> frozenset[date]:
        return frozenset(self._by_day)

    def hold_reason(self, day: date) -> str | None:
        """Why an issue of `day` must not be published, or None if it may."""
        notice = self.suspension_for(day)
        if notice is None:
            return None
        return f"{day.isoformat()} is a declared suspension date ({notice_label(notice)})"

    def release_at(self, day: date) -> datetime:
        """When the issue of `day` appears in the feeds: its date at release time, in the paper's zone."""
        return datetime.combine(day, self.release_time, tzinfo=self.tz)

    def expected_dates(self, start: date, *, step: int = 1) -> Iterator[date]:
        """Expected publication dates from `start` (inclusive), forwards (step 1) or backwards (step -1)."""
        day = start
        for _ in range(_HORIZON.days):
            if self.is_expected(day):
                yield day
            day += timedelta(days=step)

    def next_expected(self, now: datetime) -> date | None:
        """The first expected issue whose release time is still ahead of `now`."""
        return next((d for d in self.expected_dates(self.today(now)) if self.release_at(d) > now), None)

    def last_expected(self, now: datetime) -> date | None:
        """The most recent expected issue whose release time has passed."""
        return next((d for d in self.expected_dates(self.today(now), step=-1) if self.release_at(d) <= now), None)

    def missing_check_at(self, day: date) -> datetime:
        return self.release_at(day) + self.grace

    def last_checkable(self, now: datetime) -> date | None:
        """The most recent expected date whose missing-issue check time has passed."""
        return next(
            (d for d in self.expected_dates(self.today(now), step=-1) if self.missing_check_at(d) <= now), None
        )

    def next_check(self, now: datetime) -> date | None:
        """The next expected date whose missing-issue check is still ahead of `now`."""
        start = self.today(now - self.grace)
        return next((d for d in self.expected_dates(start) if self.missing_check_at(d) > now), None)

    def current_break(self, now: datetime) -> Suspension | None:
        """The declared suspension the paper is in: its next regular publication day is suspended."""
        day = self.today(now)
        if self.release_at(day) <= now:
            day += timedelta(days=1)
        for _ in range(7):
            if self.is_publication_day(day):
                return self.suspension_for(day)
            day += timedelta(days=1)
        return None

    def break_until(self, now: datetime) -> tuple[date | None, str] | None:
        """During a declared break: when the paper resumes (its notice's date, else the next expected issue)
        and which notice declared it; None when the paper is not on a declared break."""
        notice = self.current_break(now)
        if notice is None:
            return None
        return notice.resume or self.next_expected(now), notice_label(notice)

    # --- caching hints ------------------------------------------------------------------------------------

    def _until_next_release(self, moment: datetime) -> timedelta:
        nxt = self.next_expected(moment)
        if nxt is None:
            return self.cache_cap
        return min(self.release_at(nxt) - moment, self.cache_cap)

    def overdue(self, now: datetime, has_issue: Callable[[date], bool]) -> date | None:
        """The expected issue that is late at `now` (released less than a day ago, not arrived), if any."""
        last = self.last_expected(now)
        if last is None or now - self.release_at(last) >= _OVERDUE_WINDOW or has_issue(last):
            return None
        return last

    def max_age(self, now: datetime, has_issue: Callable[[date], bool]) -> int:
        """Cache-Control max-age at `now`: until the next expected release (capped), short while an issue is late."""
        if self.overdue(now, has_issue) is not None:
            return self.overdue_max_age
        return max(0, int(self._until_next_release(now).total_seconds()))
