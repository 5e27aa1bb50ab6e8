"""The publisher: turns stored entries into the files under public/ (feeds, their .gz siblings, HTML pages).

Each method renders to bytes, then writes only what changed, atomically, and returns the paths it wrote.
Layout (relative to public/ and to the site URL alike):
    rss.xml atom.xml feed.json (+ .gz)   sections/<slug>/… and authors/<slug>/… the same three
    feeds.opml   index.html   issues/<YYYY-MM-DD>.html   items/<item id>.html (pages with .gz too)
    404.html   favicon.ico   icon.png   icon.svg   logo.png   media/<DATE-N>.<jpg|png|webp>
"""

from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from feedsvc import feeds, history, jsonfeed, urls
from feedsvc.atomic import fsync_dir, holds, remove, sweep_temp_files, write_atomic
from feedsvc.identity import Identity
from feedsvc.media import Image
from feedsvc.model import Entry
from feedsvc.opml import OPML_NAME, Subscription, render_opml
from feedsvc.pages import Pages, section_feed_title
from feedsvc.slugs import Slugs, legacy
from feedsvc.text import UNTITLED, clean, text_of
from feedsvc.urls import NOT_FOUND_PAGE

FEED_ID = "urn:feedsvc:feed"
# Level 6 is zlib's default trade-off: within a few per cent of level 9 on feed XML at a fraction of the time,
# and this runs on every drop.
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Site:
    title: str
    description: str
    language: str  # e.g. "zh-CN"
    url: str  # absolute site URL ending in "/", e.g. "http://127.0.0.1:8080/"
    timezone: ZoneInfo
    hubs: tuple[str, ...] = ()  # WebSub hubs every feed names
    identity: Identity | None = None  # icon, logo, rights and their files; None: none named


@dataclass(frozen=True)
class IndexView:
    """What index.html shows besides the feeds."""

    issues: Sequence[tuple[date, int]]  # latest issues (date, number of items), newest first
    sections: Sequence[str]
    next_expected: date | None
    on_break_until: date | None  # set during a declared suspension: the resume date
    break_reason: str | None  # e.g. "休刊通知 of 2023-09-27"
    authors: Sequence[str] = ()
    overdue: date | None = None  # an expected issue whose release time passed and that has not arrived
    latest: Sequence[Entry] = ()  # the newest public issue's items: their headlines
    archived: bool = False  # the archive pages exist (the main feed does not hold every item)


def _gz_holds(gz_path: Path, data: bytes) -> bool:
    try:
        return gzip.decompress(gz_path.read_bytes()) == data
    except (OSError, EOFError, zlib.error):  # missing, or cut short by something other than us
        return False


def write_feed_file(path: Path, data: bytes, *, durable: bool = True) -> list[Path]:
    """Write a feed and its pre-compressed sibling; the paths that changed. The caller syncs the folder.

    The server hands `x.gz` to every client that accepts gzip (nearly all feed readers) whenever it
    exists, so the .gz goes first: the stale window then only affects identity clients, for one
    rename. A failure between the two leaves the .gz newer than the plain file, never older, and the
    next publish repairs the plain file since its bytes still differ.
    """
    gz_path = path.with_name(path.name + ".gz")
    if holds(path, data) and _gz_holds(gz_path, data):
        return []  # the common rebuild: checking is far cheaper than compressing again
    written = []
    if write_atomic(gz_path, gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0), sync_dir=False,
                    durable=durable):
        written.append(gz_path)
    if write_atomic(path, data, sync_dir=False, durable=durable):
        written.append(path)
    return written


