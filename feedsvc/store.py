"""The SQLite store: issues, items, suspensions, rejected files and the append-only event log.

It is the service's source of truth. Every write method is one transaction that also appends the events it
returns to the log, so after a crash (kill -9) the store holds either the old or the new state, never a mix.
One connection, shared by the service's threads behind a re-entrant lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from feedsvc.errors import StoreError
from feedsvc.events import Event, IssueReceived, IssueRejected
from feedsvc.model import Entry, Issue, Suspension
from feedsvc.revisions import apply_correction, insert_first, log_events, replace_suspension
from feedsvc.rows import (
    ISSUE_COLUMNS,
    ITEM_COLUMNS,
    IssueRecord,
    LoggedEvent,
    Rejection,
    entry_of,
    issue_record,
    prefixed,
    require_aware,
    stored_suspension,
)
from feedsvc.schema import migrate

# An issue's items are public once it reached the feeds, or once released unless withheld (held on a suspension
# and not force-released): the rule of `entries` and of whatever else may show them. Parameters: the release
# timestamp bound, then the JSON list of withheld dates.
_PUBLIC = ("(i.public_at IS NOT NULL OR (i.release_ts <= ?"
           " AND (i.forced = 1 OR {day} NOT IN (SELECT value FROM json_each(?)))))")


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
        require_aware(now, release_at)
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
                " item_count = excluded.item_count, withdrawn_at = NULL",
                (day, file, sha256, edition, mtime, release_at.isoformat(), release_at.timestamp(),
                 len(issue.items), last_seq))
            events: list[Event] = [IssueReceived(file, issue.issue_date, sha256, edition)]
            if current is None:
                events += insert_first(db, issue, release_at)
            else:
                events += apply_correction(db, issue, current, now, release_at)
            events += replace_suspension(db, issue)
            log_events(db, events, now)
            return events

    def reject(self, *, file: str, reason: str, sha256: str | None, now: datetime) -> list[Event]:
        """Record that `file` (with content `sha256`, when it could be read) failed for `reason`."""
        require_aware(now)
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
            log_events(db, events, now)
            return events

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction, for the writes kept elsewhere (feedsvc.decisions); `log_events` in it."""
        return self._write()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._read(sql, params)

    def record(self, event: Event, now: datetime) -> None:
        """Append a service event (IssueHeld, IssueMissing, IssueReleased) to the log."""
        require_aware(now)
        with self._write() as db:
            log_events(db, [event], now)

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
        require_aware(now)
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
            f"SELECT t.issue_date, {prefixed('t', ITEM_COLUMNS)} FROM {source}"
            " JOIN issues i ON i.issue_date = t.issue_date"
            " WHERE t.withdrawn = 0" + where + " AND " + _PUBLIC.format(day="t.issue_date") +
            f" ORDER BY {key}.issue_date {'ASC' if oldest_first else 'DESC'}, {key}.ordinal LIMIT ?",
            (*params, now.timestamp(), held, limit))
        return [entry_of(row) for row in rows]

    def issue_entries(self, issue_date: date) -> list[Entry]:
        """The live items of the edition in force, in page order (whether released or not)."""
        rows = self._read(f"SELECT issue_date, {ITEM_COLUMNS} FROM items"
                          " WHERE issue_date = ? AND withdrawn = 0 ORDER BY ordinal", (issue_date.isoformat(),))
        return [entry_of(row) for row in rows]

    def entry(self, item_id: str) -> Entry | None:
        """The live item with this id (whether released or not); None if unknown or withdrawn."""
        rows = self._read(f"SELECT issue_date, {ITEM_COLUMNS} FROM items WHERE id = ? AND withdrawn = 0",
                          (item_id,))
        return entry_of(rows[0]) if rows else None

    def issue(self, issue_date: date) -> IssueRecord | None:
        rows = self._read(f"SELECT {ISSUE_COLUMNS} FROM issues WHERE issue_date = ?", (issue_date.isoformat(),))
        return issue_record(rows[0]) if rows else None

    def issues(self, *, limit: int | None = None) -> list[IssueRecord]:
        """Issues newest date first."""
        rows = self._read(f"SELECT {ISSUE_COLUMNS} FROM issues ORDER BY issue_date DESC LIMIT ?",
                          (-1 if limit is None else limit,))
        return [issue_record(row) for row in rows]

    def issue_count(self) -> int:
        return int(self._read("SELECT count(*) FROM issues")[0][0])

    def pending(self, now: datetime) -> list[IssueRecord]:
        """Issues whose release time is after `now`, the soonest first."""
        require_aware(now)
        rows = self._read(f"SELECT {ISSUE_COLUMNS} FROM issues WHERE release_ts > ? AND public_at IS NULL"
                          " ORDER BY release_ts, issue_date", (now.timestamp(),))
        return [issue_record(row) for row in rows]

    def public_dates(self) -> set[date]:
        """Issues that have reached the feeds: they stay public whatever notice, setting or clock comes later."""
        return {date.fromisoformat(row[0]) for row in self._read("SELECT issue_date FROM issues"
                                                                 " WHERE public_at IS NOT NULL")}

    def mark_public(self, days: Collection[date], now: datetime) -> None:
        """Note that the issues of `days` are in the feeds as of `now` (the first time counts)."""
        require_aware(now)
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

    def public_authors(self, now: datetime, withheld: Collection[date] = ()) -> list[str]:
        """Distinct authors of live items that are public at `now` (as `entries` has them), sorted: the names
        the site may show, whose feeds have something in them."""
        require_aware(now)
        held = json.dumps(sorted(d.isoformat() for d in withheld))
        rows = self._read("SELECT DISTINCT a.author FROM item_authors a JOIN issues i ON i.issue_date = a.issue_date"
                          " WHERE " + _PUBLIC.format(day="a.issue_date") + " ORDER BY a.author",
                          (now.timestamp(), held))
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
        return [stored_suspension(row["body"], row["notice_date"], row["issue_date"], row["edition"])
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
