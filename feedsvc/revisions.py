"""What storing an edition does inside the store's write transaction: the first edition's items, a correction
matched against the edition in force (ids kept, returning items revived), the notice it declares, the log."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date, datetime

from feedsvc.editions import match_items
from feedsvc.events import (
    Event,
    ItemPublished,
    ItemUpdated,
    ItemWithdrawn,
    SuspensionDeclared,
    SuspensionWithdrawn,
)
from feedsvc.model import Issue, item_id
from feedsvc.rows import INSERT_ITEM, ITEM_COLUMNS, content, item_values


def insert_first(db: sqlite3.Connection, issue: Issue, release_at: datetime) -> list[Event]:
    stamp = release_at.isoformat()
    db.executemany(
        INSERT_ITEM,
        [(issue.issue_date.isoformat(), item.id, *item_values(item, item.ordinal), stamp, stamp)
         for item in issue.items])
    count_sections(db, Counter(item.section for item in issue.items))
    return [ItemPublished(item.id, issue.issue_date, item.title) for item in issue.items]


def apply_correction(db: sqlite3.Connection, issue: Issue, current: sqlite3.Row,
                     now: datetime, release_at: datetime) -> list[Event]:
    """Turn the edition in force into `issue`, keeping the ids of matched items."""
    day = issue.issue_date.isoformat()
    old = db.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE issue_date = ? AND withdrawn = 0"
                     " ORDER BY ordinal", (day,)).fetchall()
    matches = match_items([(row["ordinal"], row["title"]) for row in old],
                          [(item.ordinal, item.title) for item in issue.items])
    # An item that a correction withdrew and a later edition brings back keeps the id readers already have.
    gone = db.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE issue_date = ? AND withdrawn = 1"
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
            differs = content(was) != item_values(item, item.ordinal)[1:7]
            db.execute("UPDATE items SET ordinal = ?, kind = ?, title = ?, section = ?, subheads = ?, paragraphs = ?,"
                       " authors = ?, page = ?, subhead_at = ?, published = ?, updated = ? WHERE id = ?",
                       (*item_values(item, item.ordinal), stamp if unreleased else was["published"],
                        changed_at if differs else (stamp if unreleased else was["updated"]), was["id"]))
            if differs:
                events.append(ItemUpdated(was["id"], issue.issue_date, item.title))
        elif index in returning:
            was = gone[returning[index]]
            db.execute("UPDATE items SET withdrawn = 0, ordinal = ?, kind = ?, title = ?, section = ?, subheads = ?,"
                       " paragraphs = ?, authors = ?, page = ?, subhead_at = ?, published = ?, updated = ?"
                       " WHERE id = ?",
                       (*item_values(item, item.ordinal), stamp if unreleased else was["published"],
                        stamp if unreleased else changed_at, was["id"]))
            events.append(ItemPublished(was["id"], issue.issue_date, item.title))
        else:
            last_seq += 1
            new_id = item_id(issue.issue_date, last_seq)
            db.execute(INSERT_ITEM,
                       (day, new_id, *item_values(item, item.ordinal), stamp, changed_at))
            events.append(ItemPublished(new_id, issue.issue_date, item.title))
    kept = set(matches.values())
    for index, row in enumerate(old):
        if index not in kept:
            db.execute("UPDATE items SET withdrawn = 1 WHERE id = ?", (row["id"],))
            events.append(ItemWithdrawn(row["id"], issue.issue_date, row["title"]))
    delta = Counter(item.section for item in issue.items)
    delta.subtract(row["section"] for row in old)
    count_sections(db, delta)
    db.execute("UPDATE issues SET last_seq = ? WHERE issue_date = ?", (last_seq, day))
    return events


def replace_suspension(db: sqlite3.Connection, issue: Issue) -> list[Event]:
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


def count_sections(db: sqlite3.Connection, delta: Counter[str | None]) -> None:
    db.executemany("INSERT INTO sections(section, live) VALUES (?, ?)"
                   " ON CONFLICT(section) DO UPDATE SET live = live + excluded.live",
                   [(section, n) for section, n in delta.items() if section is not None and n != 0])


def log_events(db: sqlite3.Connection, events: list[Event], now: datetime) -> None:
    db.executemany("INSERT INTO events(at, name, payload) VALUES (?, ?, ?)",
                   [(now.isoformat(), event.name, json.dumps(event.to_dict(), ensure_ascii=False))
                    for event in events])


