"""The SQLite store: issues, items, suspensions, rejected files and the append-only event log.

It is the service's source of truth. Every write method is one transaction that also appends the events it
returns to the log, so after a crash (kill -9) the store holds either the old or the new state, never a mix.
One connection, shared by the service's threads behind a re-entrant lock.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from feedsvc.editions import match_items
from feedsvc.errors import StoreError
from feedsvc.events import (
    Event,
    IssueReceived,
    IssueRejected,
    IssueReleased,
    ItemPublished,
    ItemUpdated,
    ItemWithdrawn,
    SuspensionDeclared,
    SuspensionWithdrawn,
)
from feedsvc.model import Entry, Issue, Item, ItemKind, Suspension, item_id
from feedsvc.schema import migrate


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


_ITEM_COLUMNS = (
    "id, ordinal, kind, title, section, subheads, paragraphs, authors, page, subhead_at, published, updated"
)
_INSERT_ITEM = f"INSERT INTO items(issue_date, {_ITEM_COLUMNS}) VALUES ({', '.join('?' * 13)})"
_ISSUE_COLUMNS = "issue_date, file, sha256, edition, mtime, release_at, forced, item_count, public_at"


class Store:
    """Read and write the store at `path`; creates the folder, the file and the schema when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: every transaction is an explicit BEGIN IMMEDIATE … COMMIT below.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives process crashes; only a power cut may lose the last commits.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            migrate(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    # ---- writes -----------------------------------------------------------------------------------------

    def apply_issue(self, issue: Issue, *, file: str, sha256: str, mtime: float,
                    now: datetime, release_at: datetime, latest: bool = False) -> list[Event]:
        """Store a parsed issue as a first or corrected edition; returns the committed events.

        `latest`: the caller (feedsvc.accounts) decided this file is the editor's latest act, so it becomes the
        edition in force even if its content was seen before (a revert) or its mtime is older (`cp -p`)."""
        _require_aware(now, release_at)
        day = issue.issue_date.isoformat()
        with self._write() as db:
            db.execute("DELETE FROM rejections WHERE file = ?", (file,))
            current = db.execute("SELECT * FROM issues WHERE issue_date = ?", (day,)).fetchone()
            seen = db.execute("SELECT outcome FROM contents WHERE sha256 = ?", (sha256,)).fetchone()
            if seen is not None and seen["outcome"] != "rejected" and not latest:
                return []
            if current is not None and current["sha256"] == sha256:
                return []
            # Without `latest`, the most recently modified file is the edition in force, whatever the order.
            older = current is not None and mtime < current["mtime"] and not latest
            outcome = "superseded" if older else "applied"
            db.execute("INSERT OR REPLACE INTO contents(sha256, outcome, issue_date, file) VALUES (?, ?, ?, ?)",
                       (sha256, outcome, day, file))
            if outcome == "superseded":
                return []
            edition = 1 if current is None else current["edition"] + 1
            last_seq = max((item.ordinal for item in issue.items), default=0)
            db.execute(
                "INSERT INTO issues(issue_date, file, sha256, edition, mtime, release_at, release_ts,"
                " item_count, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(issue_date) DO UPDATE"
                " SET file = excluded.file, sha256 = excluded.sha256, edition = excluded.edition,"
                " mtime = excluded.mtime, release_at = excluded.release_at, release_ts = excluded.release_ts,"
                " item_count = excluded.item_count",
                (day, file, sha256, edition, mtime, release_at.isoformat(), release_at.timestamp(),
                 len(issue.items), last_seq))
            events: list[Event] = [IssueReceived(file, issue.issue_date, sha256, edition)]
            if current is None:
                events += _insert_first(db, issue, release_at)
            else:
                events += _apply_correction(db, issue, current, now, release_at)
            events += _replace_suspension(db, issue)
            _log(db, events, now)
            return events

    def reject(self, *, file: str, reason: str, sha256: str | None, now: datetime) -> list[Event]:
        """Record that `file` (with content `sha256`, when it could be read) failed for `reason`."""
        _require_aware(now)
        with self._write() as db:
            last = db.execute("SELECT sha256, reason FROM rejections WHERE file = ?", (file,)).fetchone()
            # The same failure again (a rescan meeting an unreadable FIFO) is not news.
            if last is not None and last["sha256"] == sha256 and last["reason"] == reason:
                return []
            db.execute("INSERT OR REPLACE INTO rejections(file, sha256, reason, at) VALUES (?, ?, ?, ?)",
                       (file, sha256, reason, now.isoformat()))
            if sha256 is not None:
                db.execute("INSERT OR IGNORE INTO contents(sha256, outcome, issue_date, file)"
                           " VALUES (?, 'rejected', NULL, ?)", (sha256, file))
            events: list[Event] = [IssueRejected(file, reason)]
            _log(db, events, now)
            return events

    def force_release(self, issue_date: date, now: datetime) -> list[Event]:
        """Operator decision: publish the issue of `issue_date` even though it falls on a suspension date."""
        _require_aware(now)
        with self._write() as db:
            updated = db.execute("UPDATE issues SET forced = 1 WHERE issue_date = ? RETURNING item_count",
                                 (issue_date.isoformat(),)).fetchone()
            if updated is None:
                raise StoreError(f"no issue dated {issue_date.isoformat()} in the store")
            events: list[Event] = [IssueReleased(issue_date, updated[0])]
            _log(db, events, now)
            return events

    def record(self, event: Event, now: datetime) -> None:
        """Append a service event (IssueHeld, IssueMissing, IssueReleased) to the log."""
        _require_aware(now)
        with self._write() as db:
            _log(db, [event], now)

    # ---- reads --------------------------------------------------------------------------------------------

    def known(self, sha256: str) -> bool:
        """This content was already applied or superseded (under any file name), or rejected."""
        return bool(self._read("SELECT 1 FROM contents WHERE sha256 = ?", (sha256,)))

    def entries(self, now: datetime, *, limit: int, withheld: Collection[date] = (),
                section: str | None = None, author: str | None = None, first: date | None = None,
                last: date | None = None, oldest_first: bool = False) -> list[Entry]:
        """Live items due at `now`, newest issue first and in page order, of one `section` or `author` if
        given; `withheld` dates are skipped unless force-released. Walks an index in output order and stops at
        `limit` (-1: no limit). `first`/`last` bound the issue dates (both inclusive): an archive month, or a
        month's neighbour."""
        _require_aware(now)
        held = json.dumps(sorted(d.isoformat() for d in withheld))
        where = ""
        params: tuple[str, ...] = ()
        # An author's items come from item_authors in its index order; CROSS JOIN keeps SQLite from walking
        # every live item instead (https://sqlite.org/optoverview.html#manual_control_of_query_plans_using_cross_join).
        source, key = "items t", "t"
        if section is not None:
            where, params = " AND t.section = ?", (section,)
        elif author is not None:
            source, key = "item_authors a CROSS JOIN items t ON t.id = a.id", "a"
            where, params = " AND a.author = ?", (author,)
        for clause, bound in ((f" AND {key}.issue_date >= ?", first), (f" AND {key}.issue_date <= ?", last)):
            if bound is not None:
                where, params = where + clause, (*params, bound.isoformat())
        rows = self._read(
            f"SELECT t.issue_date, {_prefixed('t', _ITEM_COLUMNS)} FROM {source}"
            " JOIN issues i ON i.issue_date = t.issue_date"
            " WHERE t.withdrawn = 0" + where +
            " AND (i.public_at IS NOT NULL OR (i.release_ts <= ?"
            " AND (i.forced = 1 OR t.issue_date NOT IN (SELECT value FROM json_each(?)))))"
            f" ORDER BY {key}.issue_date {'ASC' if oldest_first else 'DESC'}, {key}.ordinal LIMIT ?",
            (*params, now.timestamp(), held, limit))
        return [_entry(row) for row in rows]

    def issue_entries(self, issue_date: date) -> list[Entry]:
        """The live items of the edition in force, in page order (whether released or not)."""
        rows = self._read(f"SELECT issue_date, {_ITEM_COLUMNS} FROM items"
                          " WHERE issue_date = ? AND withdrawn = 0 ORDER BY ordinal", (issue_date.isoformat(),))
        return [_entry(row) for row in rows]

    def entry(self, item_id: str) -> Entry | None:
        """The live item with this id (whether released or not); None if unknown or withdrawn."""
        rows = self._read(f"SELECT issue_date, {_ITEM_COLUMNS} FROM items WHERE id = ? AND withdrawn = 0",
                          (item_id,))
        return _entry(rows[0]) if rows else None

    def issue(self, issue_date: date) -> IssueRecord | None:
        rows = self._read(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE issue_date = ?", (issue_date.isoformat(),))
        return _issue_record(rows[0]) if rows else None

    def issues(self, *, limit: int | None = None) -> list[IssueRecord]:
        """Issues newest date first."""
        rows = self._read(f"SELECT {_ISSUE_COLUMNS} FROM issues ORDER BY issue_date DESC LIMIT ?",
                          (-1 if limit is None else limit,))
        return [_issue_record(row) for row in rows]

    def issue_count(self) -> int:
        return int(self._read("SELECT count(*) FROM issues")[0][0])

    def pending(self, now: datetime) -> list[IssueRecord]:
        """Issues whose release time is after `now`, the soonest first."""
        _require_aware(now)
        rows = self._read(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE release_ts > ? AND public_at IS NULL"
                          " ORDER BY release_ts, issue_date", (now.timestamp(),))
        return [_issue_record(row) for row in rows]

    def public_dates(self) -> set[date]:
        """Issues that have reached the feeds: they stay public whatever notice, setting or clock comes later."""
        return {date.fromisoformat(row[0]) for row in self._read("SELECT issue_date FROM issues"
                                                                 " WHERE public_at IS NOT NULL")}

    def mark_public(self, days: Collection[date], now: datetime) -> None:
        """Note that the issues of `days` are in the feeds as of `now` (the first time counts)."""
        _require_aware(now)
        with self._write() as db:
            db.executemany("UPDATE issues SET public_at = ? WHERE issue_date = ? AND public_at IS NULL",
                           [(now.isoformat(), d.isoformat()) for d in days])

    def reschedule(self, times: dict[date, datetime]) -> None:
        """New release instants for issues not yet public (the release time setting changed)."""
        with self._write() as db:
            db.executemany("UPDATE issues SET release_at = ?, release_ts = ? WHERE issue_date = ?"
                           " AND public_at IS NULL",
                           [(at.isoformat(), at.timestamp(), d.isoformat()) for d, at in times.items()])

    def sections(self) -> list[str]:
        """Distinct sections of live items, sorted."""
        return [row[0] for row in self._read("SELECT section FROM sections WHERE live > 0 ORDER BY section")]

    def sections_of(self, issue_date: date) -> set[str]:
        """Sections an issue's items have or had (withdrawn items too: their section feeds must drop them)."""
        rows = self._read("SELECT DISTINCT section FROM items WHERE issue_date = ? AND section IS NOT NULL",
                          (issue_date.isoformat(),))
        return {row[0] for row in rows}

    def authors(self) -> list[str]:
        """Distinct authors of live items, sorted."""
        rows = self._read("SELECT DISTINCT author FROM item_authors ORDER BY author")
        return [row[0] for row in rows]

    def authors_of(self, issue_date: date) -> set[str]:
        """Authors an issue's items have or had (withdrawn items too: their author feeds must drop them)."""
        rows = self._read("SELECT DISTINCT a.value FROM items t, json_each(t.authors) a WHERE t.issue_date = ?",
                          (issue_date.isoformat(),))
        return {row[0] for row in rows}

    def suspensions(self) -> list[Suspension]:
        """The suspensions declared by the editions in force, by notice date. A notice without its own
        date gets the date of the issue that carries it."""
        rows = self._read("SELECT s.issue_date, s.notice_date, s.body, i.edition FROM suspensions s"
                          " JOIN issues i ON i.issue_date = s.issue_date ORDER BY s.issue_date")
        return [_stored_suspension(row["body"], row["notice_date"], row["issue_date"], row["edition"])
                for row in rows]

    def rejected(self) -> list[Rejection]:
        """Files whose latest attempt failed, oldest failure first."""
        rows = self._read("SELECT file, reason, at FROM rejections ORDER BY at, file")
        return [Rejection(row["file"], row["reason"], datetime.fromisoformat(row["at"])) for row in rows]

    def missing(self) -> list[date]:
        """Dates logged as IssueMissing for which no issue has arrived since, oldest first."""
        rows = self._read("SELECT DISTINCT json_extract(payload, '$.issue_date') AS day FROM events"
                          " WHERE name = 'IssueMissing' AND day NOT IN (SELECT issue_date FROM issues)"
                          " ORDER BY day")
        return [date.fromisoformat(row[0]) for row in rows]

    def last_event_id(self) -> int:
        """The id of the newest logged event (0 when there is none)."""
        return int(self._read("SELECT coalesce(max(id), 0) FROM events")[0][0])

    def events(self, *, after: int = 0, limit: int = 1000) -> list[LoggedEvent]:
        """Logged events with id > `after`, in the order they were committed."""
        rows = self._read("SELECT id, at, name, payload FROM events WHERE id > ? ORDER BY id LIMIT ?",
                          (after, limit))
        return [LoggedEvent(row["id"], datetime.fromisoformat(row["at"]), row["name"], json.loads(row["payload"]))
                for row in rows]


# ---- helpers running inside a write transaction -------------------------------------------------------------

def _insert_first(db: sqlite3.Connection, issue: Issue, release_at: datetime) -> list[Event]:
    stamp = release_at.isoformat()
    db.executemany(
        _INSERT_ITEM,
        [(issue.issue_date.isoformat(), item.id, *_item_values(item, item.ordinal), stamp, stamp)
         for item in issue.items])
    _count_sections(db, Counter(item.section for item in issue.items))
    return [ItemPublished(item.id, issue.issue_date, item.title) for item in issue.items]


def _apply_correction(db: sqlite3.Connection, issue: Issue, current: sqlite3.Row,
                      now: datetime, release_at: datetime) -> list[Event]:
    """Turn the edition in force into `issue`, keeping the ids of matched items."""
    day = issue.issue_date.isoformat()
    old = db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE issue_date = ? AND withdrawn = 0"
                     " ORDER BY ordinal", (day,)).fetchall()
    matches = match_items([(row["ordinal"], row["title"]) for row in old],
                          [(item.ordinal, item.title) for item in issue.items])
    # An item that a correction withdrew and a later edition brings back keeps the id readers already have.
    gone = db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE issue_date = ? AND withdrawn = 1"
                      " ORDER BY id", (day,)).fetchall()
    unmatched = [n for n in range(len(issue.items)) if n not in matches]
    returning = {unmatched[n]: o for n, o in match_items(
        [(row["ordinal"], row["title"]) for row in gone],
        [(issue.items[n].ordinal, issue.items[n].title) for n in unmatched]).items()}
    # Nobody has seen an unreleased edition, so it is published afresh at the (possibly new) release time.
    unreleased = datetime.fromisoformat(current["release_at"]) > now
    stamp = release_at.isoformat()
    changed_at = max(now, release_at).astimezone(release_at.tzinfo).isoformat()
    last_seq: int = current["last_seq"]
    events: list[Event] = []
    # Free the page positions first: the unique live (issue_date, ordinal) index must hold after every row.
    db.execute("UPDATE items SET ordinal = -ordinal - 1 WHERE issue_date = ? AND withdrawn = 0", (day,))
    for index, item in enumerate(issue.items):
        if index in matches:
            was = old[matches[index]]
            differs = _content(was) != _item_values(item, item.ordinal)[1:7]
            db.execute("UPDATE items SET ordinal = ?, kind = ?, title = ?, section = ?, subheads = ?, paragraphs = ?,"
                       " authors = ?, page = ?, subhead_at = ?, published = ?, updated = ? WHERE id = ?",
                       (*_item_values(item, item.ordinal), stamp if unreleased else was["published"],
                        changed_at if differs else (stamp if unreleased else was["updated"]), was["id"]))
            if differs:
                events.append(ItemUpdated(was["id"], issue.issue_date, item.title))
        elif index in returning:
            was = gone[returning[index]]
            db.execute("UPDATE items SET withdrawn = 0, ordinal = ?, kind = ?, title = ?, section = ?, subheads = ?,"
                       " paragraphs = ?, authors = ?, page = ?, subhead_at = ?, published = ?, updated = ?"
                       " WHERE id = ?",
                       (*_item_values(item, item.ordinal), stamp if unreleased else was["published"],
                        stamp if unreleased else changed_at, was["id"]))
            events.append(ItemPublished(was["id"], issue.issue_date, item.title))
        else:
            last_seq += 1
            new_id = item_id(issue.issue_date, last_seq)
            db.execute(_INSERT_ITEM,
                       (day, new_id, *_item_values(item, item.ordinal), stamp, changed_at))
            events.append(ItemPublished(new_id, issue.issue_date, item.title))
    kept = set(matches.values())
    for index, row in enumerate(old):
        if index not in kept:
            db.execute("UPDATE items SET withdrawn = 1 WHERE id = ?", (row["id"],))
            events.append(ItemWithdrawn(row["id"], issue.issue_date, row["title"]))
    delta = Counter(item.section for item in issue.items)
    delta.subtract(row["section"] for row in old)
    _count_sections(db, delta)
    db.execute("UPDATE issues SET last_seq = ? WHERE issue_date = ?", (last_seq, day))
    return events


