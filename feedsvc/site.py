"""The listing pages that make the site walkable, for the whole paper and for each section and author:

    archive/YYYY-MM.html     the month's issues and their headlines, newest first, with the months before and after
    archive/index.html       every month, newest first (rewritten only when a month appears or empties)
    sections/<slug>/index.html, authors/<slug>/index.html    the newest items (the subscription feed's), with
                             their first lines; sections/<slug>/archive/… and authors/<slug>/archive/… as above

Months are the pages of every listing: a drop rewrites its month's page and the front pages that list it, never
the older pages (whose contents a fixed-size paging would shift by one item on every drop). Every listing comes
from the same store queries as the feeds, so nothing withdrawn or held is listed. Also: the public issues in date
order, for the previous/next links of the issue pages.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from feedsvc.atomic import remove
from feedsvc.history import month_name
from feedsvc.model import Entry
from feedsvc.pages import Link, feed_links
from feedsvc.paper import Paper
from feedsvc.publish import IndexView, Publisher
from feedsvc.store import Store
from feedsvc.text import clean

INDEX_ISSUES = 30  # the latest issues the home page lists (the archive pages list all)
ARCHIVE_PAGE = "archive/"  # in a feed's folder: index.html (the months) and YYYY-MM.html (one month)
ARCHIVE_TITLE = "往期 Archive"
ALL_MONTHS = "全部月份 All months"


@dataclass(frozen=True)
class Pager:
    before: Link | None
    all: Link
    after: Link | None


class IssueOrder:
    """The public issues in date order: each issue page's previous and next issue."""

    def __init__(self, days: Iterable[date]) -> None:
        self._days = sorted(set(days))

    def neighbours(self, day: date) -> tuple[date | None, date | None]:
        """The public issues just before and just after `day` (public or not)."""
        at = bisect.bisect_left(self._days, day)
        after = at + 1 if at < len(self._days) and self._days[at] == day else at
        return (self._days[at - 1] if at else None), (self._days[after] if after < len(self._days) else None)

    def around(self, days: Iterable[date]) -> set[date]:
        """The public neighbours of `days`: their pages link to `days`, or to where one of them was."""
        found: set[date] = set()
        for day in days:
            found.update(d for d in self.neighbours(day) if d is not None)
        return found


class Listings:
    """Writes the listing pages of one feed: the whole paper's (`section` and `author` None), a section's or an
    author's, through the publisher's pages and writes."""

    def __init__(self, publisher: Publisher, section: str | None = None, author: str | None = None) -> None:
        self._publisher, self._pages = publisher, publisher.pages
        meta, self._folder = publisher.feed_meta(section, author)
        self._url = meta.site_url
        self._section = clean(section) if section else None
        name = section if section is not None else author
        self._feeds = feed_links(meta.feed_url, meta.title) if name is not None else ()
        self._heading = name or ARCHIVE_TITLE
        self._front = Link(self._heading, self._url + self._folder) if name is not None else None
        self._all = Link(ALL_MONTHS if name is not None else ARCHIVE_TITLE,
                         self._url + self._folder + ARCHIVE_PAGE)

    def _crumbs(self, *more: Link) -> list[Link]:
        return [link for link in (self._front, *more) if link is not None]

    def _month_link(self, month: date | None) -> Link | None:
        return Link(month_name(month), self._pages.month_href(self._folder, month)) if month else None

    def front_page(self, entries: Sequence[Entry], *, complete: bool) -> list[Path]:
        """A section's or author's page: `entries` (the subscription feed's, newest first) with their first lines;
        unless they are all there is (`complete`: the feed has no archive), the newest month's page and every
        month."""
        newest = entries[0].issue_date.replace(day=1) if entries else None
        by_month = self._month_link(newest)
        more: list[Link] = []
        if not entries:
            note = ""
        elif complete or by_month is None:
            note = f"全部 {len(entries)} 篇 All {len(entries)} items."
        else:  # the newest month's page (whose pager leads to the months before it), and every month
            note = f"最新 {len(entries)} 篇 The newest {len(entries)} items; all of them by month:"
            more = [by_month, self._all]
        data = self._pages.render(
            self._pages.env.get_template("listing.html"), alternates=(*self._pages.common_feeds, *self._feeds),
            heading=self._heading, crumbs=[], here=self._heading, feeds=self._feeds, pager=None, ledes=True,
            note=note, more=more, groups=self._pages.by_issue(entries, listed_in=self._section))
        return self._publisher.write_page(self._folder + "index.html", data)

    def month_page(self, month: date, entries: Sequence[Entry], before: date | None,
                   after: date | None) -> list[Path]:
        """The page of `month`: its `entries` (newest issue first, page order within) under their issues."""
        name = month_name(month)
        data = self._pages.render(
            self._pages.env.get_template("listing.html"), alternates=(*self._pages.common_feeds, *self._feeds),
            heading=f"{self._heading} · {name}", crumbs=self._crumbs(self._all), here=name, feeds=self._feeds,
            pager=Pager(self._month_link(before), self._all, self._month_link(after)), ledes=False, note="", more=[],
            groups=self._pages.by_issue(entries, listed_in=self._section))
        return self._publisher.write_page(f"{self._folder}{ARCHIVE_PAGE}{name}.html", data)

    def remove_month_page(self, month: date) -> list[Path]:
        """A month left with nothing public: its page goes, as its archive documents do."""
        path = self._publisher.public / f"{self._folder}{ARCHIVE_PAGE}{month_name(month)}.html"
        return [p for p in (path.with_name(path.name + ".gz"), path) if remove(p)]  # .gz first, as it is served

    def months_page_path(self) -> Path:
        return self._publisher.public / f"{self._folder}{ARCHIVE_PAGE}index.html"

    def months_page(self, months: Iterable[date]) -> list[Path]:
        """Every month with something public, newest first, by year."""
        years: dict[int, list[Link]] = {}
        for month in sorted(months, reverse=True):
            years.setdefault(month.year, []).append(Link(month_name(month),
                                                         self._pages.month_href(self._folder, month)))
        data = self._pages.render(
            self._pages.env.get_template("months.html"), alternates=(*self._pages.common_feeds, *self._feeds),
            heading=f"{self._heading} · {ALL_MONTHS}" if self._front else ARCHIVE_TITLE,
            crumbs=self._crumbs(), here=ALL_MONTHS if self._front else ARCHIVE_TITLE, years=list(years.items()))
        return self._publisher.write_page(f"{self._folder}{ARCHIVE_PAGE}index.html", data)


def index_view(store: Store, paper: Paper, now: datetime, authors: Iterable[str], feed_items: int) -> IndexView:
    """What the home page shows: the latest public issues, the newest one's items, the calendar's news, and
    whether there is an archive (a main feed holding every item has none: archive.py)."""
    issues = [(r.issue_date, r.item_count) for r in store.issues(limit=INDEX_ISSUES * 2)
              if paper.is_public(r.issue_date, now)][:INDEX_ISSUES]
    archived = len(store.entries(now, limit=feed_items + 1, withheld=paper.withheld())) > feed_items
    calendar = paper.calendar
    resume, reason = calendar.break_until(now) or (None, None)
    return IndexView(issues, store.sections(), calendar.next_expected(now), resume, reason, sorted(authors),
                     calendar.overdue(now, paper.dates.__contains__),
                     store.issue_entries(issues[0][0]) if issues else (), archived)
