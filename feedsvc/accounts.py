"""What becomes of one inbox file: taken, identical, superseded, rejected, ignored or waiting; and why.

The latest act of the editor wins. A file is evaluated again whenever its name, bytes or ctime are new to the
ledger (a write, `cp -p`, a rename and a touch all change the ctime; a rescan does not). A live event makes the
file the edition in force of its date whatever its mtime, so re-dropping an earlier edition's content brings it
back (items keep their ids, feedsvc.editions). Only a catch-up (start, backfill) compares mtimes: there, a file older
than the edition in force is superseded. Removing a file from the inbox changes nothing.

A failure of the machine (disk full, read-only, out of descriptors) is no verdict on the file: it stays
`waiting` and `due` hands it back for another try, with backoff, until it goes through.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from feedsvc import media
from feedsvc.clock import Clock
from feedsvc.config import Settings
from feedsvc.errors import ParseError, StoreError
from feedsvc.events import Event, FileState, IssueReceived, IssueRejected, ItemPublished
from feedsvc.intake import Intake, display_name, environmental, read_inbox_file
from feedsvc.ledger import FileRecord, Ledger
from feedsvc.model import Issue
from feedsvc.paper import Paper
from feedsvc.parse import parse_issue
from feedsvc.publication import Publication
from feedsvc.releases import Releases
from feedsvc.rows import IssueRecord
from feedsvc.sanity import date_refusal
from feedsvc.store import Store

log = logging.getLogger("feedsvc")

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0

class Emit(Protocol):
    """Service._emit: publish events on the bus; `record` also appends them to the store's event log."""

    def __call__(self, events: Iterable[Event], *, record: bool = False) -> None: ...


@dataclass
class Backoff:
    """When to try again something a failure of the machine held back: after 1 s, 2 s, 4 s … at most a minute
    (monotonic time: the service clock may stand still under FEEDSVC_NOW)."""

    attempts: int = 0
    retry_at: float = 0.0

    def failed(self) -> None:
        self.attempts += 1
        self.retry_at = time.monotonic() + min(FIRST_RETRY_SECONDS * 2 ** (self.attempts - 1), MAX_RETRY_SECONDS)

    def due(self) -> bool:
        return time.monotonic() >= self.retry_at


@dataclass
class Waiting:
    """A file held back by a failure of the machine, and when to try it again."""

    path: Path
    inbox: Path
    reason: str
    backoff: Backoff


