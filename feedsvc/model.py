"""The domain records that every stage shares: Issue, Item, Suspension.

All are frozen: a parsed issue is a value, and later stages derive new values from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class ItemKind(StrEnum):
    ARTICLE = "article"
    PHOTO = "photo"
    NOTICE = "notice"


def item_id(issue_date: date, ordinal: int) -> str:
    """The stable id of the item at `ordinal` in the first edition of the issue of `issue_date`."""
    return f"{issue_date.isoformat()}-{ordinal:02d}"


@dataclass(frozen=True)
class Suspension:
    """Dates on which the paper declares it will not appear (休刊通知)."""

    dates: tuple[date, ...]
    resume: date | None
    declared_count: int | None
    notice: str
    # The date the notice was signed or published; it anchors year-less dates.
    notice_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dates": [d.isoformat() for d in self.dates],
            "resume": self.resume.isoformat() if self.resume else None,
            "declared_count": self.declared_count,
            "notice": self.notice,
            "notice_date": self.notice_date.isoformat() if self.notice_date else None,
        }


@dataclass(frozen=True)
class Item:
    """One article, photo or notice of an issue, in page order."""

    id: str
    ordinal: int
    kind: ItemKind
    title: str
    section: str | None = None
    subheads: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    # Page number from the running page header, when the issue has them.
    page: int | None = None
    # Where each subhead stands: the index of the paragraph it precedes (len(paragraphs) = after the last).
    subhead_at: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ordinal": self.ordinal,
            "kind": self.kind.value,
            "title": self.title,
            "section": self.section,
            "subheads": list(self.subheads),
            "paragraphs": list(self.paragraphs),
            "authors": list(self.authors),
            "page": self.page,
            "subhead_at": list(self.subhead_at),
        }


@dataclass(frozen=True)
class Issue:
    """A parsed issue file: its date, its items and the suspension it declares."""

    source: str
    encoding: str
    issue_date: date
    items: tuple[Item, ...]
    suspension: Suspension | None = None
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "encoding": self.encoding,
            "issue_date": self.issue_date.isoformat(),
            "items": [item.to_dict() for item in self.items],
            "suspension": self.suspension.to_dict() if self.suspension else None,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Entry:
    """An item as the store keeps it and the publisher shows it."""

    item: Item  # item.id is the stored id, stable across corrected editions
    issue_date: date
    published: datetime  # the issue's release time: tz-aware, in the paper's zone
    updated: datetime  # equals published, or later when a corrected edition changed the item
