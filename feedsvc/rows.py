"""How the store's rows become the domain's values and back: item columns, IssueRecord, Entry, Suspension."""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from feedsvc.model import Entry, Item, ItemKind, Suspension


@dataclass(frozen=True)
class IssueRecord:
    issue_date: date
    file: str
    sha256: str
    edition: int
    mtime: float
    release_at: datetime
    forced: bool
    item_count: int  # live items of the edition in force
    public_at: datetime | None = None  # when it first reached the feeds; public stays public
    withdrawn_at: datetime | None = None  # when `feedsvc withdraw` took it out (a later edition clears it)


@dataclass(frozen=True)
class Rejection:
    file: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class LoggedEvent:
    id: int
    at: datetime
    name: str
    payload: dict[str, Any]


ITEM_COLUMNS = (
    "id, ordinal, kind, title, section, subheads, paragraphs, authors, page, subhead_at, published, updated"
)
INSERT_ITEM = f"INSERT INTO items(issue_date, {ITEM_COLUMNS}) VALUES ({', '.join('?' * 13)})"
ISSUE_COLUMNS = ("issue_date, file, sha256, edition, mtime, release_at, forced, item_count, public_at,"
                 " withdrawn_at")


def item_values(item: Item, ordinal: int) -> tuple[Any, ...]:
    """(ordinal, kind, title, section, subheads, paragraphs, authors, page, subhead_at) as stored."""
    return (ordinal, item.kind.value, item.title, item.section, _json(item.subheads), _json(item.paragraphs),
            _json(item.authors), item.page, json.dumps(list(item.subhead_at)))


def content(row: sqlite3.Row) -> tuple[Any, ...]:
    """The stored fields whose change makes an item 'updated' (in item_values order, without ordinal/page)."""
    return (row["kind"], row["title"], row["section"], row["subheads"], row["paragraphs"], row["authors"])


def _json(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{name.strip()}" for name in columns.split(","))


def entry_of(row: sqlite3.Row) -> Entry:
    item = Item(
        id=row["id"], ordinal=row["ordinal"], kind=ItemKind(row["kind"]), title=row["title"],
        section=row["section"], subheads=tuple(json.loads(row["subheads"])),
        paragraphs=tuple(json.loads(row["paragraphs"])), authors=tuple(json.loads(row["authors"])),
        page=row["page"], subhead_at=tuple(json.loads(row["subhead_at"])),
    )
    return Entry(item, date.fromisoformat(row["issue_date"]), datetime.fromisoformat(row["published"]),
                 datetime.fromisoformat(row["updated"]))


def issue_record(row: sqlite3.Row) -> IssueRecord:
    return IssueRecord(date.fromisoformat(row["issue_date"]), row["file"], row["sha256"], row["edition"],
                       row["mtime"], datetime.fromisoformat(row["release_at"]), bool(row["forced"]),
                       row["item_count"], _moment(row["public_at"]), _moment(row["withdrawn_at"]))


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@functools.lru_cache(maxsize=8192)
def stored_suspension(body: str, notice_date: str, issue_date: str, edition: int) -> Suspension:
    """Decoded once: the calendar reloads every suspension on each notice, which a backfill does ~1,000 times."""
    return replace(Suspension.from_dict(json.loads(body)), notice_date=date.fromisoformat(notice_date),
                   issue_date=date.fromisoformat(issue_date), edition=edition)


def require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment.isoformat()} has no UTC offset; the store needs tz-aware times")
