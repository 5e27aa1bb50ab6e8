"""Pages written on their first request: what a backfill leaves unwritten, and what a drop writes after its feeds.

A backfill of thousands of issues would spend most of its time writing pages, archive months and feeds that few
readers ever open (8 files an issue, 2,500 month documents for 1,000 issues, a feed per one-time contributor), so
it writes the main and section feeds and the index only, and the feeds of authors that had them already.
A live drop writes its feeds first and its pages just after. Either way a page a feed links may not be in
public/ yet when a reader asks for it; the server then asks here, and this writes it from the store with the
publisher's own functions, so the file is byte-identical to what `feedsvc build` writes, and stays a static file
(served by the server, cached by nginx) from then on. Only public things are written: an item of an issue not
released, held or withdrawn, a month with no public item, or an archive of a feed that holds its whole history
answers 404 as before.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from feedsvc.archive import Archive
from feedsvc.site import IssueOrder

if TYPE_CHECKING:
    from feedsvc.publication import Publication

# How long a request waits for the desk (a publication in progress holds it) before it is told to come back:
# a full rebuild of a long archive holds it for minutes, and waiting requests would tie up the server.
WAIT_SECONDS = 5.0
RETRY_AFTER = 5  # seconds, in the 503 of a request that could not wait


class Busy(Exception):
    """The page could not be written now: the desk is busy (answered 503 with Retry-After)."""


_ITEM = re.compile(r"items/([A-Za-z0-9][A-Za-z0-9._-]*)\.html")
_ISSUE = re.compile(r"issues/(\d{4}-\d{2}-\d{2})\.html")
# A section's or an author's feeds and front page.
_SCOPE = re.compile(r"(sections|authors)/([^/]+)/(?:rss\.xml|atom\.xml|feed\.json|index\.html)")
# The main feed's archive, or a section's or an author's: a month's documents and page, or the list of months.
_ARCHIVE = re.compile(r"(?:(sections|authors)/([^/]+)/)?archive/"
                      r"(?:(\d{4})-(\d{2})\.(?:xml|atom|json|html)|index\.html)")


def could_write(relative: str) -> bool:
    """Whether `relative` names something of the kinds written on request (asked before waiting for the desk:
    /robots.txt and scanners' guesses are 404 at once, even while a publication runs)."""
    return any(pattern.fullmatch(relative) for pattern in (_ITEM, _ISSUE, _SCOPE, _ARCHIVE))


def write(publication: Publication, relative: str) -> bool:
    """Write the page or archive document at `relative` (a path under public/) if it names something public;
    whether it did. The caller holds the service's lock."""
    now = publication.clock()
    paper, store, publisher = publication.paper, publication.store, publication.publisher
    if found := _ITEM.fullmatch(relative):
        entry = store.entry(found[1])
        if entry is None or not paper.is_public(entry.issue_date, now):
            return False
        image = publication.images_of([entry.issue_date]).get(entry.item.id)
        publisher.publish_items([(entry, image)])
        return True
    if found := _ISSUE.fullmatch(relative):
        day = _date(found[1])
        if day is None or not paper.is_public(day, now):
            return False
        order = IssueOrder(paper.public_days(now))
        publisher.publish_issue(day, store.issue_entries(day), publication.images_of([day]), order.neighbours(day))
        return True
    if found := _SCOPE.fullmatch(relative):
        scope = _scope(publication, found[1], found[2])
        if scope is None or not store.entries(now, limit=1, withheld=paper.withheld(), section=scope[0],
                                              author=scope[1]):
            return False
        publication.publish_scope(*scope)
        return True
    if found := _ARCHIVE.fullmatch(relative):
        section = author = None
        if found[1] is not None:
            if (scope := _scope(publication, found[1], found[2])) is None:
                return False
            section, author = scope
        archive = Archive(store, publisher, now, paper.withheld(), publication.images_of, section, author,
                          feed_items=publication.settings.feed_items)
        if found[3] is None:
            return archive.write_months_page()
        month = _date(f"{found[3]}-{found[4]}-01")
        return month is not None and archive.write_month(month)
    return False


def _scope(publication: Publication, folder: str, slug: str) -> tuple[str | None, str | None] | None:
    """(section, author) of a folder under sections/ or authors/, or None when no name has that slug."""
    name = publication.publisher.slugs.name_of("section" if folder == "sections" else "author", slug)
    if name is None:
        return None
    return (name, None) if folder == "sections" else (None, name)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2023-02-30, 2023-13
        return None