class Accounts:
    def __init__(self, settings: Settings, clock: Clock, store: Store, ledger: Ledger, paper: Paper,
                 publication: Publication, releases: Releases, emit: Emit) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.ledger = ledger
        self.paper = paper
        self.publication = publication
        self.releases = releases
        self._emit = emit
        self.waiting: dict[str, Waiting] = {}
        # Issues a backfill parsed ahead on another core (backfill.py), by (file name, sha256 of its bytes): a
        # file changed since is parsed again here.
        self.parsed: dict[tuple[str, str], Issue] = {}
        self.fault: str | None = None  # the store could not be written: /healthz and status say so

    # --- one file -------------------------------------------------------------------------------------------

    def take(self, path: Path, inbox: Path, *, live: bool) -> bool:
        """Account for the file at `path`; returns whether the store changed."""
        name = display_name(path)
        try:
            if media.is_image_name(path.name):  # a photo for an issue: attached, never parsed or rejected
                return self._image(path, inbox)
            intake = read_inbox_file(path, inbox, self.settings.max_file_bytes)
            if self.ledger.unchanged(intake.name, intake.sha256, len(intake.data), intake.ctime_ns):
                return False
            changed = self._evaluate(intake, live=live)
        except ParseError as exc:
            self._reject(exc.source, exc.reason, None)
            changed = False
        except (OSError, StoreError) as exc:
            if not environmental(exc) and not isinstance(exc, StoreError):
                raise
            self._wait(name, path, inbox, exc)
            return False
        if self.waiting.pop(name, None) is not None or self.fault is not None:
            self.fault = None
            log.info("%s went through; the store is writable again", name)
        return changed

    def _evaluate(self, intake: Intake, *, live: bool) -> bool:
        now = self.clock()
        try:
            issue = self.parsed.pop((intake.name, intake.sha256), None) or parse_issue(
                intake.data, intake.name, weekdays=self.settings.weekdays)
        except ParseError as exc:
            self._reject(intake.name, exc.reason, intake)
            return False
        refusal = date_refusal(issue.issue_date, now, self.settings)
        if refusal is not None:
            self._reject(intake.name, refusal, intake)
            return False
        for warning in issue.warnings:
            log.warning("%s: %s", intake.name, warning)
        day = issue.issue_date
        current = self.store.issue(day)
        if current is not None and current.sha256 == intake.sha256:
            if current.file == intake.name:
                self._note(intake, issue, "ingested", f"edition {current.edition} of the {day} issue, in force",
                           edition=current.edition)
            else:
                self._note(intake, issue, "identical",
                           f"same content as {current.file}, the edition in force of {day}; nothing to do",
                           edition=current.edition, other=current.file)
            return False
        if not live and current is not None and intake.mtime < current.mtime:
            self._note(intake, issue, "superseded",
                       f"older than {current.file} (edition {current.edition} of {day}), which stays in force",
                       other=current.file)
            return False
        return self._apply(intake, issue, current, now)

    def _apply(self, intake: Intake, issue: Issue, current: IssueRecord | None, now: datetime) -> bool:
        day = issue.issue_date
        # Before storing: a correction may move items out of a section or take them from an author.
        self.publication.note_vacated(self.store.sections_of(day), self.store.authors_of(day))
        events = self.store.apply_issue(issue, file=intake.name, sha256=intake.sha256, mtime=intake.mtime, now=now,
                                        release_at=self.paper.calendar.release_at(day), latest=True)
        received = next((e for e in events if isinstance(e, IssueReceived)), None)
        if received is None:  # another process stored this very content meanwhile
            return False
        previous = self.ledger.in_force(day)
        reverted = " (an earlier edition's content, in force again)" if self.ledger.with_content(
            intake.sha256, "superseded") else ""
        self._note(intake, issue, "ingested", f"edition {received.edition} of the {day} issue{reverted}",
                   edition=received.edition)
        for record in previous:
            if record.file != intake.name:
                self._state(FileRecord(
                    record.file, "superseded", f"superseded by {intake.name} (edition {received.edition} of {day})",
                    now, record.sha256, record.size, record.mtime, record.ctime_ns, day, record.edition,
                    intake.name, record.warnings))
        # A file rejected once whose content is now taken (renamed to a dated name) is accounted for.
        for record in self.ledger.with_content(intake.sha256, "rejected"):
            if record.file != intake.name:
                self._state(FileRecord(
                    record.file, "superseded", f"its content was taken as {intake.name}", now, record.sha256,
                    record.size, record.mtime, record.ctime_ns, day, None, intake.name, record.warnings))
        stored = self.store.issue(day)
        # Read off the record: the paper learns of a first edition's date only as IssueReceived goes round.
        public = stored is not None and stored.release_at <= now and (
            stored.forced or day not in self.paper.calendar.suspended_dates())
        for event in events:
            if isinstance(event, ItemPublished) and not public:
                self.publication.on_item_event(event)  # its pages are due, but it is not public: no log line
            else:
                self._emit([event])
        # Recorded before the publication that follows, so its published-through mark covers them.
        self._emit(self.releases.after_ingest(day, current is None, now), record=True)
        return True

    def _image(self, path: Path, inbox: Path) -> bool:
        now = self.clock()
        try:
            image = self.publication.take_image(path, inbox)
        except ParseError as exc:
            self._state(FileRecord(exc.source, "ignored", f"an image, not an issue: {exc.reason}", now))
            return False
        self._state(FileRecord(display_name(path), "ingested",
                               f"photo {image.number} of the {image.issue_date} issue", now, size=image.length,
                               issue_date=image.issue_date))
        return True

    # --- the ledger and its log lines ----------------------------------------------------------------------

    def _note(self, intake: Intake, issue: Issue, state: str, reason: str, *, edition: int | None = None,
              other: str | None = None) -> None:
        self._state(FileRecord(intake.name, state, reason, self.clock(), intake.sha256, len(intake.data),
                               intake.mtime, intake.ctime_ns, issue.issue_date, edition, other, issue.warnings))

    def _state(self, record: FileRecord) -> None:
        """Record a file's state; a change is one log line (a rejection's line is its IssueRejected), logged
        before the state shows in the status."""
        if not record.same_news(self.ledger.get(record.file)):
            self._emit([FileState(record.file, record.state, record.reason)])
        self.ledger.put(record)

    def _reject(self, name: str, reason: str, intake: Intake | None) -> None:
        now = self.clock()
        news = not FileRecord(name, "rejected", reason, now).same_news(self.ledger.get(name))
        events = self.store.reject(file=name, reason=reason, sha256=intake.sha256 if intake else None, now=now)
        self._emit(events or ([IssueRejected(name, reason)] if news else []))
        record = FileRecord(name, "rejected", reason, now)
        if intake is not None:
            record = FileRecord(name, "rejected", reason, now, intake.sha256, len(intake.data), intake.mtime,
                                intake.ctime_ns)
        self.ledger.put(record)

    # --- retries --------------------------------------------------------------------------------------------

    def _wait(self, name: str, path: Path, inbox: Path, exc: BaseException) -> None:
        reason = f"cannot be taken now ({exc}); retried until it goes through"
        if isinstance(exc, StoreError):
            self.fault = f"the store cannot be written: {exc}"
        before = self.waiting.get(name)
        backoff = before.backoff if before else Backoff()
        backoff.failed()
        self.waiting[name] = Waiting(path, inbox, reason, backoff)
        if before is None or before.reason != reason:
            self._emit([FileState(name, "waiting", reason)])
            # The ledger shares the store's disk: when that is what failed, memory keeps the account.
            with contextlib.suppress(StoreError):
                self.ledger.put(FileRecord(name, "waiting", reason, self.clock()))

    def due(self) -> list[Waiting]:
        """The waiting files whose next try is due now."""
        return [w for w in self.waiting.values() if w.backoff.due()]

    def waiting_rows(self) -> dict[str, str]:
        """{file: reason} of the files waiting (read by the HTTP thread: list() copies the items in one step)."""
        return {name: w.reason for name, w in list(self.waiting.items())}

