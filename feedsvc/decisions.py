"""The operator's decisions in the store: `feedsvc release DATE` (an issue held on a suspended date published after
all) and `feedsvc withdraw DATE` (an issue taken out on purpose), and what a withdrawal leaves behind on the site.


Deleting a file from the inbox never withdraws anything (editors clean their inbox); only this does, or a
correction that drops items. The issue's items are marked withdrawn in one transaction with the IssueWithdrawn
event, so the feeds (main, section, author, archive months) lose them at the next publication, and their pages
answer 410 Gone (https://www.rfc-editor.org/rfc/rfc9110#section-15.5.11): a reader following an old link learns
the item was taken back on purpose, not that the link is broken. A later edition of the date brings it back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime

from feedsvc import urls
from feedsvc.errors import FeedsvcError, StoreError
from feedsvc.events import Event, IssueReleased, IssueScheduled, IssueWithdrawn
from feedsvc.revisions import count_sections, log_events
from feedsvc.rows import require_aware
from feedsvc.store import Store


class Refused(FeedsvcError):
    """An operator's command that does not apply to the issue as it stands (the message says its state)."""


def force_release(store: Store, issue_date: date, now: datetime) -> Event:
    """Publish the issue of `issue_date` although it falls on a suspended date: IssueReleased, or IssueScheduled
    when its release time is still to come (it goes public then, and IssueReleased is said then)."""
    require_aware(now)
    with store.transaction() as db:
        updated = db.execute("UPDATE issues SET forced = 1 WHERE issue_date = ? RETURNING item_count, release_at",
                             (issue_date.isoformat(),)).fetchone()
        if updated is None:
            raise StoreError(f"no issue dated {issue_date.isoformat()} in the store")
        release_at = datetime.fromisoformat(updated[1])
        event: Event = (IssueReleased(issue_date, updated[0]) if release_at <= now
                        else IssueScheduled(issue_date, release_at))
        log_events(db, [event], now)
        return event


def withdraw(store: Store, day: date, now: datetime) -> IssueWithdrawn:
    """Withdraw the issue of `day` and its live items; the committed event. Refused when there is no such issue
    or it is withdrawn already."""
    require_aware(now)
    key = day.isoformat()
    with store.transaction() as db:
        row = db.execute("SELECT withdrawn_at FROM issues WHERE issue_date = ?", (key,)).fetchone()
        if row is None:
            raise Refused(f"{key}: no such issue in the store; nothing to withdraw")
        if row["withdrawn_at"] is not None:
            raise Refused(f"{key}: already withdrawn (at {row['withdrawn_at']})")
        live = db.execute("SELECT section FROM items WHERE issue_date = ? AND withdrawn = 0", (key,)).fetchall()
        db.execute("UPDATE items SET withdrawn = 1 WHERE issue_date = ? AND withdrawn = 0", (key,))
        count_sections(db, Counter({s: -n for s, n in Counter(r["section"] for r in live).items()}))
        db.execute("UPDATE issues SET withdrawn_at = ?, item_count = 0 WHERE issue_date = ?",
                   (now.isoformat(timespec="seconds"), key))
        event = IssueWithdrawn(day, len(live))
        log_events(db, [event], now)
        return event


def withdrawn_dates(store: Store) -> set[date]:
    return {date.fromisoformat(r[0]) for r in store.query("SELECT issue_date FROM issues"
                                                          " WHERE withdrawn_at IS NOT NULL")}


def withdrawn_items(store: Store, days: set[date]) -> list[str]:
    """The ids of the withdrawn items of `days`."""
    rows = store.query("SELECT id FROM items WHERE withdrawn = 1 AND issue_date IN"
                       " (SELECT value FROM json_each(?))", (_json_dates(days),))
    return [r[0] for r in rows]


def gone_paths(store: Store, photos: Callable[[date], Iterable[str]]) -> frozenset[str]:
    """Paths under public/ that answer 410 Gone: the pages and `photos` of the withdrawn issues."""
    days = withdrawn_dates(store)
    paths = {urls.issue_path(d) for d in days} | {urls.item_path(i) for i in withdrawn_items(store, days)}
    for day in days:
        paths.update(photos(day))
    return frozenset(paths)


def _json_dates(days: set[date]) -> str:
    return "[" + ",".join(f'"{d.isoformat()}"' for d in sorted(days)) + "]"
