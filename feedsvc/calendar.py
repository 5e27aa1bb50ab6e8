"""The paper's publication calendar: the one place that does date arithmetic on publication days.

Time is instants: every question takes an aware `now`, works on UTC instants and uses the paper's zone only to
name days and release times (two datetimes sharing one ZoneInfo compare and subtract as wall times, which is
wrong across a DST change). Expected dates are the weekday pattern, plus announced resume dates and issues on
hand on other days, minus the dates suspended by the schedule in force (feedsvc/schedule.py). Release times are
derived from the settings on every question, never stored.

The API the rest of the service uses: `next_release(now)` (the next expected release instant),
`releases_between(start, end)` (expected release instants in a window), `is_expected(day)`, `hold_reason(day)`,
`max_age(now, is_public)` and `overdue(now, has_issue)`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from feedsvc.model import Suspension
from feedsvc.schedule import Effect, Schedule, fold, label

# Beyond this, a date question has no answer worth waiting for (a paper with every day suspended).
_HORIZON = timedelta(days=800)
# A late issue keeps readers on a short leash for this long after its release time.
_OVERDUE_WINDOW = timedelta(hours=24)


def utc(moment: datetime) -> datetime:
    """`moment` as a UTC instant; a naive time has no place in the calendar."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset; the calendar needs aware times")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Calendar:
    weekdays: frozenset[int]  # 0 = Monday
    release_time: time
    tz: ZoneInfo
    notices: tuple[Suspension, ...] = ()  # every notice in force and the configured suspensions, any order
    on_hand: frozenset[date] = frozenset()  # issue dates in the store off the weekday pattern: expected too
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
        on_hand: Iterable[date] = (),
        grace: timedelta = timedelta(hours=2),
        cache_cap: timedelta = timedelta(days=7),
        overdue_max_age: int = 300,
    ) -> Calendar:
        days = frozenset(weekdays)
        extra = frozenset(d for d in on_hand if d.weekday() not in days)
        return cls(days, release_time, tz, (*notices, *configured), extra, grace, cache_cap, overdue_max_age)

    @cached_property
    def schedule(self) -> Schedule:
        return fold(self.notices, self.weekdays)

    @property
    def effects(self) -> tuple[Effect, ...]:
        """Each notice with what it decided and its warnings, in the order they were applied."""
        return self.schedule.effects

    # --- days --------------------------------------------------------------------------------------------

    def today(self, now: datetime) -> date:
        return utc(now).astimezone(self.tz).date()

    def is_publication_day(self, day: date) -> bool:
        """A day of the regular weekday pattern."""
        return day.weekday() in self.weekdays

    def suspension_for(self, day: date) -> Suspension | None:
        """The notice in force that suspends `day` (the last one to name it), if any."""
        state = self.schedule.days.get(day)
        return self.schedule.effects[state[1]].notice if state is not None and state[0] else None

    def is_announced(self, day: date) -> bool:
        """A resume date in force or an issue on hand: expected even off the weekday pattern."""
        return day in self.schedule.announced or day in self.on_hand

    def is_expected(self, day: date) -> bool:
        state = self.schedule.days.get(day)
        if state is not None and state[0]:
            return False
        return self.is_publication_day(day) or self.is_announced(day)

    def suspended_dates(self) -> frozenset[date]:
        return self._suspended_dates

    @cached_property
    def _suspended_dates(self) -> frozenset[date]:
        return frozenset(day for day, (suspended, _) in self.schedule.days.items() if suspended)

    def hold_reason(self, day: date) -> str | None:
        """Why an issue of `day` must not be published, or None if it may."""
        notice = self.suspension_for(day)
        if notice is None:
            return None
        return f"{day.isoformat()} is a declared suspension date ({label(notice)})"

    def expected_dates(self, start: date, *, step: int = 1) -> Iterator[date]:
        """Expected publication dates from `start` (inclusive), forwards (step 1) or backwards (step -1)."""
        day = start
        for _ in range(_HORIZON.days):
            if self.is_expected(day):
                yield day
            day += timedelta(days=step)

    # --- instants ----------------------------------------------------------------------------------------

    def release_at(self, day: date) -> datetime:
        """The UTC instant at which the issue of `day` appears: its date at release time in the paper's zone.

        A release time inside a DST gap (02:30 on a spring-forward day) is read with the offset before the
        change (PEP 495, fold=0), so it falls one hour later on the new wall clock; an ambiguous one, the first time.
        """
        return datetime.combine(day, self.release_time, tzinfo=self.tz).astimezone(UTC)

    def release_local(self, day: date) -> datetime:
        """release_at in the paper's zone, for people and for the feeds' dates."""
        return self.release_at(day).astimezone(self.tz)

    def next_expected(self, now: datetime) -> date | None:
        """The first expected issue whose release instant is still ahead of `now`."""
        n = utc(now)
        start = self.today(n) - timedelta(days=1)  # a release time late in the day may be before today
        return next((d for d in self.expected_dates(start) if self.release_at(d) > n), None)

    def next_release(self, now: datetime) -> datetime | None:
        """The next expected release instant (UTC) after `now`."""
        day = self.next_expected(now)
        return None if day is None else self.release_at(day)

    def releases_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Expected release instants (UTC) in [start, end)."""
        s, e = utc(start), utc(end)
        out: list[datetime] = []
        for day in self.expected_dates(self.today(s) - timedelta(days=1)):
            at = self.release_at(day)
            if at >= e:
                break
            if at >= s:
                out.append(at)
        return out

    def last_expected(self, now: datetime) -> date | None:
        """The most recent expected issue whose release instant has passed."""
        n = utc(now)
        return next((d for d in self.expected_dates(self.today(n) + timedelta(days=1), step=-1)
                     if self.release_at(d) <= n), None)

    def missing_check_at(self, day: date) -> datetime:
        return self.release_at(day) + self.grace

    def last_checkable(self, now: datetime) -> date | None:
        """The most recent expected date whose missing-issue check time has passed."""
        n = utc(now)
        return next((d for d in self.expected_dates(self.today(n) + timedelta(days=1), step=-1)
                     if self.missing_check_at(d) <= n), None)

    def checkable_between(self, since: datetime, now: datetime) -> list[date]:
        """Every expected date released at or after `since` whose missing-issue check time has passed, oldest first."""
        s, n = utc(since), utc(now)
        out: list[date] = []
        for day in self.expected_dates(self.today(s) - timedelta(days=1)):
            if self.missing_check_at(day) > n:
                break
            if self.release_at(day) >= s:
                out.append(day)
        return out

    def next_check(self, now: datetime) -> date | None:
        """The next expected date whose missing-issue check is still ahead of `now`."""
        n = utc(now)
        start = self.today(n - self.grace) - timedelta(days=1)
        return next((d for d in self.expected_dates(start) if self.missing_check_at(d) > n), None)

    def break_until(self, now: datetime) -> tuple[date | None, str] | None:
        """During a declared break (the next regular publication day is suspended): the date the paper appears
        next under the schedule in force, and the notice that suspends that day. None when not on a break."""
        n = utc(now)
        day = self.today(n)
        if self.release_at(day) <= n:
            day += timedelta(days=1)
        for _ in range(7):
            if self.is_publication_day(day) or self.is_announced(day):
                notice = self.suspension_for(day)
                return None if notice is None else (self.next_expected(n), label(notice))
            day += timedelta(days=1)
        return None

    # --- caching hints ------------------------------------------------------------------------------------

    def _until_next_release(self, moment: datetime) -> timedelta:
        nxt = self.next_release(moment)
        if nxt is None:
            return self.cache_cap
        return min(nxt - utc(moment), self.cache_cap)

    def overdue(self, now: datetime, has_issue: Callable[[date], bool]) -> date | None:
        """The expected issue that is late at `now` (released less than a day ago, not arrived), if any."""
        n = utc(now)
        last = self.last_expected(n)
        if last is None or n - self.release_at(last) >= _OVERDUE_WINDOW or has_issue(last):
            return None
        return last

    def max_age(self, now: datetime, is_public: Callable[[date], bool]) -> int:
        """Cache-Control max-age at `now`: until the next expected release (capped), and short while the last
        expected issue is not public yet, whether it is late or merely not published yet: a feed that does not
        hold the release never advertises the next period's lifetime."""
        n = utc(now)
        until = max(0, int(self._until_next_release(n).total_seconds()))
        if self.overdue(n, is_public) is not None:
            return min(self.overdue_max_age, until)
        return until
