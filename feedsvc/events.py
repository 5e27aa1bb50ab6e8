"""Typed events and the in-process bus that carries them from the store to the publisher and the log.

Events are facts that already happened (the store committed them); handlers react, they never veto.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Event:
    @property
    def name(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies, and a backfill serialises some 80,000 events.
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class IssueReceived(Event):
    file: str
    issue_date: date
    sha256: str
    edition: int  # 1 for the first file of a date, 2 for its first correction, …


@dataclass(frozen=True)
class IssueRejected(Event):
    file: str
    reason: str


@dataclass(frozen=True)
class IssueHeld(Event):
    issue_date: date
    reason: str


@dataclass(frozen=True)
class IssueScheduled(Event):
    """An issue in the store that is not due yet: it goes public at `release_at`."""

    issue_date: date
    release_at: datetime


@dataclass(frozen=True)
class IssueReleased(Event):
    """An issue went public (at its release time, by `feedsvc release`, or at once): its `items` are in the feeds."""

    issue_date: date
    items: int = 0


@dataclass(frozen=True)
class IssueWithdrawn(Event):
    """An editor took the issue out on purpose (`feedsvc withdraw`): its `items` left the feeds, its pages are gone."""

    issue_date: date
    items: int


@dataclass(frozen=True)
class FileState(Event):
    """The ledger's account of an inbox file changed (feedsvc.ledger); never stored in the event log: the ledger
    is its record."""

    file: str
    state: str
    reason: str


@dataclass(frozen=True)
class IssueMissing(Event):
    issue_date: date


@dataclass(frozen=True)
class ItemPublished(Event):
    item_id: str
    issue_date: date
    title: str


@dataclass(frozen=True)
class ItemUpdated(Event):
    item_id: str
    issue_date: date
    title: str


@dataclass(frozen=True)
class ItemWithdrawn(Event):
    item_id: str
    issue_date: date
    title: str


@dataclass(frozen=True)
class SuspensionDeclared(Event):
    notice_date: date
    dates: tuple[date, ...]
    resume: date | None
    ranges: tuple[tuple[date, date], ...] = ()  # as printed: the calendar expands them over the weekdays
    restored: tuple[date, ...] = ()  # given back to normal publication


@dataclass(frozen=True)
class SuspensionWithdrawn(Event):
    notice_date: date


Handler = Callable[[Any], None]


class Bus:
    """Synchronous publish/subscribe: handlers run in registration order on the publishing thread."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, kind: type[Event], handler: Handler) -> None:
        self._handlers[kind].append(handler)

    def unsubscribe(self, kind: type[Event], handler: Handler) -> None:
        self._handlers[kind].remove(handler)

    def publish(self, event: Event) -> None:
        for kind in type(event).__mro__:
            for handler in self._handlers.get(kind, ()):
                try:
                    handler(event)
                except Exception:
                    # One failing reaction (say, a full disk while publishing) must not stop the others.
                    name = getattr(handler, "__name__", handler)
                    log.exception("handler %s failed on %s", name, event.name)
