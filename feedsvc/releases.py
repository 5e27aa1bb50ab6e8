"""When an issue goes public, say so once: IssueReleased date=… items=N.

An issue goes public at once (ingested after its release time, on a date that is not suspended), at its release
time (IssueScheduled said when), or by `feedsvc release` (IssueHeld said how). The dates announced as not public
yet are kept here, read once at start from the event log, so a release that fell due while the service was down is
announced at the next check too.
"""

from __future__ import annotations

from datetime import date, datetime

from feedsvc.events import Event, IssueHeld, IssueReleased, IssueScheduled, IssueWithdrawn
from feedsvc.ledger import Ledger
from feedsvc.paper import Paper
from feedsvc.store import Store

_ANNOUNCEMENTS = (IssueScheduled.__name__, IssueHeld.__name__, IssueReleased.__name__)


class Releases:
    def __init__(self, store: Store, paper: Paper, ledger: Ledger) -> None:
        self.store = store
        self.paper = paper
        latest = ledger.latest_announcement(_ANNOUNCEMENTS)
        self._waiting = {day for day, name in latest.items() if name != IssueReleased.__name__}

    def after_ingest(self, day: date, first: bool, now: datetime) -> list[Event]:
        """The announcement an ingested edition calls for: released at once, or scheduled. (Held is the
        service's own IssueHeld, noted by `noted`.)"""
        record = self.store.issue(day)
        if record is None:
            return []
        if self.paper.is_public(day, now):
            if first or day in self._waiting:
                self._waiting.discard(day)
                return [IssueReleased(day, record.item_count)]
            return []
        if record.release_at > now:
            self._waiting.add(day)
            return [IssueScheduled(day, record.release_at.astimezone(self.paper.calendar.tz))]
        return []

    def refusal(self, day: date, now: datetime) -> str | None:
        """Why `feedsvc release DATE` does not apply to the issue of `day` (its state in one line), or None: it
        applies only to an issue held on a suspended date."""
        record, key = self.store.issue(day), day.isoformat()
        if record is None:
            return f"{key}: no such issue in the store; nothing to release"
        if record.withdrawn_at is not None:
            return f"{key}: withdrawn (feedsvc withdraw); nothing to release"
        at = record.release_at.astimezone(self.paper.calendar.tz).isoformat(timespec="minutes")
        if self.paper.is_public(day, now):
            return f"{key}: already public; nothing to release"
        if record.forced:
            return f"{key}: already released; it goes public at its release time, {at}"
        if self.paper.calendar.hold_reason(day) is None:
            return f"{key}: scheduled for release at {at}, not held on a suspended date; nothing to release"
        return None

    def noted(self, event: Event) -> None:
        """Keep track of what was announced elsewhere (IssueHeld by the service, IssueReleased by `release`)."""
        if isinstance(event, IssueHeld | IssueWithdrawn):  # withdrawn: a later edition announces it again
            self._waiting.add(event.issue_date)
        elif isinstance(event, IssueReleased):
            self._waiting.discard(event.issue_date)

    def came_public(self, now: datetime) -> list[Event]:
        """IssueReleased for each announced issue that is public now (its release time came)."""
        events: list[Event] = []
        for day in sorted(self._waiting):
            record = self.store.issue(day)
            if record is not None and self.paper.is_public(day, now):
                events.append(IssueReleased(day, record.item_count))
        self._waiting.difference_update(e.issue_date for e in events if isinstance(e, IssueReleased))
        return events
