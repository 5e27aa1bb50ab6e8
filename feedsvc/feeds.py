"""Entries → feed bytes: RSS 2.0 and Atom 1.0 through feedgen (JSON Feed 1.1: jsonfeed.py).

Also what a feed says about itself (`FeedMeta`). The text every output shows is in text.py, where things live
on the site in urls.py.

Every timestamp comes from the entries (never the clock) and every collection is emitted in a fixed
order, so the same entries always give the same bytes.

No <ttl>, <skipDays> or <skipHours>: a static file cannot know when it is fetched, and readers count ttl from
their own fetch, read skip hints in GMT and would skip corrections as well as releases. How long a copy stays
fresh is answered per request by Cache-Control and Expires (freshness.py).
"""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc.history import History, extension
from feedsvc.model import Entry, Item
from feedsvc.text import UNTITLED, clean, text_of
from feedsvc.urls import entry_urn, item_path
from feedsvc.websub.discovery import hub_links_factory

# The feed-level date of a feed with no entries: a constant keeps an empty feed byte-stable.
EMPTY_FEED_TIME = datetime(1970, 1, 1, tzinfo=UTC)

# feedgen's formatRFC2822 flips the process-wide locale while it formats a date, so two feed
# builds in two threads could corrupt each other's dates: builds take turns.
_BUILD_LOCK = threading.Lock()


# --- feeds -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedMeta:
    """What one feed (the main one or a section's) says about itself."""

    title: str
    description: str
    language: str
    site_url: str  # absolute, ends in "/": the channel link and the base of item links
    feed_url: str  # absolute folder of this feed's files, ends in "/"
    feed_id: str
    timezone: ZoneInfo
    icon: str | None = None  # absolute URL of a small square image (Atom icon, JSON Feed favicon)
    logo: str | None = None  # absolute URL of a larger one (RSS <image>, Atom logo, JSON Feed icon)
    rights: str | None = None  # RSS <copyright>, Atom <rights>
    hubs: tuple[str, ...] = ()  # WebSub hubs the feed names (rel="hub")
    history: History | None = None  # RFC 5005 archive links (and JSON Feed next_url)


@dataclass(frozen=True)
class Enclosure:
    """A file attached to an item (a photo): an RSS enclosure, an Atom rel="enclosure" link, a JSON attachment."""

    url: str  # absolute
    length: int
    mime: str


class _EnclosureExtension(BaseEntryExtension):
    """feedgen's own entry enclosure loses rel, type and length in Atom (lkiesow/python-feedgen#135)."""

    def __init__(self) -> None:
        self.enclosure: Enclosure | None = None

    def _attributes(self, **first: str) -> dict[str, str]:
        e = self.enclosure
        return first if e is None else {**first, "length": str(e.length), "type": e.mime}

    def extend_rss(self, entry: Any) -> Any:
        if self.enclosure is not None:
            etree.SubElement(entry, "enclosure", self._attributes(url=self.enclosure.url))
        return entry

    def extend_atom(self, entry: Any) -> Any:
        if self.enclosure is not None:
            etree.SubElement(entry, "link", self._attributes(rel="enclosure", href=self.enclosure.url))
        return entry


def entry_updated(entry: Entry) -> datetime:
    """The entry's updated date as feeds show it: distinct within an issue, stable across rebuilds.

    Every item of an issue is released at the same instant, and a correction changes several at once, so
    the stored time plus the item's sequence number in seconds tells them apart (Atom readers and the W3C
    validator, DuplicateUpdated, expect distinct values). The sequence number is part of the id, which never
    changes, so the value moves only when the item does.
    """
    return entry.updated + timedelta(seconds=_sequence(entry.item))


def _sequence(item: Item) -> int:
    tail = item.id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else item.ordinal


def feed_updated(entries: Sequence[Entry], tz: ZoneInfo) -> datetime:
    """The feed's own date: its newest entry change, else a constant."""
    newest = max((entry_updated(e) for e in entries), default=EMPTY_FEED_TIME)
    return newest.astimezone(tz)


