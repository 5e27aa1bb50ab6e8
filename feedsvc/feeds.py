"""Entries → feed bytes: RSS 2.0 and Atom 1.0 through feedgen (JSON Feed 1.1: jsonfeed.py).

Also home to what feeds and pages share: the cleaned text of an item (`text_of`), the URL layout and what a
feed says about itself (`FeedMeta`).

Every timestamp comes from the entries (never the clock) and every collection is emitted in a fixed
order, so the same entries always give the same bytes.

No <ttl>, <skipDays> or <skipHours>: a static file cannot know when it is fetched, and readers count ttl from
their own fetch, read skip hints in GMT and would skip corrections as well as releases. How long a copy stays
fresh is answered per request by Cache-Control and Expires (freshness.py).
"""

from __future__ import annotations

import functools
import html
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc.history import History, extension
from feedsvc.model import Entry, Item, ItemKind
from feedsvc.websub.discovery import hub_links_factory

# The category every photo item carries, in every format, so readers can filter pictures.
PHOTO_CATEGORY = "图片"
# The feed-level date of a feed with no entries: a constant keeps an empty feed byte-stable.
EMPTY_FEED_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LEDE_CHARS = 120
UNTITLED = "(无标题)"

# XML 1.0 forbids C0 controls other than tab/LF/CR, surrogates and U+FFFE/U+FFFF (lxml refuses them and
# one bad item would break the whole feed); DEL and C1 controls are "discouraged" and never belong in news text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The display form of several authors where a format (or a reader) has one slot, as Chinese bylines join them.
BYLINE_JOIN = "\u3001"  # 、
_SENTENCE_END = "\u3002\uff01\uff1f\uff1b!?;\u2026"  # 。!?; in full and half width, and …

# feedgen's formatRFC2822 flips the process-wide locale while it formats a date, so two feed
# builds in two threads could corrupt each other's dates: builds take turns.
_BUILD_LOCK = threading.Lock()


# --- text ------------------------------------------------------------------------------------------------

def clean(text: str) -> str:
    """`text` without characters XML cannot carry, whitespace collapsed."""
    return _SPACES.sub(" ", _NOT_XML.sub("", text)).strip()


def _blocks(item: Item) -> tuple[tuple[str, str], ...]:
    """("h3", subhead) and ("p", paragraph) in reading order: each subhead before the paragraph it preceded."""
    positions = item.subhead_at if len(item.subhead_at) == len(item.subheads) else (0,) * len(item.subheads)
    before: dict[int, list[str]] = {}
    for head, at in zip(item.subheads, positions, strict=True):
        before.setdefault(at, []).append(head)
    blocks: list[tuple[str, str]] = []
    for n in range(len(item.paragraphs) + 1):
        blocks += [("h3", c) for c in (clean(h) for h in before.pop(n, ())) if c]
        if n < len(item.paragraphs) and (c := clean(item.paragraphs[n])):
            blocks.append(("p", c))
    for heads in before.values():  # positions past the end: keep the subheads rather than lose them
        blocks += [("h3", c) for c in (clean(h) for h in heads) if c]
    return tuple(blocks)


def _lede(body: Sequence[tuple[str, str]], fallback: str, limit: int) -> str:
    text = next((t for tag, t in body if tag == "p"), "") or fallback
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(mark) for mark in _SENTENCE_END)
    if cut >= limit // 2:
        return head[: cut + 1]
    return head.rstrip() + "…"


@dataclass(frozen=True)
class Text:
    """An item's text as every output shows it: cleaned, with its HTML body and lede."""

    title: str
    blocks: tuple[tuple[str, str], ...]  # ("h3", subhead) / ("p", paragraph) in reading order
    html: str  # escaped HTML, never empty: readers show nothing for an empty body
    lede: str  # plain text: the first paragraph, cut near LEDE_CHARS at a sentence end if one is near
    authors: tuple[str, ...]
    section: str | None
    categories: tuple[str, ...]  # the section, and PHOTO_CATEGORY for a photo

    @property
    def byline(self) -> str:
        """The authors as one name (章斐然、王震): what a reader with one author slot shows."""
        return BYLINE_JOIN.join(self.authors)


@functools.lru_cache(maxsize=1024)
def text_of(item: Item) -> Text:
    """The cleaned text of `item`; cached because the same items are rendered on every publish."""
    title = clean(item.title) or UNTITLED
    body = _blocks(item)
    section = clean(item.section or "") or None
    photo = (PHOTO_CATEGORY,) if item.kind is ItemKind.PHOTO else ()
    html_body = "\n".join(f"<{tag}>{html.escape(t)}</{tag}>" for tag, t in body) or f"<p>{html.escape(title)}</p>"
    return Text(
        title=title,
        blocks=body,
        html=html_body,
        lede=_lede(body, title, LEDE_CHARS),
        authors=tuple(a for a in dict.fromkeys(clean(a) for a in item.authors) if a),
        section=section,
        categories=tuple(dict.fromkeys((*((section,) if section else ()), *photo))),
    )


# --- layout ----------------------------------------------------------------------------------------------

def safe_id(item_id: str) -> str:
    """`item_id` when it can be a file name and URL segment as is; ValueError otherwise (no traversal)."""
    if not _SAFE_ID.fullmatch(item_id):
        raise ValueError(f"item id {item_id!r} is not file- and URL-safe")
    return item_id


def item_path(item_id: str) -> str:
    """Where an item's page lives, relative to the site root (also its path under public/)."""
    return f"items/{safe_id(item_id)}.html"


def issue_path(issue_date: date) -> str:
    return f"issues/{issue_date.isoformat()}.html"


def section_path(slug: str) -> str:
    """The folder of a section's feeds, relative to the site root, ending in '/'."""
    return f"sections/{slug}/"


def author_path(slug: str) -> str:
    """The folder of an author's feeds, relative to the site root, ending in '/'."""
    return f"authors/{slug}/"


def entry_urn(item_id: str) -> str:
    """The permanent feed id of an item: from its stored id only, never from title or URL."""
    return f"urn:feedsvc:item:{item_id}"


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
