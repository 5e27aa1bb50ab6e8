"""The domain records that every stage shares: Issue, Item, Suspension.

All are frozen: a parsed issue is a value, and later stages derive new values from it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
    """One notice (休刊通知) as a decision about the dates it names, or a `[[suspension]]` of the configuration.

    It says only what the text says: dates listed as suspended, ranges as printed (the calendar expands them over
    the weekdays in force when it is asked), dates given back to normal publication and the resume date. How it
    combines with earlier notices is the calendar's business (feedsvc/schedule.py).
    """

    dates: tuple[date, ...]  # suspended dates named one by one
    resume: date | None
    declared_count: int | None
    notice: str
    # The date the notice was signed or published.
    notice_date: date | None = None
    ranges: tuple[tuple[date, date], ...] = ()  # 10月1日至7日: (first, last), both inclusive
    restored: tuple[date, ...] = ()  # given back to normal publication: 不休刊, 休刊取消, 改为正常出版
    resume_moved_from: date | None = None  # 原定于10月13日恢复出版调整为10月9日: the resume date it replaces
    warnings: tuple[str, ...] = ()  # what the reader found odd in the text (a printed weekday that does not fit)
    issue_date: date | None = None  # the issue that printed it; None for a configured suspension
    edition: int = 0  # the edition of that issue (the store knows it; it orders notices of one date)

    def covered(self, weekdays: Collection[int]) -> tuple[date, ...]:
        """The publication days this notice alone suspends on a paper of `weekdays`: its dates and the days of
        its ranges, less what it gives back (the calendar also fills the days up to the resume date)."""
        days = set(self.dates)
        for first, last in self.ranges:
            days.update(first + timedelta(days=n) for n in range(max(0, (last - first).days + 1)))
        return tuple(sorted(d for d in days - set(self.restored) if d in self.dates or d.weekday() in weekdays))

    def describe(self) -> str:
        """What the notice names, for people: `suspends 2023-10-02; 2023-10-01 to 2023-10-07; gives back …`."""
        parts = [f"suspends {', '.join(d.isoformat() for d in self.dates)}" if self.dates else ""]
        parts += [f"suspends {a.isoformat()} to {b.isoformat()}" for a, b in self.ranges]
        parts += [f"gives back {', '.join(d.isoformat() for d in self.restored)}" if self.restored else ""]
        parts += [f"resumes {self.resume.isoformat()}" if self.resume else ""]
        parts += [f"instead of {self.resume_moved_from.isoformat()}" if self.resume_moved_from else ""]
        return "; ".join(p for p in parts if p) or "names no dates"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dates": [d.isoformat() for d in self.dates],
            "resume": self.resume.isoformat() if self.resume else None,
            "declared_count": self.declared_count,
            "notice": self.notice,
            "notice_date": self.notice_date.isoformat() if self.notice_date else None,
            "ranges": [[a.isoformat(), b.isoformat()] for a, b in self.ranges],
            "restored": [d.isoformat() for d in self.restored],
            "resume_moved_from": self.resume_moved_from.isoformat() if self.resume_moved_from else None,
            "warnings": list(self.warnings),
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
        }

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Suspension:
        """The inverse of to_dict; bodies stored before ranges existed hold only `dates` (already expanded)."""

        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(
            dates=tuple(date.fromisoformat(x) for x in body.get("dates", ())),
            resume=day(body.get("resume")),
            declared_count=body.get("declared_count"),
            notice=body.get("notice", ""),
            notice_date=day(body.get("notice_date")),
            ranges=tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in body.get("ranges", ())),
            restored=tuple(date.fromisoformat(x) for x in body.get("restored", ())),
            resume_moved_from=day(body.get("resume_moved_from")),
            warnings=tuple(body.get("warnings", ())),
            issue_date=day(body.get("issue_date")),
        )


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