def _generator(meta: FeedMeta, entries: Sequence[Entry], enclosures: dict[str, Enclosure]) -> FeedGenerator:
    tz = meta.timezone
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # name-only bylines: RSS <author> needs an e-mail
    if meta.hubs:  # feedgen writes only the self link into RSS; Atom gets the hubs through fg.link
        fg.register_extension("feedsvc_hubs", hub_links_factory(meta.hubs), None, atom=False, rss=True)
    if meta.history:
        fg.register_extension("feedsvc_history", extension(meta.history), None, atom=True, rss=True)
    fg.id(meta.feed_id)
    fg.title(clean(meta.title) or UNTITLED)
    fg.description(clean(meta.description) or clean(meta.title) or UNTITLED)
    fg.language(meta.language)
    # Atom requires a feed author when an entry has none (notices, photos without credit).
    fg.author({"name": clean(meta.title) or UNTITLED})
    fg.updated(feed_updated(entries, tz))
    if meta.rights:
        fg.rights(clean(meta.rights))
    if meta.icon:
        fg.icon(meta.icon)
    if meta.logo:
        fg.logo(meta.logo)  # also the RSS <image>, whose title and link feedgen takes from the channel
    for entry in entries:  # newest first in, newest first out: append keeps the caller's order
        item, text = entry.item, text_of(entry.item)
        fe = fg.add_entry(order="append")
        fe.guid(entry_urn(item.id), permalink=False)
        fe.title(text.title)
        fe.link(href=meta.site_url + item_path(item.id))
        fe.published(entry.published.astimezone(tz))
        fe.updated(entry_updated(entry).astimezone(tz))
        # summary before content, and never description(): it would overwrite the Atom content.
        fe.summary(html.escape(text.lede), type="html")
        fe.content(text.html, type="html")
        if text.authors:
            # One name in one slot: sfeed shows the first of several authors, newsboat and feedparser the last.
            fe.author({"name": text.byline})
            fe.dc.dc_creator(text.byline)
        for term in text.categories:
            fe.category(term=term)
        enclosure = enclosures.get(item.id)
        if enclosure is not None:
            fe.register_extension("feedsvc_enclosure", _EnclosureExtension)
            fe.feedsvc_enclosure.enclosure = enclosure
    return fg


def _with_links(fg: FeedGenerator, meta: FeedMeta, name: str, mime: str, own: str | None) -> FeedGenerator:
    # feedgen makes the LAST link the RSS channel <link>: the site must come after self.
    fg.link([{"href": own or meta.feed_url + name, "rel": "self", "type": mime},
             *({"href": hub, "rel": "hub"} for hub in meta.hubs),
             {"href": meta.site_url, "rel": "alternate", "type": "text/html"}], replace=True)
    return fg


def render_xml(meta: FeedMeta, entries: Sequence[Entry],
               enclosures: Mapping[str, Enclosure] | None = None) -> tuple[bytes, bytes]:
    """(RSS 2.0, Atom 1.0) documents of `entries`, which come newest first; `enclosures` by item id."""
    return _render_xml(meta, tuple(entries), attached(entries, enclosures))


def attached(entries: Sequence[Entry], enclosures: Mapping[str, Enclosure] | None) -> tuple[tuple[str, Enclosure], ...]:
    """The enclosures of `entries` as a hashable value (the renders are remembered by their inputs)."""
    if not enclosures:
        return ()
    return tuple((e.item.id, enclosures[e.item.id]) for e in entries if e.item.id in enclosures)


# Rebuilds with unchanged inputs are common (rescans, `build`, sections a drop did not touch), and
# feedgen costs ~4 ms per 50 entries; the inputs are frozen values, so their bytes can be remembered.
@functools.lru_cache(maxsize=32)
def _render_xml(meta: FeedMeta, entries: tuple[Entry, ...],
                enclosures: tuple[tuple[str, Enclosure], ...]) -> tuple[bytes, bytes]:
    with _BUILD_LOCK:
        fg = _generator(meta, entries, dict(enclosures))
        history = meta.history
        rss_self, atom_self = (history.self_rss, history.self_atom) if history else (None, None)
        rss = _with_links(fg, meta, "rss.xml", "application/rss+xml", rss_self).rss_str(pretty=True)
        atom = _with_links(fg, meta, "atom.xml", "application/atom+xml", atom_self).atom_str(pretty=True)
    return rss, atom


def clear_caches() -> None:
    """Forget remembered renders, so the next call really builds (tests use it to prove determinism)."""
    from feedsvc import jsonfeed  # it builds on this module

    _render_xml.cache_clear()
    jsonfeed.clear_cache()
    text_of.cache_clear()