class Publisher:
    """Writes public/ for one site.

    Feed builds are serialised inside (feedgen flips the process locale); callers serialise publishes
    that write the same files, as the last rename wins.
    """

    def __init__(self, public: Path, site: Site, slugs: Slugs | None = None) -> None:
        if not site.url.endswith("/"):
            raise ValueError(f"site URL {site.url!r} must end in '/'")
        self._public = public
        self.durable = True  # False: skip fsyncs; the caller syncs the whole file system once (full rebuilds)
        self._opml_memo: tuple[object, bytes] = (None, b"")
        self._site = site
        self.slugs = slugs if slugs is not None else Slugs()  # in memory only, without a store
        icons = site.identity.page_icons if site.identity else ()
        self.pages = Pages(site.title, site.description, site.url, site.language, site.timezone, icons, self.slugs)
        if public.is_dir():
            sweep_temp_files(public)  # leftovers of a process killed mid-write

    def section_slug(self, section: str) -> str:
        """The readable, stable, URL- and file-safe name of `section`'s folder (feedsvc.slugs: pinyin)."""
        return self.slugs.section(section)

    def author_slug(self, author: str) -> str:
        """Like `section_slug`, in authors/: a name may be both a section and an author."""
        return self.slugs.author(author)

    def publish_feeds(self, entries: Sequence[Entry], section: str | None = None, author: str | None = None,
                      images: Mapping[str, Image] | None = None, *, complete: bool = False) -> list[Path]:
        """RSS, Atom and JSON Feed of `entries` (newest first): the main feeds, `section`'s or `author`'s.
        `images` (by item id) become the photo items' enclosures.

        They link (RFC 5005 prev-archive, JSON Feed next_url) to the month of their newest entry, whose archive
        documents (archive.py) hold every entry of that month; or, `complete` (they are every public entry of
        their feed), they say so and link no archive.
        """
        meta, folder = self.feed_meta(section, author)
        newest = history.month_of(entries[0].issue_date) if entries else None
        meta = replace(meta, history=history.COMPLETE if complete else history.subscription(meta.feed_url, newest))
        return self.write_feeds(folder, ("rss.xml", "atom.xml", "feed.json"), meta, entries, images)

    def write_feeds(self, folder: str, names: Sequence[str], meta: feeds.FeedMeta, entries: Sequence[Entry],
                    images: Mapping[str, Image] | None = None) -> list[Path]:
        """Render `entries` with `meta` as RSS, Atom and JSON Feed under the three `names` in `folder`."""
        enclosures = {i: self._enclosure(image) for i, image in (images or {}).items()}
        rss, atom = feeds.render_xml(meta, entries, enclosures)
        target = self._public / folder
        written: list[Path] = []
        try:
            for name, data in zip(names, (rss, atom, jsonfeed.render_json(meta, entries, enclosures)), strict=True):
                written += write_feed_file(target / name, data, durable=self.durable)
        finally:
            if written and self.durable:  # one directory sync for the six files, also when a later write failed
                fsync_dir(target)
        return written

    @property
    def public(self) -> Path:
        return self._public

    def feed_meta(self, section: str | None = None, author: str | None = None) -> tuple[feeds.FeedMeta, str]:
        """(what the feed says about itself, its folder relative to public/): the main feed's, or one scope's."""
        site = self._site
        if section is not None:
            slug = self.section_slug(section)
            # The id keeps the hash that named the folder before slugs: a feed's identity does not move with it.
            folder, title, feed_id = urls.section_path(slug), section_feed_title(site.title, section), \
                f"{FEED_ID}:section:{legacy(section)}"
        elif author is not None:
            slug = self.author_slug(author)
            folder, title, feed_id = urls.author_path(slug), section_feed_title(site.title, author), \
                f"{FEED_ID}:author:{legacy(author)}"
        else:
            folder, title, feed_id = "", site.title, FEED_ID
        meta = feeds.FeedMeta(
            title=title,
            description=site.description,
            language=site.language,
            site_url=site.url,
            feed_url=site.url + folder,
            feed_id=feed_id,
            timezone=site.timezone,
            icon=site.identity.icon if site.identity else None,
            logo=site.identity.logo if site.identity else None,
            rights=site.identity.rights if site.identity else None,
            hubs=site.hubs,
        )
        return meta, folder

    def _enclosure(self, image: Image) -> feeds.Enclosure:
        return feeds.Enclosure(self._site.url + image.path, image.length, image.mime)

    def publish_item(self, entry: Entry, image: Image | None = None, *, sync_dir: bool = True) -> list[Path]:
        """The item's own page, which the feeds link to; a photo item shows its `image`."""
        section = text_of(entry.item).section
        image_url = self._site.url + image.path if image else None
        authors = [(name, self.author_slug(name)) for name in entry.item.authors]
        data = self.pages.item(entry, self.section_slug(section) if section else None, image_url, authors)
        return self._write(urls.item_path(entry.item.id), data, sync_dir=sync_dir)

    def publish_items(self, entries: Sequence[tuple[Entry, Image | None]]) -> list[Path]:
        """Several item pages, their folder synced once (not once per page) before this returns: an issue's
        pages are on the drop's critical path, before the feeds that link them."""
        written: list[Path] = []
        try:
            for entry, image in entries:
                written += self.publish_item(entry, image, sync_dir=False)
        finally:
            if written and self.durable:
                fsync_dir(written[0].parent)
        return written

    def publish_issue(self, issue_date: date, entries: Sequence[Entry], images: Mapping[str, Image] | None = None,
                      neighbours: tuple[date | None, date | None] = (None, None)) -> list[Path]:
        """An issue's page, linking the public issues before and after it (`neighbours`)."""
        image_urls = {i: self._site.url + image.path for i, image in (images or {}).items()}
        return self._write(urls.issue_path(issue_date),
                           self.pages.issue(issue_date, entries, image_urls, neighbours))

    def publish_index(self, view: IndexView) -> list[Path]:
        """index.html and feeds.opml, the list of every feed it links to; the site's own files (the 404 page,
        favicon.ico, the icon and logo)."""
        sections = [(name, self.section_slug(name)) for name in view.sections]
        authors = [(name, self.author_slug(name)) for name in view.authors]
        # Rendered again only when a section or author came or went: at 10,000 issues it lists ~4,600 authors.
        key = (tuple(sections), tuple(authors))
        if self._opml_memo[0] != key:
            self._opml_memo = (key, self._opml(sections, authors))
        written = write_feed_file(self._public / OPML_NAME, self._opml_memo[1], durable=self.durable)
        written += self._write(NOT_FOUND_PAGE, self.pages.not_found())
        for name, data in self._site.identity.files if self._site.identity else ():
            written += self._write(name, data, gzip_sibling=False)  # images: compressed already, or tiny
        data = self.pages.index(view.issues, sections, view.next_expected, view.on_break_until,
                                view.break_reason, authors, view.overdue, view.latest, view.archived)
        return written + self._write("index.html", data)

    def _opml(self, sections: Sequence[tuple[str, str]], authors: Sequence[tuple[str, str]]) -> bytes:
        site = self._site
        title = clean(site.title) or UNTITLED
        return render_opml(title, site.url, Subscription(title, site.url + "rss.xml", site.url), [
            ("栏目 Sections", [Subscription(section_feed_title(title, name), site.url + urls.section_path(slug)
                                            + "rss.xml", site.url) for name, slug in sections]),
            ("作者 Authors", [Subscription(section_feed_title(title, name), site.url + urls.author_path(slug)
                                           + "rss.xml", site.url) for name, slug in authors]),
        ])

    def remove_item(self, item_id: str) -> list[Path]:
        """A withdrawn item's page goes away (readers following an old link get a 404, not stale text); its .gz
        first, as the server would hand it to gzip clients while it exists."""
        path = self._public / urls.item_path(item_id)
        return [p for p in (path.with_name(path.name + ".gz"), path) if remove(p)]

    def has_feeds(self, section: str | None = None, author: str | None = None) -> bool:
        return (self._public / self.feed_meta(section, author)[1] / "rss.xml").exists()

    def has_issue_page(self, issue_date: date) -> bool:
        return (self._public / urls.issue_path(issue_date)).exists()

    def forget_issues(self, days: Collection[date]) -> list[Path]:
        """Remove the item pages and issue pages of `days` (stale: their issues changed), for their first requests
        to write them again (ondemand.py); one listing of items/, not a stat per item."""
        dates = {day.isoformat() for day in days}  # an item id starts with its date and a dash (model.item_id)
        removed = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self._public / "items"):
                if entry.name[:10] in dates and entry.name[10:11] == "-" and remove(Path(entry.path), sync=False):
                    removed.append(Path(entry.path))
        for day in days:
            path = self._public / urls.issue_path(day)
            removed += [p for p in (path.with_name(path.name + ".gz"), path) if remove(p, sync=False)]
        if removed and self.durable:
            for folder in {path.parent for path in removed}:
                fsync_dir(folder)
        return removed

    def remove_issue(self, issue_date: date) -> list[Path]:
        """A withdrawn issue's page (and its .gz) goes away; the server answers 410 Gone for it."""
        path = self._public / urls.issue_path(issue_date)
        return [p for p in (path.with_name(path.name + ".gz"), path) if remove(p)]

    def write_page(self, relative: str, data: bytes) -> list[Path]:
        """Write one page (and its .gz) under public/, atomically, only when its bytes change; the paths written."""
        return self._write(relative, data)

    def _write(self, relative: str, data: bytes, *, sync_dir: bool = True, gzip_sibling: bool = True) -> list[Path]:
        """A page (with its .gz sibling, served to clients that accept gzip, as the feeds are) or a site file."""
        path = self._public / relative
        if gzip_sibling:
            written = write_feed_file(path, data, durable=self.durable)
        else:
            written = [path] if write_atomic(path, data, sync_dir=False, durable=self.durable) else []
        if written and sync_dir and self.durable:
            fsync_dir(path.parent)
        return written
