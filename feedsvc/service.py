"""The composition root: the only module that wires watch → parse → events → store → publish → serve.

Read top to bottom, `Service._wire` is the whole flow: which event leads to which reaction.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from feedsvc import status as status_view
from feedsvc.calendar import Calendar
from feedsvc.clock import Clock, system_clock
from feedsvc.config import Settings
from feedsvc.errors import ParseError
from feedsvc.events import (
    Bus,
    Event,
    IssueHeld,
    IssueMissing,
    IssueReceived,
    IssueRejected,
    ItemPublished,
    ItemUpdated,
    ItemWithdrawn,
    SuspensionDeclared,
    SuspensionWithdrawn,
)
from feedsvc.intake import read_inbox_file
from feedsvc.parse import parse_issue
from feedsvc.publish import FeedTiming, IndexView, Publisher, Site
from feedsvc.store import Store

log = logging.getLogger("feedsvc")

INDEX_ISSUES = 30
# In the data folder: the id of the last logged event whose effects public/ shows. Events after it (the
# process died between an ingestion's commit and its publication) are published again at start. Written in
# place: a write cut short leaves a prefix of the digits (a smaller id: more is replayed) or nothing (all is).
PUBLISHED_MARK = "published-through"


# Line breaks and other controls in a value (a file may be named "x\nIssueReceived ...") would split one
# event over several lines, or forge one.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value: object) -> str:
    return _CONTROLS.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), str(value))


def log_event(event: Event) -> None:
    """One log line per event, so `journalctl -u feedsvc` reads as the paper's history."""
    level = logging.WARNING if isinstance(event, IssueRejected | IssueMissing | IssueHeld) else logging.INFO
    if not log.isEnabledFor(level):  # a quiet backfill logs nothing: don't format 80,000 lines for nobody
        return
    values = event.to_dict()
    fields = " ".join(f"{k}={_one_line(v)}" for k, v in values.items())
    log.log(level, "%s %s", event.name, fields, extra={"event": event.name, "fields": values})


def publisher_for(settings: Settings, url: str) -> Publisher:
    s = settings
    return Publisher(s.public, Site(s.title, s.description, s.language, url, s.timezone))


