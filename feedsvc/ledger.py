"""The ledger: for every inbox file seen, its latest content and what became of it, and why.

One row per file name. A state is one of STATES; `held` is never stored: a file whose issue is in the store but
not public yet (its release time is ahead, or its date is suspended) reads as held (`view`). The ledger lives in
the store's database (schema step "ledger") but has its own connection, so the store stays about issues.
`rows_json` is the operator's view of it (`feedsvc status --json`, the control channel); `sentence` explains one
file the way `feedsvc status --file NAME` prints it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from feedsvc.errors import StoreError

STATES = ("ingested", "identical", "superseded", "held", "rejected", "ignored", "waiting")
RECENT = 200  # the operator's status lists at least this many files, the most recent first


@dataclass(frozen=True)
class FileRecord:
    file: str
    state: str
    reason: str
    at: datetime
    sha256: str | None = None
    size: int | None = None
    mtime: float | None = None
    ctime_ns: int | None = None
    issue_date: date | None = None
    edition: int | None = None
    other: str | None = None  # the file this one is identical to, or superseded by
    warnings: tuple[str, ...] = ()

    def same_news(self, other: FileRecord | None) -> bool:
        """Whether `other` says the same thing of the file (a new log line is due only when it does not)."""
        return other is not None and (self.state, self.reason, self.issue_date, self.edition, self.other) == (
            other.state, other.reason, other.issue_date, other.edition, other.other)


_COLUMNS = "file, size, mtime, ctime_ns, sha256, state, reason, issue_date, edition, other, warnings, at"


class Ledger:
    """Reads and writes the ledger table of the store at `path` (the store created the schema)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
            self._db.row_factory = sqlite3.Row
            # As the store's connection: WAL (set by the store) with NORMAL survives a crash of the process.
            self._db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def get(self, file: str) -> FileRecord | None:
        rows = self._run(f"SELECT {_COLUMNS} FROM ledger WHERE file = ?", (file,))
        return _record(rows[0]) if rows else None

    def unchanged(self, file: str, sha256: str, size: int, ctime_ns: int) -> bool:
        """The file was accounted for with these very bytes and this ctime: a rescan, not an act of the editor
        (any write, `cp -p`, rename or touch changes the ctime). A waiting file is never done."""
        rows = self._run("SELECT 1 FROM ledger WHERE file = ? AND sha256 = ? AND size = ? AND ctime_ns = ?"
                         " AND state != 'waiting'", (file, sha256, size, ctime_ns))
        return bool(rows)

    def put(self, record: FileRecord) -> None:
        """Record the file's state (its latest change: the most recent first in `recent`)."""
        with self._lock:
            try:
                self._db.execute(
                    f"INSERT OR REPLACE INTO ledger({_COLUMNS}, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " (SELECT coalesce(max(seq), 0) + 1 FROM ledger))",
                    (record.file, record.size, record.mtime, record.ctime_ns, record.sha256, record.state,
                     record.reason, record.issue_date.isoformat() if record.issue_date else None, record.edition,
                     record.other, json.dumps(list(record.warnings), ensure_ascii=False), record.at.isoformat()))
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def in_force(self, issue_date: date) -> list[FileRecord]:
        """The files that stand for the edition in force of `issue_date` (ingested, or identical to it)."""
        rows = self._run(f"SELECT {_COLUMNS} FROM ledger WHERE issue_date = ?"
                         " AND state IN ('ingested', 'identical') ORDER BY seq", (issue_date.isoformat(),))
        return [_record(row) for row in rows]

    def with_content(self, sha256: str, state: str) -> list[FileRecord]:
        rows = self._run(f"SELECT {_COLUMNS} FROM ledger WHERE sha256 = ? AND state = ? ORDER BY seq",
                         (sha256, state))
        return [_record(row) for row in rows]

    def latest_announcement(self, names: tuple[str, ...]) -> dict[date, str]:
        """For each issue date, the name of its latest logged event among `names` (the events_name index keeps
        this to those events; SQLite takes the bare column from the row holding max(id))."""
        marks = ", ".join("?" * len(names))
        rows = self._run("SELECT json_extract(payload, '$.issue_date') AS day, name, max(id) FROM events"
                         f" WHERE name IN ({marks}) GROUP BY day", names)
        return {date.fromisoformat(row["day"]): row["name"] for row in rows if row["day"]}

    def recent(self, limit: int = RECENT) -> list[FileRecord]:
        """The files whose state changed last, most recent first."""
        rows = self._run(f"SELECT {_COLUMNS} FROM ledger ORDER BY seq DESC LIMIT ?", (limit,))
        return [_record(row) for row in rows]


def _record(row: sqlite3.Row) -> FileRecord:
    return FileRecord(
        file=row["file"], state=row["state"], reason=row["reason"], at=datetime.fromisoformat(row["at"]),
        sha256=row["sha256"], size=row["size"], mtime=row["mtime"], ctime_ns=row["ctime_ns"],
        issue_date=date.fromisoformat(row["issue_date"]) if row["issue_date"] else None,
        edition=row["edition"], other=row["other"], warnings=tuple(json.loads(row["warnings"])),
    )


def view(record: FileRecord, held: dict[date, str]) -> FileRecord:
    """The record as an operator should read it now: an ingested file whose issue is not public is held."""
    if record.state == "ingested" and record.issue_date in held:
        return replace(record, state="held", reason=held[record.issue_date])
    return record


def rows_json(records: list[FileRecord], held: dict[date, str]) -> list[dict[str, Any]]:
    """The ledger rows as JSON-ready dicts: {"file", "state", "reason", "issue_date", ...}, in the given order.
    `held` maps the dates of issues in the store that are not public to why (status.held)."""
    out = []
    for record in (view(r, held) for r in records):
        out.append({
            "file": record.file, "state": record.state, "reason": record.reason,
            "issue_date": record.issue_date.isoformat() if record.issue_date else None,
            "edition": record.edition, "other": record.other, "warnings": list(record.warnings),
            "sha256": record.sha256, "size": record.size, "mtime": record.mtime,
            "at": record.at.isoformat(timespec="seconds"),
        })
    return out


def sentence(row: dict[str, Any]) -> str:
    """One file explained in one sentence, from its `rows_json` dict."""
    text = f"{row['file']} is {row['state']}: {row['reason']}"
    if row["warnings"]:
        text += f" (parser warnings: {'; '.join(row['warnings'])})"
    return text + "."
