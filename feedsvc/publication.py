"""Keeping public/ in step with the store: what is stale, the order of writing, and recovery after a crash.

Stale work (dates whose files lag behind the store, withdrawn items whose pages must go, sections items left)
is kept until a publication succeeds, so a failed one (disk full) is retried by the next. The published-through
mark in the data folder lets a restart redo what a crash cut short (`recover`). A backfill's pages and archive
months (`hand_over`) are left to their first request (ondemand.py). Not thread-safe on its own: the Service
calls it under its lock.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

from feedsvc.archive import publish_archives
from feedsvc.clock import Clock
from feedsvc.config import Settings
from feedsvc.decisions import withdrawn_items
from feedsvc.events import ItemPublished, ItemUpdated, ItemWithdrawn
from feedsvc.identity import identity
from feedsvc.media import MEDIA_FOLDER, Image, MediaShelf
from feedsvc.paper import Paper
from feedsvc.photos import Photos
from feedsvc.publish import IndexView, Publisher, Site
from feedsvc.site import IssueOrder, Listings, index_view
from feedsvc.slugs import Slugs
from feedsvc.store import Store
from feedsvc.websub.discovery import hub_urls

log = logging.getLogger("feedsvc")

# In the data folder: the id of the last logged event whose effects public/ shows. Events after it (the
# process died between an ingestion's commit and its publication) are published again at start. Written in
# place: a write cut short leaves a prefix of the digits (a smaller id: more is replayed) or nothing (all is).
PUBLISHED_MARK = "published-through"
# Files every publication writes: one of them missing means public/ was emptied or deleted.
_ALWAYS = ("index.html", "rss.xml", "atom.xml", "feed.json")


def publisher_for(settings: Settings, url: str, slugs: Slugs) -> Publisher:
    s = settings
    hubs = hub_urls(url, s.websub.builtin, s.websub.hubs)
    named = identity(s.title, url, s.icon, s.logo, s.copyright)
    return Publisher(s.public, Site(s.title, s.description, s.language, url, s.timezone, hubs, named), slugs)


class Publication:
    def __init__(self, settings: Settings, store: Store, paper: Paper, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.paper = paper
        self.clock = clock
        self.slugs = Slugs(store.path)  # also what the server redirects the old hash URLs by
        self.publisher = publisher_for(settings, settings.site_url, self.slugs)
        self._stale: set[date] = set()  # dates whose files lag behind the store
        self._unchecked: set[date] = set()  # stale dates `hand_over` has not looked at yet
        self._withdrawn: set[str] = set()  # item ids whose pages go once no feed links to them
        self._vacated_sections: set[str] = set()  # sections a correction took items out of
        self._vacated_authors: set[str] = set()  # authors a correction took items from
        self._handed: set[date] = set()  # a backfill's issues: their pages are written on first request
        self._authors: set[str] | None = None  # every author with a live item, once a publication asked
        self._mark: int | None = None  # the PUBLISHED_MARK last written by this process
        self._released_through = clock()
        self.media = MediaShelf(settings.data / MEDIA_FOLDER, settings.public, settings.max_image_bytes)
        self.photos = Photos(self.media, store, paper)
        self.fault: str | None = None  # why the last publication failed, until one succeeds
        # Called after every publication (also one that failed part-way), and as soon as the main feeds changed:
        # WebSub pushes the feeds that changed.
        self.published_hooks: list[Callable[[], None]] = []
        self.last_seconds = 0.0  # how long the latest publication took

    def set_site_url(self, url: str) -> None:
        """Links follow the address actually served (port 0 binds a port only known at start)."""
        self.publisher = publisher_for(self.settings, url, self.slugs)

    # --- what is stale -------------------------------------------------------------------------------------

    def on_item_event(self, event: ItemPublished | ItemUpdated | ItemWithdrawn) -> None:
        self._stale.add(event.issue_date)
        self._unchecked.add(event.issue_date)
        if isinstance(event, ItemWithdrawn):
            self._withdrawn.add(event.item_id)
        else:  # an item a later edition brings back keeps its id: its page stays
            self._withdrawn.discard(event.item_id)

    def mark_stale(self, days: set[date]) -> None:
        self._stale.update(days)

    def take_image(self, path: Path, inbox: Path) -> Image:
        """Keep an inbox photo for its issue's photo item; ParseError when it cannot be used (the caller accounts
        for it as ignored: it is not an issue)."""
        image = self.media.take(path, inbox)
        self._stale.add(image.issue_date)
        self._unchecked.add(image.issue_date)
        return image

    def _images(self, days: Iterable[date], now: datetime) -> dict[str, Image]:
        return self.photos.of(days, now, durable=self.publisher.durable)

    def images_of(self, days: Iterable[date]) -> dict[str, Image]:
        return self._images(days, self.clock())

    def note_vacated(self, sections: Iterable[str], authors: Iterable[str] = ()) -> None:
        """Sections and authors an issue had before a correction: a moved or withdrawn item leaves their feeds."""
        self._vacated_sections.update(sections)
        self._vacated_authors.update(authors)

    @property
    def has_stale(self) -> bool:
        return bool(self._stale)

    def is_due(self) -> bool:
        """Due releases, or what a failed publication left."""
        return bool(self._stale) or bool(self._came_due(self.clock()))

    def _came_due(self, now: datetime) -> set[date]:
        """Issues released since the last publication: every publication takes them along, whoever runs it."""
        return {r.issue_date for r in self.store.pending(self._released_through) if r.release_at <= now}

    # --- recovery and hand-over ----------------------------------------------------------------------------

    def recover(self, recent: int = 10) -> None:
        """At start: redo what the events logged since the last publication touched, and the newest issues. (A
        page missing from public/ is no sign of a crash: it is written on its first request.)"""
        self._replay_unpublished()
        self._stale.update(r.issue_date for r in self.store.issues(limit=recent))
        self.publish_or_report()

    def _replay_unpublished(self) -> None:
        """Mark stale what the events after the published mark touched."""
        try:
            text = (self.settings.data / PUBLISHED_MARK).read_text()
        except FileNotFoundError:
            text = ""  # never published: everything logged is unpublished (nothing, in a new folder)
        after = int(text) if text.strip().isdigit() else 0
        while events := self.store.events(after=after):
            for event in events:
                day = event.payload.get("issue_date")
                if isinstance(day, str):
                    self._stale.add(date.fromisoformat(day))
                if event.name == ItemWithdrawn.__name__:
                    self._withdrawn.add(event.payload["item_id"])
                elif event.name == ItemPublished.__name__:
                    self._withdrawn.discard(event.payload["item_id"])
            after = events[-1].id

    def hand_over(self) -> list[date]:
        """Take the changed issues that are public now off the stale set (a backfill's): the next publication
        writes the feeds that list them and removes their stale pages, which their first requests write."""
        now = self.clock()
        # Only what changed since the last call: the dates a suspension notice made stale stay stale, and asking
        # about each of them again for every file made a backfill quadratic.
        days = sorted(d for d in self._unchecked & self._stale if self.paper.is_public(d, now))
        self._unchecked.clear()
        self._stale.difference_update(days)
        self._handed.update(days)
        self.paper.mark_public(days, now)  # the next publication's feeds will hold them
        return days

    # --- writing -------------------------------------------------------------------------------------------

    def publish_or_report(self, *, everything: bool = False) -> None:
        """Publish; a failed write (disk full) is logged, public/ keeps its last good files, the next one retries
        (the tick, at the latest) and `fault` says why until one succeeds."""
        try:
            self.publish(everything=everything)
        except OSError as exc:
            log.error("publishing failed, public/ keeps its last good files until the next publication: %s", exc)
            self.fault = f"public/ cannot be written: {exc}"
        else:
            if self.fault is not None:
                log.info("public/ is written again")
            self.fault = None

    def repair(self) -> None:
        """Rewrite what went missing from public/ (a folder deleted by hand, a clean-up script); run each tick."""
        public = self.settings.public
        if not all((public / name).exists() for name in _ALWAYS):
            log.warning("%s lacks its feeds or index; writing everything again", public)
            self.publish_or_report(everything=True)
        elif self.fault is not None:  # (a page gone missing is written again on its first request)
            self.publish_or_report()

    def publish(self, *, everything: bool = False, pages: bool = True) -> None:
        """Bring public/ in step with the store: the main feeds, the item pages they link, the other feeds and
        archive months, the issue pages, the index.

        The main feeds come first: they are what readers wait for. A reader following one of their links before
        its page is written gets the page written on request (ondemand.py), never a 404; withdrawn items' pages
        go once the feeds no longer link to them. What was stale stays stale until this succeeds, so after a
        failed write (it raises) the next publication catches up. `pages=False` (a backfill's end) writes feeds
        and the index only, and removes the changed issues' stale pages and archive months: their first
        requests write them.
        """
        started = time.monotonic()
        now = self.clock()
        self.paper.catch_up()
        self._stale.update(self._came_due(now))
        through = self.store.last_event_id()
        stale, withdrawn = set(self._stale), set(self._withdrawn)
        vacated_sections, vacated_authors = set(self._vacated_sections), set(self._vacated_authors)
        handed = set(self._handed)
        # A full rebuild visits every issue, unless someone else wrote the pages (`hand_over`).
        days = {r.issue_date for r in self.store.issues()} if everything and pages else stale
        # Issues withdrawn on purpose: their items' pages, their page and photos go (answered 410 Gone).
        withdrawn |= set(withdrawn_items(self.store, gone := days & self.paper.withdrawn))
        self._released_through = now
        reached = [day for day in sorted(days) if self.paper.is_public(day, now)]
        public = reached if pages else []
        # A full rebuild reads one issue at a time (holding every entry of 10,000 issues costs ~150 MB).
        preloaded = {} if everything else {day: self.store.issue_entries(day) for day in public}
        # Every section a changed issue has or had: a withdrawn, moved or newly withheld item must leave it.
        sections = vacated_sections | (set(self.store.sections()) if everything else set().union(
            *(self.store.sections_of(day) for day in days)))
        authors = vacated_authors | (self.all_authors(fresh=True) if everything else set().union(
            *(self.store.authors_of(day) for day in days)))
        if vacated_authors or withdrawn:
            self._authors = None  # an author may have lost their last item
        self.publisher.durable = not everything  # a full rebuild syncs once at the end instead of per file
        self.photos.forget()
        try:
            self._publish_feeds(now, [(None, None)])
            for day in public:
                images = self._images([day], now)
                self.publisher.publish_items([(entry, images.get(entry.item.id))
                                              for entry in preloaded.get(day) or self.store.issue_entries(day)])
            if not pages:
                self.publisher.forget_issues(days | handed)
            # In a backfill, an author's feeds not written yet are left to their first request (ondemand.py):
            # 10,000 bench issues have 4,600 authors, most of them contributors who signed once.
            self._publish_feeds(now, [*((s, None) for s in sorted(sections)), *(
                (None, a) for a in sorted(authors) if pages or self.publisher.has_feeds(author=a))])
            publish_archives(self.store, self.publisher, now, self.paper.withheld(),
                             lambda some: self._images(some, now), days | handed, sections, authors,
                             everything=everything, lazy=not pages, feed_items=self.settings.feed_items)
            for item_id in sorted(withdrawn):
                self.publisher.remove_item(item_id)
            for day in sorted(gone):  # no feed links to them any more
                self.publisher.remove_issue(day)
                self.media.unpublish(day)
            # Then the pages of the public issues next to every changed one, where written: their links move.
            order = IssueOrder(self.paper.public_days(now))
            around = order.around(days | handed) - set(public) - handed
            for day in [*public, *sorted(d for d in around if self.publisher.has_issue_page(d))]:
                self.publisher.publish_issue(day, preloaded.get(day) or self.store.issue_entries(day),
                                             self._images([day], now), order.neighbours(day))
            self.publisher.publish_index(self._index_view(now))
        finally:
            if everything:
                self.publisher.durable = True
                os.sync()
            self.last_seconds = time.monotonic() - started  # for the hooks (metrics)
            for hook in self.published_hooks:
                hook()
        self.paper.mark_public(reached, now)  # in the feeds now: from here on, nothing takes them out
        self._stale.difference_update(stale)
        self._unchecked.difference_update(stale)  # a daemon never hands over: this keeps it from growing
        self._withdrawn.difference_update(withdrawn)
        self._vacated_sections.difference_update(vacated_sections)
        self._vacated_authors.difference_update(vacated_authors)
        self._handed.difference_update(handed)
        if through != self._mark:
            (self.settings.data / PUBLISHED_MARK).write_text(f"{through}\n")
            self._mark = through

    def all_authors(self, *, fresh: bool = False) -> set[str]:
        """Every author with a public item; read once, then kept up to date by the publications."""
        if self._authors is None or fresh:
            self._authors = set(self.store.public_authors(self.clock(), self.paper.withheld()))
        return self._authors

    def _publish_feeds(self, now: datetime, scopes: list[tuple[str | None, str | None]]) -> None:
        """The feeds of each (section, author) scope: (None, None) is the whole paper's."""
        withheld, limit = self.paper.withheld(), self.settings.feed_items
        for section, author in scopes:
            # One entry more than a feed holds tells whether the feed is its whole history (RFC 5005 §2).
            entries = self.store.entries(now, limit=limit + 1, withheld=withheld, section=section, author=author)
            if author is not None and entries:
                self.all_authors().add(author)
            complete = len(entries) <= limit
            written = self.publisher.publish_feeds(
                entries[:limit], section=section, author=author, complete=complete,
                images=self._images((e.issue_date for e in entries[:limit]), now))
            if section is not None or author is not None:  # the whole paper's front page is index.html
                Listings(self.publisher, section, author).front_page(entries[:limit], complete=complete)
            if written and section is None and author is None:
                for hook in self.published_hooks:  # push the main feeds now, not after every section, author and page
                    hook()

    def publish_scope(self, section: str | None, author: str | None) -> None:
        """One section's or author's feeds and front page, as every publication writes them (ondemand.py)."""
        self._publish_feeds(self.clock(), [(section, author)])

    def refresh_index(self) -> None:
        """The index shows the calendar (next issue, a break): keep it current between publications."""
        try:
            self.publisher.publish_index(self._index_view(self.clock()))
        except OSError as exc:
            log.error("index.html not refreshed: %s", exc)

    def _index_view(self, now: datetime) -> IndexView:
        return index_view(self.store, self.paper, now, self.all_authors(), self.settings.feed_items)
