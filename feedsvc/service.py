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

from feedsvc import decisions, freshness, ondemand
from feedsvc import ledger as ledger_view
from feedsvc import status as status_view
from feedsvc.accounts import Accounts, Backoff
from feedsvc.clock import Clock
from feedsvc.config import Settings
from feedsvc.events import Bus, Event, IssueHeld, IssueMissing, IssueReceived, IssueScheduled, IssueWithdrawn
from feedsvc.ledger import Ledger
from feedsvc.paper import Paper
from feedsvc.publication import Publication
from feedsvc.releases import Releases
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
        self.ledger = Ledger(settings.database)
        self.releases = Releases(store, paper, self.ledger)
        self.accounts = Accounts(settings, clock, store, self.ledger, paper, publication, self.releases, self._emit)
        self._publish_retry = Backoff()
        self.gone = self._gone_paths()  # paths under public/ answering 410 Gone: the withdrawn issues' pages

    # --- reactions (subscribed in feedsvc.wiring) ----------------------------------------------------------

    def hold_if_suspended(self, event: IssueReceived) -> None:
        reason = self.paper.calendar.hold_reason(event.issue_date)
        record = self.store.issue(event.issue_date)
        if reason and record is not None and not record.forced:
            how = f"held until an editor runs `feedsvc release {event.issue_date}`"
            self._emit([IssueHeld(event.issue_date, f"{reason}; {how}")], record=True)

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

    def ingest(self, path: Path, *, publish: bool = True, inbox: Path | None = None, live: bool = False) -> bool:
        """Take one inbox file: account for it (feedsvc.accounts), and with `publish` publish. Returns whether
        the store changed.

        The caller (watcher, CLI) never sees an exception for bad input, and the user's file is left as it is.
        `live`: the file comes from an event now (the editor's latest act), not from a catch-up or a backfill.
        With `publish=False` the changes wait for the next publication, which is how a flood of files is
        published once instead of once per file.
        """
        with self._lock:
            changed = self.accounts.take(path, inbox or self.settings.inbox, live=live)
            if changed:
                self._on_schedule_change()
            if publish and self.publication.has_stale:
                self.publication.publish_or_report()
            return changed

    def retry_waiting(self) -> None:
        """Try again what a failure of the machine held back, when its next try is due: the files waiting,
        then a publication that failed (without waiting for the tick or another drop)."""
        if not self.accounts.waiting and self.publication.fault is None:  # the usual case: nothing to do
            return
        with self._lock:
            for waiting in self.accounts.due():
                self.ingest(waiting.path, inbox=waiting.inbox, live=True)
            if self.publication.fault is None:
                self._publish_retry = Backoff()
            elif self._publish_retry.due():
                self.publication.publish_or_report()
                if self.publication.fault is not None:
                    self._publish_retry.failed()

    def release(self, day: date) -> Event:
        """Operator's decision: the paper did appear on a suspended date; publish that issue (at its release time
        if that is still to come). Refused, naming the issue's state, for any other issue."""
        with self._lock:
            refusal = self.releases.refusal(day, self.clock())
            if refusal is not None:
                raise decisions.Refused(refusal)
            event = decisions.force_release(self.store, day, self.clock())
            if isinstance(event, IssueScheduled):  # said in the paper's zone, as at ingestion
                event = IssueScheduled(event.issue_date, event.release_at.astimezone(self.paper.calendar.tz))
            self._emit([event])
            self._on_schedule_change()
            self.publication.mark_stale({day})
            self.publication.publish()
            return event

    def withdraw(self, day: date) -> IssueWithdrawn:
        """Operator's decision: take the issue out of every feed on purpose; its pages answer 410 Gone."""
        with self._lock:
            event = decisions.withdraw(self.store, day, self.clock())
            self._emit([event])
            self.publication.mark_stale({day})  # its items leave the feeds, then their pages go
            self._on_schedule_change()
            self.publication.publish()
            return event

    def on_withdrawal(self, event: IssueWithdrawn | IssueReceived) -> None:
        """Keep what is gone in step: a withdrawal, or a later edition bringing a withdrawn issue back."""
        if isinstance(event, IssueReceived):
            if event.issue_date not in self.paper.withdrawn:
                return
            self.paper.withdrawn.discard(event.issue_date)
        else:
            self.paper.withdrawn.add(event.issue_date)
        self.gone = self._gone_paths()

    def _gone_paths(self) -> frozenset[str]:
        media = self.publication.media
        return decisions.gone_paths(self.store, lambda d: [i.path for i in media.images_of(d).values()])

    def check_missing(self) -> list[date]:
        """Warn once about each expected issue that did not arrive in time: after a downtime, every one of them
        (one log line each), oldest first. Returns the dates newly reported.

        Only issues expected since feedsvc began watching count: a first start, or a backfill of an old archive,
        is no news of a missed issue.
        """
        with self._lock:
            calendar, now = self.paper.calendar, self.clock()
            first = self.store.events(limit=1)
            reported = set(self.store.missing())
            # A gap before the newest issue on hand or before the last report is old news, never a flood.
            latest = next((r.issue_date for r in self.store.issues(limit=10) if r.release_at <= now), None)
            since = max([first[0].at if first else self._started]
                        + [calendar.release_at(d) for d in (latest, max(reported, default=None)) if d is not None])
            days = [d for d in calendar.checkable_between(since, now)
                    if d not in reported and d not in self.paper.dates and self.store.issue(d) is None]
            self._emit([IssueMissing(day) for day in days], record=True)
            return days

    def release_due(self) -> None:
        """Publish issues whose release time has come (run by the release jobs and a safety tick)."""
        with self._lock:
            self._emit(self.releases.came_public(self.clock()), record=True)
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
        """The tick's upkeep of public/: what went missing is rewritten, the index shows the calendar of now."""
        with self._lock:
            self.publication.repair()
            self.publication.refresh_index()

    def write_on_request(self, relative: str) -> bool:
        """A page or archive document asked for that is not in public/: written now if it names something public
        (ondemand.py). A failed write (disk full) is logged and answered as missing; ondemand.Busy when a
        publication holds the desk for longer than a request waits."""
        if not ondemand.could_write(relative):
            return False
        if not self._lock.acquire(timeout=ondemand.WAIT_SECONDS):
            raise ondemand.Busy(relative)
        try:
            return ondemand.write(self.publication, relative)
        except OSError as exc:
            log.error("%s not written on request: %s", relative, exc)
            return False
        finally:
            self._lock.release()

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
        return freshness.max_age(self.paper.calendar, now, changed, self.paper.in_feeds)

    def public_status(self) -> dict[str, Any]:
        """What /status.json shows readers: dates, counts, freshness; no file names or reasons."""
        return status_view.public(self._status())

    def _status(self) -> dict[str, Any]:
        now = self.clock()
        info = status_view.status(self.store, self.paper.calendar, now)
        changed = freshness.file_changed_at(self.settings.public / "rss.xml", now)
        info["max_age_s"] = freshness.max_age(self.paper.calendar, now, changed, self.paper.in_feeds)
        info["websub"] = websub_report.summary(self.settings.database, self.settings.websub)
        return info

    def status(self) -> dict[str, Any]:
        """The operator's status: the reader's, and every file, rejection, hold and withdrawal with its reason."""
        info = self._status()
        info["files"] = self.files()
        # A rejected file whose content was taken since (renamed to a dated name) is no longer rejected.
        rejected = {r["file"] for r in info["files"] if r["state"] == "rejected"}
        seen = {r["file"] for r in info["files"]}
        info["rejected"] = [r for r in info["rejected"] if r["file"] in rejected or r["file"] not in seen]
        info["health"] = self.health() or "ok"
        return info

    def files(self, limit: int = ledger_view.RECENT) -> list[dict[str, Any]]:
        """The ledger as the operator reads it: the `limit` most recent files, each {"file", "state", "reason",
        "issue_date", ...}; files held back by a failure of the machine first (memory has them when the store
        could not record them)."""
        now = self.clock()
        held = {date.fromisoformat(h["issue_date"]): h["reason"]
                for h in status_view.held(self.store, self.paper.calendar, now)}
        rows = ledger_view.rows_json(self.ledger.recent(limit), held)
        waiting = self.accounts.waiting_rows()
        return [{"file": name, "state": "waiting", "reason": reason, "issue_date": None, "edition": None,
                 "other": None, "warnings": [], "sha256": None, "size": None, "mtime": None, "at": None}
                for name, reason in waiting.items()] + [r for r in rows if r["file"] not in waiting]

    def explain(self, name: str) -> str:
        """One file in one sentence (`feedsvc status --file NAME`)."""
        waiting = self.accounts.waiting_rows()
        if name in waiting:
            return f"{name} is waiting: {waiting[name]}."
        record = self.ledger.get(name)
        if record is None:
            return f"{name} has not been seen in the inbox."
        held = {date.fromisoformat(h["issue_date"]): h["reason"]
                for h in status_view.held(self.store, self.paper.calendar, self.clock())}
        return ledger_view.sentence(ledger_view.rows_json([record], held)[0])

    def health(self) -> str | None:
        """Why the service cannot do its work now (the store or public/ cannot be written), or None."""
        return self.accounts.fault or self.publication.fault

    def close(self) -> None:
        with self._lock:
            self.ledger.close()
            self.publication.slugs.close()
            self.store.close()
