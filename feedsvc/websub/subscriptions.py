"""The hub's table in the store (schema step "websub"): subscriptions, what each is owed, and topic digests.

The hub thread owns one connection of its own, so a delivery never waits on the service's lock and the
service never waits on a delivery. Each method is one short transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Subscription:
    topic: str
    callback: str
    secret: str | None
    lease_seconds: int
    expires_ts: float  # UTC epoch seconds
    pending: bool  # the topic changed since the last delivery that succeeded
    attempts: int  # failed attempts at the owed delivery

    @property
    def key(self) -> tuple[str, str]:
        return self.topic, self.callback


_COLUMNS = "topic, callback, secret, lease_seconds, expires_ts, pending, attempts"


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(row["topic"], row["callback"], row["secret"], row["lease_seconds"], row["expires_ts"],
                        bool(row["pending"]), row["attempts"])


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the store the service opened (and brought to the current schema) first."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA synchronous = NORMAL")  # as the store: WAL survives process crashes without fsync per commit
    return db


class Subscriptions:
    def __init__(self, path: Path) -> None:
        self._db = connect(path)

    def close(self) -> None:
        self._db.close()

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[Subscription]:
        return [_subscription(r) for r in self._db.execute(f"SELECT {_COLUMNS} FROM websub_subscriptions {sql}",
                                                           params)]

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _change(self, sql: str, params: tuple[object, ...]) -> int:
        with self._tx() as db:
            return db.execute(sql, params).rowcount

    # --- subscriptions ----------------------------------------------------------------------------------

    def get(self, topic: str, callback: str) -> Subscription | None:
        rows = self._rows("WHERE topic = ? AND callback = ?", (topic, callback))
        return rows[0] if rows else None

    def count(self, topic: str | None = None) -> int:
        if topic is None:
            return int(self._db.execute("SELECT count(*) FROM websub_subscriptions").fetchone()[0])
        sql = "SELECT count(*) FROM websub_subscriptions WHERE topic = ?"
        return int(self._db.execute(sql, (topic,)).fetchone()[0])

    def subscribe(self, topic: str, callback: str, secret: str | None, lease_seconds: int, now: datetime) -> None:
        """Create or renew (new lease and secret; what it was owed stays owed)."""
        self._change(
            """INSERT INTO websub_subscriptions(topic, callback, secret, lease_seconds, expires_ts, since)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(topic, callback) DO UPDATE SET secret = excluded.secret,
                   lease_seconds = excluded.lease_seconds, expires_ts = excluded.expires_ts""",
            (topic, callback, secret, lease_seconds, now.timestamp() + lease_seconds, now.isoformat()),
        )

    def remove(self, topic: str, callback: str) -> bool:
        sql = "DELETE FROM websub_subscriptions WHERE topic = ? AND callback = ?"
        return self._change(sql, (topic, callback)) > 0

    def expire(self, now: datetime) -> list[Subscription]:
        """Remove the subscriptions whose lease ended; returns them."""
        gone = self._rows("WHERE expires_ts <= ?", (now.timestamp(),))
        if gone:
            self._change("DELETE FROM websub_subscriptions WHERE expires_ts <= ?", (now.timestamp(),))
        return gone

    def topics(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT topic FROM websub_subscriptions ORDER BY topic")]

    def owed(self) -> list[Subscription]:
        """Subscriptions owed a delivery (also those left owed by a previous run)."""
        return self._rows("WHERE pending = 1 ORDER BY topic, callback")

    # --- deliveries -------------------------------------------------------------------------------------

    def changed(self, topic: str) -> list[Subscription]:
        """The topic changed: every subscriber is owed the new document (a retry count starts afresh)."""
        self._change("UPDATE websub_subscriptions SET pending = 1, attempts = 0 WHERE topic = ?", (topic,))
        return self._rows("WHERE topic = ? ORDER BY callback", (topic,))

    def delivered(self, topic: str, callback: str) -> None:
        self._change("""UPDATE websub_subscriptions SET pending = 0, attempts = 0, delivered = delivered + 1,
                        last_error = NULL WHERE topic = ? AND callback = ?""", (topic, callback))

    def failed(self, topic: str, callback: str, error: str) -> int:
        """Count a failed attempt; returns the attempts made at the owed delivery so far."""
        with self._tx():
            self._db.execute("""UPDATE websub_subscriptions SET attempts = attempts + 1, failed = failed + 1,
                                last_error = ? WHERE topic = ? AND callback = ?""", (error, topic, callback))
            row = self._db.execute("SELECT attempts FROM websub_subscriptions WHERE topic = ? AND callback = ?",
                                   (topic, callback)).fetchone()
        return int(row[0]) if row else 0

    def drop(self, topic: str, callback: str) -> None:
        """A callback that kept failing (or answered 410 Gone) is removed, and counted against its topic."""
        with self._tx():
            self._db.execute("DELETE FROM websub_subscriptions WHERE topic = ? AND callback = ?", (topic, callback))
            self._db.execute("""INSERT INTO websub_topics(topic, digest, dropped) VALUES (?, NULL, 1)
                                ON CONFLICT(topic) DO UPDATE SET dropped = dropped + 1""", (topic,))

    # --- topic digests ----------------------------------------------------------------------------------

    def digest(self, topic: str) -> str | None:
        row = self._db.execute("SELECT digest FROM websub_topics WHERE topic = ?", (topic,)).fetchone()
        return row[0] if row else None

    def set_digest(self, topic: str, digest: str) -> None:
        self._change("""INSERT INTO websub_topics(topic, digest) VALUES (?, ?)
                        ON CONFLICT(topic) DO UPDATE SET digest = excluded.digest""", (topic, digest))
