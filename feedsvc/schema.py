"""The store's schema as an ordered list of named steps, applied behind `PRAGMA user_version`.

Step n (1-based) brings the database to user_version n. Each step runs in its own transaction together with
its record in `schema_steps`, so a crash mid-upgrade leaves the previous version intact. Never edit a
released step: append a new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from feedsvc.errors import StoreError


@dataclass(frozen=True)
class Step:
    name: str
    statements: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step("initial", (
        """CREATE TABLE schema_steps (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL
        )""",
        # One row per issue date: the edition in force. Times are ISO 8601 with the offset we were given;
        # release_ts (UTC epoch) exists only so comparisons with `now` use an index.
        """CREATE TABLE issues (
            issue_date TEXT PRIMARY KEY,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            edition INTEGER NOT NULL,
            mtime REAL NOT NULL,
            release_at TEXT NOT NULL,
            release_ts REAL NOT NULL,
            forced INTEGER NOT NULL DEFAULT 0,
            item_count INTEGER NOT NULL,
            last_seq INTEGER NOT NULL  -- highest ordinal ever used in an id of this date; fresh ids go above
        ) WITHOUT ROWID""",
        "CREATE INDEX issues_release ON issues(release_ts)",
        """CREATE TABLE items (
            id TEXT PRIMARY KEY,
            issue_date TEXT NOT NULL REFERENCES issues(issue_date),
            ordinal INTEGER NOT NULL,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            section TEXT,
            subheads TEXT NOT NULL,
            paragraphs TEXT NOT NULL,
            authors TEXT NOT NULL,
            page INTEGER,
            published TEXT NOT NULL,
            updated TEXT NOT NULL,
            withdrawn INTEGER NOT NULL DEFAULT 0
        )""",
        # Partial indexes over live items only, ordered as the feeds read them (newest issue, page order).
        "CREATE UNIQUE INDEX items_live ON items(issue_date DESC, ordinal) WHERE withdrawn = 0",
        "CREATE INDEX items_section ON items(section, issue_date DESC, ordinal) WHERE withdrawn = 0",
        "CREATE INDEX items_issue ON items(issue_date)",
        # Live item count per section, kept by the writes so sections() never scans items.
        """CREATE TABLE sections (
            section TEXT PRIMARY KEY,
            live INTEGER NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE suspensions (
            issue_date TEXT PRIMARY KEY REFERENCES issues(issue_date),
            notice_date TEXT NOT NULL,
            body TEXT NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX suspensions_notice ON suspensions(notice_date)",
        # Every content ever seen: applied, superseded by a newer file, or rejected.
        """CREATE TABLE contents (
            sha256 TEXT PRIMARY KEY,
            outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'superseded', 'rejected')),
            issue_date TEXT,
            file TEXT NOT NULL
        ) WITHOUT ROWID""",
        # Files whose latest attempt failed; a later success for the same name deletes the row.
        """CREATE TABLE rejections (
            file TEXT PRIMARY KEY,
            sha256 TEXT,
            reason TEXT NOT NULL,
            at TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            name TEXT NOT NULL,
            payload TEXT NOT NULL
        )""",
    )),
    Step("events by name", (
        # missing() looks up IssueMissing events among all the others.
        "CREATE INDEX events_name ON events(name)",
        # Nothing deletes issues, so the foreign key never needs this; items_live serves lookups by date.
        "DROP INDEX items_issue",
    )),
    Step("subhead positions", (
        # JSON list: for each subhead, the index of the paragraph it precedes, so pages show it in place.
        "ALTER TABLE items ADD COLUMN subhead_at TEXT NOT NULL DEFAULT '[]'",
    )),
    Step("items by issue", (
        # sections_of() reads withdrawn items too, which the partial items_live index leaves out.
        "CREATE INDEX items_by_issue ON items(issue_date)",
    )),
    Step("websub", (
        # One row per (topic, callback) whose intent was verified; expires_ts is the lease's end (UTC epoch).
        # pending: the topic changed since the last delivery that succeeded; attempts: failures since then.
        """CREATE TABLE websub_subscriptions (
            topic TEXT NOT NULL,
            callback TEXT NOT NULL,
            secret TEXT,
            lease_seconds INTEGER NOT NULL,
            expires_ts REAL NOT NULL,
            since TEXT NOT NULL,
            pending INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            delivered INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            PRIMARY KEY (topic, callback)
        ) WITHOUT ROWID""",
        # The sha256 of each topic's document as last pushed (a change is a different digest), and how many
        # subscribers were dropped after failing.
        """CREATE TABLE websub_topics (
            topic TEXT PRIMARY KEY,
            digest TEXT,
            dropped INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID""",
    )),
    Step("items by author", (
        # Who wrote each live item, kept by triggers on items, so an author's feed walks an index in output
        # order instead of scanning every item's JSON author list (a scan per author made a drop at 1,000
        # archived issues ~5x slower and a 1,000-issue backfill ~40x slower).
        """CREATE TABLE item_authors (
            author TEXT NOT NULL,
            id TEXT NOT NULL,
            issue_date TEXT NOT NULL,
            ordinal INTEGER NOT NULL,
            PRIMARY KEY (author, id)
        ) WITHOUT ROWID""",
        "CREATE INDEX item_authors_order ON item_authors(author, issue_date DESC, ordinal)",
        # OR IGNORE: a byline may name the same person twice.
        """CREATE TRIGGER item_authors_insert AFTER INSERT ON items WHEN new.withdrawn = 0 BEGIN
            INSERT OR IGNORE INTO item_authors(author, id, issue_date, ordinal)
                SELECT value, new.id, new.issue_date, new.ordinal FROM json_each(new.authors);
        END""",
        """CREATE TRIGGER item_authors_update AFTER UPDATE OF authors, withdrawn, ordinal, issue_date ON items BEGIN
            DELETE FROM item_authors WHERE id = old.id AND author IN (SELECT value FROM json_each(old.authors));
            INSERT OR IGNORE INTO item_authors(author, id, issue_date, ordinal)
                SELECT value, new.id, new.issue_date, new.ordinal FROM json_each(new.authors) WHERE new.withdrawn = 0;
        END""",
        """CREATE TRIGGER item_authors_delete AFTER DELETE ON items BEGIN
            DELETE FROM item_authors WHERE id = old.id AND author IN (SELECT value FROM json_each(old.authors));
        END""",
        """INSERT OR IGNORE INTO item_authors(author, id, issue_date, ordinal)
            SELECT a.value, t.id, t.issue_date, t.ordinal FROM items t, json_each(t.authors) a
            WHERE t.withdrawn = 0""",
    )),
    Step("ledger", (
        # The account of every inbox file (feedsvc.ledger): its latest content and ctime, what became of it
        # and why. state 'held' is never stored: it is read off the issue (not released yet, or suspended).
        """CREATE TABLE ledger (
            file TEXT PRIMARY KEY,
            size INTEGER,
            mtime REAL,
            ctime_ns INTEGER,
            sha256 TEXT,
            state TEXT NOT NULL
                CHECK (state IN ('ingested', 'identical', 'superseded', 'rejected', 'ignored', 'waiting')),
            reason TEXT NOT NULL,
            issue_date TEXT,
            edition INTEGER,
            other TEXT,  -- the file it is identical to, or superseded by
            warnings TEXT NOT NULL DEFAULT '[]',
            at TEXT NOT NULL,
            seq INTEGER NOT NULL  -- order of the latest change: the most recent files first
        ) WITHOUT ROWID""",
        "CREATE INDEX ledger_recent ON ledger(seq)",
        "CREATE INDEX ledger_by_issue ON ledger(issue_date, state)",
    )),
    Step("public mark", (
        # When the issue first reached the feeds (NULL: never yet). Public stays public: a later notice, a
        # configured suspension or a clock set back never takes it out again (issue 16).
        "ALTER TABLE issues ADD COLUMN public_at TEXT",
    )),
    Step("slugs", (
        # The readable URL name of each section and author (feedsvc.slugs), chosen once and kept: the pages and
        # feeds of a name stay where readers found them. Names are stored cleaned, as the pages show them.
        """CREATE TABLE slugs (
            kind TEXT NOT NULL CHECK (kind IN ('section', 'author')),
            name TEXT NOT NULL,
            slug TEXT NOT NULL,
            PRIMARY KEY (kind, name),
            UNIQUE (kind, slug)
        ) WITHOUT ROWID""",
    )),
    Step("withdrawal", (
        # When an editor withdrew the issue on purpose (`feedsvc withdraw`; NULL: not withdrawn). Its items are
        # withdrawn with it and its pages answer 410 Gone; a later edition of the date brings it back.
        "ALTER TABLE issues ADD COLUMN withdrawn_at TEXT",
    )),
    Step("ledger by content", (
        # Each file taken asks whether its content was seen before (a revert, a rejected file renamed): without
        # this, a scan of the whole ledger per file, and a backfill of 10,000 files spent 40% of its time there.
        "CREATE INDEX ledger_content ON ledger(sha256, state)",
    )),
)

VERSION = len(STEPS)


def migrate(conn: sqlite3.Connection, upto: int = VERSION) -> int:
    """Apply the steps the database lacks, each in one transaction; returns the resulting version.

    `conn` must be in autocommit mode (isolation_level=None) so the explicit BEGIN here is the only one. `upto`
    stops at an earlier version: the store an older feedsvc made, for the upgrade tests.
    """
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > VERSION:
        raise StoreError(f"database schema version {current} is newer than this feedsvc ({VERSION})")
    for version, step in enumerate(STEPS[current:upto], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in step.statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_steps(version, name) VALUES (?, ?)", (version, step.name))
            # PRAGMA cannot take parameters; version is our own integer.
            conn.execute(f"PRAGMA user_version = {version:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return max(int(current), upto)
