"""The feeds' archive (RFC 5005 §4): one RSS, Atom and JSON Feed document per calendar month of issue dates, for
the main feed, each section's and each author's, under `archive/YYYY-MM.{xml,atom,json}` of the feed's folder.

A month's documents hold every public item of the month's issues, newest first; they are rewritten only when the
month changes (an issue, a late issue, a correction, a withdrawal, a release) or when a neighbouring month appears
or empties (their prev-archive/next-archive links move). Withdrawn and withheld items are in none of them, since
they come from the same query as the subscription feeds. A month left with no public item loses its files.
A feed whose subscription document holds its whole history (RFC 5005 §2, `fh:complete`: most authors' feeds,
and every feed of a young paper) has no archive; when it outgrows one document, its archive is written whole.
Each month's HTML page and the list of months (site.py) are written along with them, from the same entries.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from feedsvc import history
from feedsvc.atomic import fsync_dir, remove
from feedsvc.history import month_end, month_name, month_of
from feedsvc.media import Image
from feedsvc.model import Entry
from feedsvc.publish import Publisher
from feedsvc.site import Listings
from feedsvc.store import Store

_MONTH_FILE = re.compile(r"\d{4}-\d{2}\.(xml|atom|json|html)(\.gz)?")
ALL = -1  # no limit: a month's documents hold the whole month
Images = Callable[[Iterable[date]], Mapping[str, Image]]  # the photos of some issues' items, by item id


class Archive:
    """Writes the month documents of one feed (the main feed, or a section's) at one moment."""

    def __init__(self, store: Store, publisher: Publisher, now: datetime, withheld: Collection[date],
                 images: Images, section: str | None = None, author: str | None = None, *,
                 feed_items: int) -> None:
        self._store, self._publisher, self._images = store, publisher, images
        self._now, self._withheld, self._section, self._author = now, withheld, section, author
        self._meta, self._folder = publisher.feed_meta(section, author)
        self._feed_items = feed_items
        self._listings = Listings(publisher, section, author)
        self._months_moved = False  # a month appeared or emptied during this publication

    def publish(self, days: Iterable[date]) -> list[Path]:
        """The months of `days` (and the neighbours whose links they move). A month not written yet (a feed that
        just outgrew its subscription document, or a backfill's) is left to its first request (ondemand.py)."""
        if self._complete():
            return self._remove_all()
        written: list[Path] = []
        self._months_moved = False
        changed = set(days)
        for month in sorted({month_of(day) for day in changed}):
            written += self._month(month, neighbours=True, changed=changed)
        # Only then does the list of months change; not written yet, it is left to its first request.
        if self._months_moved and self._listings.months_page_path().exists():
            written += self._listings.months_page(self._months())
        return written

    def forget(self, days: Iterable[date]) -> list[Path]:
        """Remove what `days` made stale (their months, the nearest written months either side, whose links
        may move, and the list of months) instead of writing it: first requests write them (a backfill)."""
        folder = self._folder_path()
        try:
            names = {entry.name for entry in os.scandir(folder)}
        except FileNotFoundError:
            return []  # nothing written: nothing stale (the usual case, asked of thousands of authors)
        if self._complete():
            return self._remove_all()
        written = sorted({name[:7] for name in names if _MONTH_FILE.fullmatch(name)})
        stale = {month_name(month) for month in {month_of(day) for day in days}}
        for month in sorted(stale):
            at = bisect.bisect_left(written, month)
            stale.update(written[max(at - 1, 0):at + 2])
        removed = [folder / name for name in sorted(names) if (name[:7] in stale and _MONTH_FILE.fullmatch(name))
                   or name.startswith("index.html")]
        removed = [path for path in removed if remove(path, sync=False)]
        if removed and self._publisher.durable:
            fsync_dir(folder)
        return removed

    def write_month(self, month: date) -> bool:
        """One month's documents and page, asked for by a reader; False when the month has nothing public, or
        the feed has no archive (it holds its whole history)."""
        if self._complete() or not self._entries(month, month_end(month), 1):
            return False
        self._month(month, neighbours=False)
        return True

    def write_months_page(self) -> bool:
        """The list of months, asked for by a reader; False when the feed has no archive."""
        months = [] if self._complete() else self._months()
        if months:
            self._listings.months_page(months)
        return bool(months)

    def publish_all(self) -> list[Path]:
        """Every month, newest first (a full rebuild)."""
        if self._complete():
            return self._remove_all()
        written: list[Path] = []
        months = self._months()
        for month in months:
            written += self._month(month, neighbours=False)
        return written + self._listings.months_page(months)

    def _months(self) -> list[date]:
        """Every month with a public entry, newest first: one indexed query per month."""
        months: list[date] = []
        newest = self._edge(None, newest=True)
        month = month_of(newest) if newest else None
        while month is not None:
            months.append(month)
            month = self._before(month)
        return months

    def _entries(self, first: date | None, last: date | None, limit: int, oldest_first: bool = False) -> list[Entry]:
        return self._store.entries(self._now, limit=limit, withheld=self._withheld, section=self._section,
                                   author=self._author, first=first, last=last, oldest_first=oldest_first)

    def _edge(self, bound: date | None, *, newest: bool) -> date | None:
        """The issue date of the newest public entry up to `bound`, or of the oldest from `bound` on."""
        found = self._entries(None, bound, 1) if newest else self._entries(bound, None, 1, oldest_first=True)
        return found[0].issue_date if found else None

    def _before(self, month: date) -> date | None:
        day = self._edge(month - timedelta(days=1), newest=True)
        return month_of(day) if day else None

    def _after(self, month: date) -> date | None:
        last = month_end(month)
        day = self._edge(last + timedelta(days=1), newest=False) if last < date.max else None
        return month_of(day) if day else None

    def _complete(self) -> bool:
        """Whether the subscription feed holds every public entry (the same test as the publication's)."""
        return len(self._entries(None, None, self._feed_items + 1)) <= self._feed_items

    def _remove_all(self) -> list[Path]:
        folder = self._folder_path()
        if not folder.is_dir():
            return []
        removed = [path for path in sorted(folder.iterdir()) if remove(path)]
        if removed and self._publisher.durable:
            fsync_dir(folder)
        return removed

    def _folder_path(self) -> Path:
        return self._publisher.public / self._folder / history.ARCHIVE_FOLDER

    def _paths(self, month: date) -> list[Path]:
        return [self._folder_path() / (month_name(month) + suffix) for suffix in history.SUFFIXES]

    def _month(self, month: date, *, neighbours: bool, changed: Collection[date] = ()) -> list[Path]:
        entries = self._entries(month, month_end(month), ALL)
        paths = self._paths(month)
        existed = paths[0].exists()
        before, after = self._before(month), self._after(month)
        written: list[Path] = []
        if entries:
            # No WebSub hubs: a reader subscribes to the subscription feed, not to an archive document.
            meta = replace(self._meta, hubs=(),
                           history=history.archived(self._meta.feed_url, month, before, after))
            names = [path.name for path in paths]
            images = self._images({entry.issue_date for entry in entries})
            written += self._publisher.write_feeds(self._folder + history.ARCHIVE_FOLDER, names, meta, entries,
                                                   images)
            written += self._listings.month_page(month, entries, before, after)
        elif existed:
            for path in paths:
                for gone in (path, path.with_name(path.name + ".gz")):
                    if remove(gone):
                        written.append(gone)
            written += self._listings.remove_month_page(month)
            if written and self._publisher.durable:
                fsync_dir(paths[0].parent)
        # The month appeared (all it holds comes from the `changed` issues) or emptied: its neighbours' links and
        # the list of months move. (Whether its files exist tells nothing: months are written on request.) The
        # neighbours written already are rewritten, the others are left to their first request.
        if neighbours and all(entry.issue_date in changed for entry in entries):
            self._months_moved = True
            for other in (before, after):
                if other is not None and self._paths(other)[0].exists():
                    written += self._month(other, neighbours=False)
        return written


def publish_archives(store: Store, publisher: Publisher, now: datetime, withheld: Collection[date],
                     images: Images, days: Collection[date], sections: Iterable[str], authors: Iterable[str], *,
                     everything: bool, lazy: bool = False, feed_items: int) -> list[Path]:
    """The main feed's months of `days`, then each of `sections`' and `authors`' (every month of every feed:
    `everything`); or (`lazy`) their stale months removed, for their first requests to write."""
    scopes = [(None, None), *((s, None) for s in sorted(sections)), *((None, a) for a in sorted(authors))]
    written: list[Path] = []
    for section, author in scopes:
        archive = Archive(store, publisher, now, withheld, images, section, author, feed_items=feed_items)
        written += archive.forget(days) if lazy else archive.publish_all() if everything else archive.publish(days)
    return written