def _replace_suspension(db: sqlite3.Connection, issue: Issue) -> list[Event]:
    day = issue.issue_date.isoformat()
    old = db.execute("SELECT notice_date, body FROM suspensions WHERE issue_date = ?", (day,)).fetchone()
    new = issue.suspension
    body = json.dumps(new.to_dict(), ensure_ascii=False, sort_keys=True) if new else None
    if old is not None and old["body"] == body:
        return []
    if new is None:
        db.execute("DELETE FROM suspensions WHERE issue_date = ?", (day,))
        return [SuspensionWithdrawn(date.fromisoformat(old["notice_date"]))] if old is not None else []
    notice_date = new.notice_date or issue.issue_date
    db.execute("INSERT OR REPLACE INTO suspensions(issue_date, notice_date, body) VALUES (?, ?, ?)",
               (day, notice_date.isoformat(), body))
    return [SuspensionDeclared(notice_date, new.dates, new.resume, new.ranges, new.restored)]


def _count_sections(db: sqlite3.Connection, delta: Counter[str | None]) -> None:
    db.executemany("INSERT INTO sections(section, live) VALUES (?, ?)"
                   " ON CONFLICT(section) DO UPDATE SET live = live + excluded.live",
                   [(section, n) for section, n in delta.items() if section is not None and n != 0])


