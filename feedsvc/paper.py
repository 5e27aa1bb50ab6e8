"""What the desk knows of the paper between store reads: its calendar and the dates of its issues.

Held in memory because `max_age` runs on every HTTP request and must not wait on the store, and because most
dates a backfill touches are suspended dates without an issue, which memory answers without a query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from feedsvc.calendar import Calendar
from feedsvc.config import Settings
from feedsvc.decisions import withdrawn_dates
from feedsvc.schedule import label
from feedsvc.store import Store

log = logging.getLogger("feedsvc")


class Paper:
    def __init__(self, settings: Settings, store: Store, now: datetime | None = None) -> None:
        self.settings = settings
        self.store = store
        self.dates = {r.issue_date for r in store.issues()}
        self.public = store.public_dates()  # in the feeds once: never taken out by the calendar
        self.withdrawn = withdrawn_dates(store)  # taken out on purpose (`feedsvc withdraw`)
        self.calendar = self._build_calendar()
        if now is not None:
            self._settle(now)

    def _build_calendar(self) -> Calendar:
        s = self.settings
        return Calendar.build(
            weekdays=s.weekdays, release_time=s.release_time, tz=s.timezone,
            notices=self.store.suspensions(), configured=s.suspensions, on_hand=self.dates,
            grace=timedelta(minutes=s.missing_grace_minutes), cache_cap=timedelta(days=s.max_age_cap_days),
            overdue_max_age=s.overdue_max_age_seconds,
        )

    def _settle(self, now: datetime) -> None:
        """At start, with the settings of this run: release times come from the settings now (an embargo moved
        later holds), and what a suspension or a clock set back would hide stays public, with the reason logged."""
        records = self.store.issues()
        moved = {r.issue_date: at for r in records if r.public_at is None
                 and (at := self.calendar.release_at(r.issue_date)) != r.release_at}
        for day, at in sorted(moved.items()):
            log.info("release of the %s issue set to %s by the release time setting", day,
                     at.astimezone(self.calendar.tz).isoformat(timespec="minutes"))
        if moved:
            self.store.reschedule(moved)
            records = self.store.issues()
        # A store from before the public mark: what the feeds held by the rules of the time is public.
        if not self.public:
            held = self.withheld()
            self.mark_public([r.issue_date for r in records
                              if r.release_at <= now and (r.forced or r.issue_date not in held)], now)
        self.keep_public(self.calendar.suspended_dates() & self.public, "it was public before the suspension")
        ahead = sorted((r.issue_date, r.public_at) for r in records if r.public_at is not None and r.public_at > now)
        if ahead:  # one line, not one per issue: a clock set back a day can be behind a whole backfill
            named = ", ".join(f"the {day} issue went public ({at.isoformat(timespec='seconds')})"
                              for day, at in ahead[-3:])
            more = f" and {len(ahead) - 3} earlier ones" if len(ahead) > 3 else ""
            log.warning("the clock (%s) is before %s%s: %s public", now.isoformat(timespec="seconds"), named,
                        more, "it stays" if len(ahead) == 1 else "they stay")

    def keep_public(self, days: Iterable[date], why: str) -> None:
        """Log each public issue that a suspension now covers: it stays in the feeds."""
        for day in sorted(set(days) & self.public):
            notice = self.calendar.suspension_for(day)
            log.warning("%s issue stays public although %s suspends it: %s", day,
                        label(notice) if notice else "a suspension", why)

    def reload_calendar(self) -> set[date]:
        """Rebuild the calendar from the store's notices; returns the dates whose suspension changed."""
        before = self.calendar.suspended_dates()
        self.calendar = self._build_calendar()
        changed = set(before ^ self.calendar.suspended_dates())
        self.keep_public(changed & self.calendar.suspended_dates(), "it was public before the notice")
        return changed

    def catch_up(self) -> None:
        """Catch up with what another process (`feedsvc ingest`, `release`) wrote to the store meanwhile."""
        if self.store.issue_count() != len(self.dates):
            self.dates = {r.issue_date for r in self.store.issues()}
            self.public = self.store.public_dates()
            self.withdrawn = withdrawn_dates(self.store)
            self.calendar = self._build_calendar()

    def is_public(self, day: date, now: datetime) -> bool:
        """Whether the issue of `day` belongs in the feeds at `now`: once public, always; else released, and not
        held on a suspension. A withdrawn issue is not (until a later edition brings it back)."""
        if day in self.withdrawn:
            return False
        if day in self.public:
            return True
        if day not in self.dates:
            return False
        record = self.store.issue(day)
        if record is None or record.release_at > now:
            return False
        return record.forced or day not in self.calendar.suspended_dates()

    def public_days(self, now: datetime) -> list[date]:
        """Every issue in the feeds at `now`, oldest first (the store is asked only about the few not public yet)."""
        return sorted(day for day in self.dates if self.is_public(day, now))

    def in_feeds(self, day: date) -> bool:
        """Whether the feeds hold the issue of `day` (freshness follows this, not whether the issue exists)."""
        return day in self.public and day not in self.withdrawn

    def mark_public(self, days: Iterable[date], now: datetime) -> None:
        new = set(days) - self.public
        if new:
            self.store.mark_public(new, now)
            self.public |= new

    def withheld(self) -> frozenset[date]:
        """Issues the feeds leave out: held on a suspension (most suspended dates have no issue to hold)."""
        return (self.calendar.suspended_dates() & self.dates) - self.public
