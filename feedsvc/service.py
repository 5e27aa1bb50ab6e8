"""The desk: the commands every caller (watcher, scheduled jobs, CLI, backfill) goes through, one at a time.

It takes inbox files in (intake → parse → store, turning bad input into IssueRejected), holds issues declared
suspended, warns about a missing issue, and answers max-age and status. Keeping public/ in step is the
Publication's job; which event leads to which reaction is wired in `feedsvc.wiring`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from feedsvc import freshness, media
from feedsvc import status as status_view
from feedsvc.clock import Clock
from feedsvc.config import Settings
from feedsvc.errors import ParseError
from feedsvc.events import Bus, Event, IssueHeld, IssueMissing, IssueReceived
from feedsvc.intake import read_inbox_file
from feedsvc.paper import Paper
from feedsvc.parse import parse_issue
from feedsvc.publication import Publication
from feedsvc.sanity import date_refusal
from feedsvc.store import Store
from feedsvc.websub import report as websub_report

log = logging.getLogger("feedsvc")


class Service:
    def __init__(self, settings: Settings, clock: Clock, store: Store, paper: Paper, publication: Publication,
                 bus: Bus, on_schedule_change: Callable[[], None] = lambda: None) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.paper = paper
        self.publication = publication
        self.bus = bus
        # One ingestion or publication at a time: the watcher worker, scheduler jobs and the CLI all come here.
        self._lock = threading.RLock()
        self._started = clock()
        self._on_schedule_change = on_schedule_change  # the daemon rebuilds its jobs

    # --- reactions (subscribed in feedsvc.wiring) ----------------------------------------------------------

    def hold_if_suspended(self, event: IssueReceived) -> None:
        reason = self.paper.calendar.hold_reason(event.issue_date)
        record = self.store.issue(event.issue_date)
        if reason and record is not None and not record.forced:
            self._emit([IssueHeld(event.issue_date, reason)], record=True)

    def reload_calendar(self, _event: Event) -> None:
        # Suspension changes move expected dates and holds: the dates that changed are stale.
        self.publication.mark_stale(self.paper.reload_calendar())
        self._on_schedule_change()

    def _emit(self, events: Iterable[Event], *, record: bool = False) -> None:
        now = self.clock()
        for event in events:
            if record:
                self.store.record(event, now)
            self.bus.publish(event)

    # --- commands ------------------------------------------------------------------------------------------

    def ingest(self, path: Path, *, publish: bool = True, inbox: Path | None = None) -> bool:
        """Take one inbox file: parse, store and (with `publish`) publish. Returns whether the store changed.

        The one place that turns a bad file into IssueRejected: the caller (watcher, CLI) never sees an exception
        for bad input, and the user's file is left as it is. With `publish=False` the changes wait for the next
        publication, which is how a flood of files is published once instead of once per file.
        """
        with self._lock:
            if media.is_image_name(path.name):  # a photo for an issue: attached, never parsed or rejected
                changed = self.publication.take_image(path, inbox or self.settings.inbox)
            else:
                changed = self._store_file(path, inbox or self.settings.inbox)
            if publish and self.publication.has_stale:
                self.publication.publish_or_report()
            return changed

    def _store_file(self, path: Path, inbox: Path) -> bool:
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
        refusal = date_refusal(issue.issue_date, now, self.settings)
        if refusal is not None:
            self._emit(self.store.reject(file=intake.name, reason=refusal, sha256=intake.sha256, now=now))
            return False
        # Before storing: a correction may move items out of a section or take them from an author.
        self.publication.note_vacated(self.store.sections_of(issue.issue_date), self.store.authors_of(issue.issue_date))
        events = self.store.apply_issue(
            issue, file=intake.name, sha256=intake.sha256, mtime=intake.mtime, now=now,
            release_at=self.paper.calendar.release_at(issue.issue_date),
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
            self.publication.mark_stale({day})
            self.publication.publish()

    def check_missing(self) -> date | None:
        """Warn once about the most recent expected issue that did not arrive in time (never a flood).

        Only issues expected since feedsvc began watching count: a first start, or a backfill of an old archive,
        is no news of a missed issue.
        """
        with self._lock:
            calendar = self.paper.calendar
            day = calendar.last_checkable(self.clock())
            if day is None or self.store.issue(day) is not None or day in self.store.missing():
                return None
            first = self.store.events(limit=1)
            if calendar.release_at(day) < (first[0].at if first else self._started):
                return None
            self._emit([IssueMissing(day)], record=True)
            return day

    def release_due(self) -> None:
        """Publish issues whose release time has come (run by the release jobs and a safety tick)."""
        with self._lock:
            if self.publication.is_due():
                self.publication.publish_or_report()

    def publish(self, *, everything: bool = False, pages: bool = True) -> None:
        """Bring public/ in step with the store (`Publication.publish`); raises when a write fails."""
        with self._lock:
            self.publication.publish(everything=everything, pages=pages)

    def recover(self) -> None:
        """At start: publish what a crash or another process left unpublished (`Publication.recover`)."""
        with self._lock:
            self.publication.recover()

    def hand_over(self) -> list[date]:
        """The changed issues that are public now, whose pages become the caller's to write."""
        with self._lock:
            return self.publication.hand_over()

    def refresh_index(self) -> None:
        with self._lock:
            self.publication.refresh_index()

    def set_site_url(self, url: str) -> None:
        with self._lock:
            self.publication.set_site_url(url)

    # --- what the scheduler, readers and operators need ----------------------------------------------------

    def schedule(self) -> tuple[list[tuple[date, datetime]], datetime | None]:
        """The pending releases (date, release time) and when to check next for a missing issue."""
        now, calendar = self.clock(), self.paper.calendar
        releases = [(r.issue_date, r.release_at) for r in self.store.pending(now)]
        nxt = calendar.next_check(now)
        return releases, None if nxt is None else calendar.missing_check_at(nxt)

    def max_age(self, last_modified: datetime | None) -> int:
        """Cache lifetime of a served file with this Last-Modified, by the freshness rule."""
        now = self.clock()
        changed = freshness.changed_at(last_modified, now)
        return freshness.max_age(self.paper.calendar, now, changed, self.paper.dates.__contains__)

    def status(self) -> dict[str, Any]:
        now = self.clock()
        info = status_view.status(self.store, self.paper.calendar, now)
        changed = freshness.file_changed_at(self.settings.public / "rss.xml", now)
        info["max_age_s"] = freshness.max_age(self.paper.calendar, now, changed, self.paper.dates.__contains__)
        info["websub"] = websub_report.summary(self.settings.database, self.settings.websub)
        return info

    def close(self) -> None:
        with self._lock:
            self.store.close()