class Service:
    """The paper's desk: ingests issue files, keeps the calendar, and keeps public/ in step with the store."""

    def __init__(self, settings: Settings, clock: Clock = system_clock,
                 on_schedule_change: Callable[[], None] = lambda: None) -> None:
        self.settings = settings
        self.clock = clock
        self.store = Store(settings.database)
        self.publisher = self._publisher(settings.site_url)
        self.bus = Bus()
        # One ingestion or publication at a time: the watcher worker, scheduler jobs and the CLI all come here.
        self._lock = threading.RLock()
        # What public/ still lacks: kept until a publication succeeds, so a failed one (disk full) is retried.
        self._dirty: set[date] = set()
        self._withdrawn: set[str] = set()  # item ids whose pages go once no feed links to them
        self._sections: set[str] = set()  # sections a correction took items out of
        self._mark: int | None = None  # the PUBLISHED_MARK last written by this process
        self._started = self._released_through = clock()
        self.calendar = self._load_calendar()
        # Issue dates held in memory: max_age() runs on every HTTP request and must not wait on the store.
        self._dates = {r.issue_date for r in self.store.issues()}
        self._on_schedule_change = on_schedule_change  # the daemon rebuilds its jobs
        self._wire()

    def _publisher(self, url: str) -> Publisher:
        return publisher_for(self.settings, url)

    def set_site_url(self, url: str) -> None:
        """Links follow the address actually served (port 0 binds a port only known at start)."""
        with self._lock:
            self.publisher = self._publisher(url)

    # --- the flow ----------------------------------------------------------------------------------------

    def _wire(self) -> None:
        self.bus.subscribe(Event, log_event)
        self.bus.subscribe(IssueReceived, lambda e: self._dates.add(e.issue_date))
        self.bus.subscribe(IssueReceived, self._hold_if_suspended)
        self.bus.subscribe(SuspensionDeclared, self._reload_calendar)
        self.bus.subscribe(SuspensionWithdrawn, self._reload_calendar)
        for kind in (ItemPublished, ItemUpdated, ItemWithdrawn):
            self.bus.subscribe(kind, self._mark_dirty)

    def _load_calendar(self) -> Calendar:
        s = self.settings
        return Calendar.build(
            weekdays=s.weekdays, release_time=s.release_time, tz=s.timezone,
            notices=self.store.suspensions(), configured=s.suspensions,
            grace=timedelta(minutes=s.missing_grace_minutes), cache_cap=timedelta(days=s.max_age_cap_days),
            overdue_max_age=s.overdue_max_age_seconds,
        )

    def _reload_calendar(self, _event: Event) -> None:
        before = self.calendar.suspended_dates()
        self.calendar = self._load_calendar()
        # Suspension changes move expected dates and holds: the dates that changed are dirty.
        self._dirty.update(before ^ self.calendar.suspended_dates())
        self._on_schedule_change()

    def _hold_if_suspended(self, event: IssueReceived) -> None:
        reason = self.calendar.hold_reason(event.issue_date)
        record = self.store.issue(event.issue_date)
        if reason and record is not None and not record.forced:
            self._emit([IssueHeld(event.issue_date, reason)], record=True)

    def _mark_dirty(self, event: ItemPublished | ItemUpdated | ItemWithdrawn) -> None:
        self._dirty.add(event.issue_date)
        if isinstance(event, ItemWithdrawn):
            self._withdrawn.add(event.item_id)

    def _emit(self, events: Iterable[Event], *, record: bool = False) -> None:
        now = self.clock()
        for event in events:
            if record:
                self.store.record(event, now)
            self.bus.publish(event)

    # --- commands ----------------------------------------------------------------------------------------

    def ingest(self, path: Path, *, publish: bool = True, inbox: Path | None = None) -> bool:
        """Take one inbox file: parse, store and (with `publish`) publish. Returns whether the store changed.

        The one place that turns a bad file into IssueRejected: the caller (watcher, CLI) never sees an exception
        for bad input, and the user's file is left as it is. With `publish=False` the changes wait for the next
        publication, which is how a flood of files is published once instead of once per file.
        """
        with self._lock:
            changed = self._take(path, inbox or self.settings.inbox)
            if publish and self._dirty:
                self._publish_or_report()
            return changed

    def _take(self, path: Path, inbox: Path) -> bool:
        now = self.clock()
        try:
            intake = read_inbox_file(path, inbox, self.settings.max_file_bytes)
        except ParseError as exc:
            self._emit(self.store.reject(file=exc.source, reason=exc.reason, sha256=None, now=now))
            return False
        if self.store.known(intake.sha256):
            return False
        try:
            issue = parse_issue(intake.data, intake.name, weekdays=self.settings.weekdays)
        except ParseError as exc:
            self._emit(self.store.reject(file=intake.name, reason=exc.reason, sha256=intake.sha256, now=now))
            return False
        self._sections.update(self.store.sections_of(issue.issue_date))  # before: a correction may move items
        events = self.store.apply_issue(
            issue, file=intake.name, sha256=intake.sha256, mtime=intake.mtime, now=now,
            release_at=self.calendar.release_at(issue.issue_date),
        )
        for warning in issue.warnings:
            log.warning("%s: %s", intake.name, warning)
        self._emit(events)
        if events:
            self._on_schedule_change()
        return bool(events)

    def release(self, day: date) -> None:
        """Operator's decision: the paper did appear on a suspended date; publish that issue."""
        with self._lock:
            self._emit(self.store.force_release(day, self.clock()))
            self._dirty.add(day)
            self.publish()

    def check_missing(self) -> date | None:
        """Warn once about the most recent expected issue that did not arrive in time (never a flood).

        Only issues expected since feedsvc began watching count: a first start, or a backfill of an old archive,
        is no news of a missed issue.
        """
        with self._lock:
            day = self.calendar.last_checkable(self.clock())
            if day is None or self.store.issue(day) is not None or day in self.store.missing():
                return None
            first = self.store.events(limit=1)
            if self.calendar.release_at(day) < (first[0].at if first else self._started):
                return None
            self._emit([IssueMissing(day)], record=True)
            return day

    def release_due(self) -> None:
        """Publish issues whose release time has come (run by the release jobs and a safety tick)."""
        with self._lock:
            if self._dirty or self._came_due(self.clock()):  # due releases, or what a failed publication left
                self._publish_or_report()

    def _came_due(self, now: datetime) -> set[date]:
        """Issues released since the last publication: every publication takes them along, whoever runs it."""
        return {r.issue_date for r in self.store.pending(self._released_through) if r.release_at <= now}

    # --- publishing --------------------------------------------------------------------------------------

    def _sync_with_store(self) -> None:
        """Catch up with what another process (`feedsvc ingest`, `release`) wrote to the store meanwhile."""
        if self.store.issue_count() != len(self._dates):
            self._dates = {r.issue_date for r in self.store.issues()}
            self.calendar = self._load_calendar()

    def _is_public(self, day: date, now: datetime) -> bool:
        if day not in self._dates:  # in memory: most dirty dates of a backfill are suspended dates, no issue
            return False
        record = self.store.issue(day)
        if record is None or record.release_at > now:
            return False
        return record.forced or day not in self.calendar.suspended_dates()

    def recover(self, recent: int = 10) -> None:
        """At start: redo what the events logged since the last publication touched, the newest issues and any
        public issue whose page is missing (a crash mid-publish)."""
        with self._lock:
            now = self.clock()
            self._replay_unpublished()
            records = self.store.issues()
            self._dirty.update(r.issue_date for r in records[:recent])
            pages = self.settings.public / "issues"
            self._dirty.update(
                r.issue_date for r in records
                if not (pages / f"{r.issue_date}.html").exists() and self._is_public(r.issue_date, now)
            )
            self._publish_or_report()

    def _replay_unpublished(self) -> None:
        """Mark dirty what the events after the published mark touched."""
        try:
            text = (self.settings.data / PUBLISHED_MARK).read_text()
        except FileNotFoundError:
            text = ""  # never published: everything logged is unpublished (nothing, in a new folder)
        after = int(text) if text.strip().isdigit() else 0
        while events := self.store.events(after=after):
            for event in events:
                day = event.payload.get("issue_date")
                if isinstance(day, str):
                    self._dirty.add(date.fromisoformat(day))
                if event.name == ItemWithdrawn.__name__:
                    self._withdrawn.add(event.payload["item_id"])
            after = events[-1].id

    def _publish_or_report(self) -> None:
        """Publish; a failed write (disk full) is logged, public/ keeps its last good files, the next one retries."""
        try:
            self.publish()
        except OSError as exc:
            log.error("publishing failed, public/ keeps its last good files until the next publication: %s", exc)

    def hand_over(self) -> list[date]:
        """Take the changed issues that are public now off the pending set: their pages are the caller's to write
        (the backfill's page writer). Feeds, sections and the index stay this service's to publish."""
        with self._lock:
            now = self.clock()
            days = sorted(d for d in self._dirty if self._is_public(d, now))
            self._dirty.difference_update(days)
            return days

    def publish(self, *, everything: bool = False, pages: bool = True) -> None:
        """Bring public/ in step with the store: item pages, then the feeds that link to them, then issue pages.

        Pages come before whatever links to them, so a reader never follows a link to a 404; withdrawn items'
        pages go once the feeds no longer link to them. An issue's page is written after its items and the
        feeds: its presence marks the issue as fully published (`recover`). What was pending stays pending
        until this succeeds, so after a failed write (it raises) the next publication catches up.
        `pages=False` writes feeds and the index only (someone else wrote the pages: `hand_over`).
        """
        with self._lock:
            now = self.clock()
            self._sync_with_store()
            self._dirty.update(self._came_due(now))
            through = self.store.last_event_id()
            pending, withdrawn, left = set(self._dirty), set(self._withdrawn), set(self._sections)
            # A full rebuild visits every issue, unless someone else wrote the pages (`hand_over`).
            days = {r.issue_date for r in self.store.issues()} if everything and pages else pending
            self._released_through = now
            # Only withheld dates that hold an issue matter to the queries (most suspended dates have none).
            withheld, limit = self.calendar.suspended_dates() & self._dates, self.settings.feed_items
            latest = self.store.entries(now, limit=1, withheld=withheld)
            timing = FeedTiming(self.calendar.ttl_minutes(latest[0].published if latest else None),
                                self.calendar.skip_days())
            public = [day for day in sorted(days) if self._is_public(day, now)] if pages else []
            # A full rebuild reads one issue at a time (holding every entry of 10,000 issues costs ~150 MB).
            held = {} if everything else {day: self.store.issue_entries(day) for day in public}
            # Every section a changed issue has or had: a withdrawn, moved or newly withheld item must leave it.
            sections = left | (set(self.store.sections()) if everything else set().union(
                *(self.store.sections_of(day) for day in days)
            ))
            self.publisher.durable = not everything  # a full rebuild syncs once at the end instead of per file
            try:
                for day in public:
                    for entry in held.get(day) or self.store.issue_entries(day):
                        self.publisher.publish_item(entry)
                # The main feeds first: they are what most readers (and drop-to-feed) wait for.
                self.publisher.publish_feeds(self.store.entries(now, limit=limit, withheld=withheld), timing)
                for section in sorted(sections):
                    entries = self.store.entries(now, limit=limit, withheld=withheld, section=section)
                    self.publisher.publish_feeds(entries, timing, section=section)
                for item_id in sorted(withdrawn):
                    self.publisher.remove_item(item_id)
                for day in public:
                    self.publisher.publish_issue(day, held.get(day) or self.store.issue_entries(day))
                self.publisher.publish_index(self._index_view(now))
            finally:
                if everything:
                    self.publisher.durable = True
                    os.sync()
            self._dirty.difference_update(pending)
            self._withdrawn.difference_update(withdrawn)
            self._sections.difference_update(left)
            if through != self._mark:
                (self.settings.data / PUBLISHED_MARK).write_text(f"{through}\n")
                self._mark = through

    def refresh_index(self) -> None:
        """The index shows the calendar (next issue, a break): keep it current between publications."""
        with self._lock:
            try:
                self.publisher.publish_index(self._index_view(self.clock()))
            except OSError as exc:
                log.error("index.html not refreshed: %s", exc)

    def _index_view(self, now: datetime) -> IndexView:
        issues = [(r.issue_date, r.item_count) for r in self.store.issues(limit=INDEX_ISSUES * 2)
                  if self._is_public(r.issue_date, now)][:INDEX_ISSUES]
        resume, reason = self.calendar.break_until(now) or (None, None)
        return IndexView(issues, self.store.sections(), self.calendar.next_expected(now), resume, reason)

    # --- what readers and operators see --------------------------------------------------------------------

    def max_age(self) -> int:
        return self.calendar.max_age(self.clock(), self._dates.__contains__)

    def status(self) -> dict[str, Any]:
        return status_view.status(self.store, self.calendar, self.clock())

    def close(self) -> None:
        with self._lock:
            self.store.close()
