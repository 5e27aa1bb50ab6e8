"""What the desk knows of the paper between store reads: its calendar and the dates of its issues.

Held in memory because `max_age` runs on every HTTP request and must not wait on the store, and because most
dates a backfill touches are suspended dates without an issue, which memory answers without a query.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from feedsvc.calendar import Calendar
from feedsvc.config import Settings
from feedsvc.store import Store


class Paper:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.dates = {r.issue_date for r in store.issues()}
        self.calendar = self._build_calendar()

    def _build_calendar(self) -> Calendar:
        s = self.settings
        return Calendar.build(
            weekdays=s.weekdays, release_time=s.release_time, tz=s.timezone,
            notices=self.store.suspensions(), configured=s.suspensions, on_hand=self.dates,
            grace=timedelta(minutes=s.missing_grace_minutes), cache_cap=timedelta(days=s.max_age_cap_days),
            overdue_max_age=s.overdue_max_age_seconds,
        )

    def reload_calendar(self) -> set[date]:
        """Rebuild the calendar from the store's notices; returns the dates whose suspension changed."""
        before = self.calendar.suspended_dates()
        self.calendar = self._build_calendar()
        return set(before ^ self.calendar.suspended_dates())

    def catch_up(self) -> None:
        """Catch up with what another process (`feedsvc ingest`, `release`) wrote to the store meanwhile."""
        if self.store.issue_count() != len(self.dates):
            self.dates = {r.issue_date for r in self.store.issues()}
            self.calendar = self._build_calendar()

    def is_public(self, day: date, now: datetime) -> bool:
        """Whether the issue of `day` belongs in the feeds at `now`: released, and not held on a suspension."""
        if day not in self.dates:
            return False
        record = self.store.issue(day)
        if record is None or record.release_at > now:
            return False
        return record.forced or day not in self.calendar.suspended_dates()

    def withheld(self) -> frozenset[date]:
        """Issues the feeds leave out: held on a suspension (most suspended dates have no issue to hold)."""
        return self.calendar.suspended_dates() & self.dates