def _log(db: sqlite3.Connection, events: list[Event], now: datetime) -> None:
    db.executemany("INSERT INTO events(at, name, payload) VALUES (?, ?, ?)",
                   [(now.isoformat(), event.name, json.dumps(event.to_dict(), ensure_ascii=False))
                    for event in events])


# ---- row conversion ----------------------------------------------------------------------------------------

def _item_values(item: Item, ordinal: int) -> tuple[Any, ...]:
    """(ordinal, kind, title, section, subheads, paragraphs, authors, page, subhead_at) as stored."""
    return (ordinal, item.kind.value, item.title, item.section, _json(item.subheads), _json(item.paragraphs),
            _json(item.authors), item.page, json.dumps(list(item.subhead_at)))


def _content(row: sqlite3.Row) -> tuple[Any, ...]:
    """The stored fields whose change makes an item 'updated' (in _item_values order, without ordinal/page)."""
    return (row["kind"], row["title"], row["section"], row["subheads"], row["paragraphs"], row["authors"])


def _json(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{name.strip()}" for name in columns.split(","))


def _entry(row: sqlite3.Row) -> Entry:
    item = Item(
        id=row["id"], ordinal=row["ordinal"], kind=ItemKind(row["kind"]), title=row["title"],
        section=row["section"], subheads=tuple(json.loads(row["subheads"])),
        paragraphs=tuple(json.loads(row["paragraphs"])), authors=tuple(json.loads(row["authors"])),
        page=row["page"], subhead_at=tuple(json.loads(row["subhead_at"])),
    )
    return Entry(item, date.fromisoformat(row["issue_date"]), datetime.fromisoformat(row["published"]),
                 datetime.fromisoformat(row["updated"]))


def _issue_record(row: sqlite3.Row) -> IssueRecord:
    return IssueRecord(date.fromisoformat(row["issue_date"]), row["file"], row["sha256"], row["edition"],
                       row["mtime"], datetime.fromisoformat(row["release_at"]), bool(row["forced"]),
                       row["item_count"], datetime.fromisoformat(row["public_at"]) if row["public_at"] else None)


@functools.lru_cache(maxsize=8192)
def _stored_suspension(body: str, notice_date: str, issue_date: str, edition: int) -> Suspension:
    """Decoded once: the calendar reloads every suspension on each notice, which a backfill does ~1,000 times."""
    return replace(Suspension.from_dict(json.loads(body)), notice_date=date.fromisoformat(notice_date),
                   issue_date=date.fromisoformat(issue_date), edition=edition)


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment.isoformat()} has no UTC offset; the store needs tz-aware times")
