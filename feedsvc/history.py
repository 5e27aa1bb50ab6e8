"""RFC 5005 §4 (archived feeds) in a feed document: its `prev-archive`/`next-archive`/`current` links and the
`fh:archive` mark, written into feedgen's tree (www.rfc-editor.org/rfc/rfc5005#section-4); or, for a feed whose
whole history fits in its subscription document, the `fh:complete` mark of §2 and no archive at all.

feedgen writes only the `self` atom:link into RSS and knows no `fh:` element, so a feedgen extension adds them:
to the RSS channel as atom:link elements (RFC 5005 §1.1 allows them there), to the Atom feed as links.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from feedgen.ext.base import BaseExtension
from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"


@dataclass(frozen=True)
class History:
    """Where one document stands in its feed's archive.

    `links` are (rel, RSS href, Atom href): each format links to the documents of its own format. An archive
    document names itself (`self_rss`/`self_atom`); a subscription document leaves them None (its own URL).
    `json_next` is the JSON Feed `next_url` of the JSON document of the same place (jsonfeed.org/version/1.1).
    """

    archive: bool
    # RFC 5005 §2: the document holds every entry of its feed (so no archive links): most authors' feeds, and
    # a young paper's. A reader then knows an entry missing from it is gone, not archived.
    complete: bool = False
    links: tuple[tuple[str, str, str], ...] = ()
    self_rss: str | None = None
    self_atom: str | None = None
    json_next: str | None = None


class _HistoryExtension(BaseExtension):
    def __init__(self, history: History) -> None:
        self.history = history

    def extend_ns(self) -> dict[str, str]:
        # No atom prefix: feedgen's RSS declares it already, and in Atom it is the default namespace (the W3C
        # validator warns about a prefixed Atom namespace, AvoidNamespacePrefix).
        return {"fh": FH_NS} if self.history.archive or self.history.complete else {}

    def _extend(self, parent: Any, link_tag: str, href_of: int) -> None:
        if self.history.archive:
            etree.SubElement(parent, f"{{{FH_NS}}}archive")
        if self.history.complete:
            etree.SubElement(parent, f"{{{FH_NS}}}complete")
        for link in self.history.links:
            etree.SubElement(parent, link_tag, href=link[href_of], rel=link[0])

    def extend_rss(self, feed: Any) -> Any:
        self._extend(feed[0], f"{{{ATOM_NS}}}link", 1)  # in the channel
        return feed

    def extend_atom(self, feed: Any) -> Any:
        # feedgen builds Atom elements without a namespace under a default xmlns: links must match.
        self._extend(feed, "link", 2)
        return feed


def extension(history: History) -> Callable[[], BaseExtension]:
    """What `FeedGenerator.register_extension` takes: a factory of the extension for this document."""
    return lambda: _HistoryExtension(history)


# --- where the documents live (relative to a feed's folder URL, which ends in "/") --------------------------

ARCHIVE_FOLDER = "archive/"
# The file name endings of one month's documents: RSS, Atom, JSON Feed.
SUFFIXES = (".xml", ".atom", ".json")
# A month ended this long ago is closed: a late issue or a correction still changes it, rarely, and readers
# revalidate with the ETag once a day instead of every few minutes.
CLOSED_MONTH_MAX_AGE = 86_400
_MONTH_FILE = re.compile(r"(?:.*/)?archive/(\d{4})-(\d{2})\.(?:xml|atom|json)")


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    """The last day of `month` (no overflow in December 9999: a stored date may be that far out)."""
    return date(month.year, 12, 31) if month.month == 12 else next_month(month) - timedelta(days=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_name(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_url(feed_url: str, month: date, suffix: str) -> str:
    return f"{feed_url}{ARCHIVE_FOLDER}{month_name(month)}{suffix}"


def _urls(feed_url: str, month: date) -> tuple[str, str]:
    return month_url(feed_url, month, ".xml"), month_url(feed_url, month, ".atom")


COMPLETE = History(archive=False, complete=True)


def subscription(feed_url: str, newest: date | None) -> History | None:
    """A subscription document's history: `prev-archive` to the newest month (which holds its newest entries
    too: a reader merges by id), and JSON Feed's next_url to the same month. None while nothing is archived."""
    if newest is None:
        return None
    return History(archive=False, links=(("prev-archive", *_urls(feed_url, newest)),),
                   json_next=month_url(feed_url, newest, ".json"))


def archived(feed_url: str, month: date, before: date | None, after: date | None) -> History:
    """An archive document of `month`, between the months `before` and `after` (None: there is none)."""
    links = [("current", feed_url + "rss.xml", feed_url + "atom.xml")]
    if before is not None:
        links.append(("prev-archive", *_urls(feed_url, before)))
    if after is not None:
        links.append(("next-archive", *_urls(feed_url, after)))
    rss, atom = _urls(feed_url, month)
    return History(archive=True, links=tuple(links), self_rss=rss, self_atom=atom,
                   json_next=month_url(feed_url, before, ".json") if before else None)


def closed_month_max_age(relative: str, now: datetime) -> int | None:
    """The long max-age of an archive document whose month ended over a day ago, else None (the usual rule:
    the open month still grows with every issue)."""
    found = _MONTH_FILE.fullmatch(relative)
    if found is None:
        return None
    year, month = int(found[1]), int(found[2])
    if not (1 <= month <= 12 and 1 <= year < now.year + 1):
        return None
    ended = datetime.combine(month_end(date(year, month, 1)), time(), UTC) + timedelta(days=2)
    return CLOSED_MONTH_MAX_AGE if now >= ended else None
