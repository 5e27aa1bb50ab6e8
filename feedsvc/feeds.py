"""Entries → feed bytes: RSS 2.0 and Atom 1.0 through feedgen, JSON Feed 1.1 by hand; plus the URL layout.

Every timestamp comes from the entries (never the clock) and every collection is emitted in a fixed
order, so the same entries always give the same bytes.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc.model import Entry, Item

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The feed-level date of a feed with no entries: a constant keeps an empty feed byte-stable.
EMPTY_FEED_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LEDE_CHARS = 120
UNTITLED = "(无标题)"

# XML 1.0 forbids C0 controls other than tab/LF/CR, surrogates and U+FFFE/U+FFFF (lxml refuses them and
# one bad item would break the whole feed); DEL and C1 controls are "discouraged" and never belong in news text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SENTENCE_END = "。!?;!?;…"

# feedgen's formatRFC2822 flips the process-wide locale while it formats a date, so two feed
# builds in two threads could corrupt each other's dates: builds take turns.
_BUILD_LOCK = threading.Lock()


# --- text ------------------------------------------------------------------------------------------------

def clean(text: str) -> str:
    """`text` without characters XML cannot carry, whitespace collapsed."""
    return _SPACES.sub(" ", _NOT_XML.sub("", text)).strip()


def blocks(item: Item) -> list[tuple[str, str]]:
    """The item's body as (tag, text) pairs: "h3" for subheads, "p" for paragraphs, in reading order.

    The model keeps subheads apart from paragraphs without their positions: a paragraph equal to a
    subhead is shown as that subhead in place; subheads found nowhere in the body lead it.
    """
    heads = {clean(s) for s in item.subheads} - {""}
    body = [c for c in (clean(p) for p in item.paragraphs) if c]
    placed = {p for p in body if p in heads}
    leading = [("h3", h) for h in dict.fromkeys(clean(s) for s in item.subheads) if h and h not in placed]
    return leading + [("h3" if p in heads else "p", p) for p in body]


def content_html(item: Item) -> str:
    """The full text as escaped HTML; never empty, since readers show nothing for an empty body."""
    parts = [f"<{tag}>{html.escape(text)}</{tag}>" for tag, text in blocks(item)]
    return "\n".join(parts) or f"<p>{html.escape(title(item))}</p>"


def title(item: Item) -> str:
    return clean(item.title) or UNTITLED


def authors(item: Item) -> list[str]:
    return [a for a in dict.fromkeys(clean(a) for a in item.authors) if a]


def section(item: Item) -> str | None:
    return clean(item.section or "") or None


def lede(item: Item, limit: int = LEDE_CHARS) -> str:
    """The first paragraph as plain text, cut to about `limit` characters at a sentence end if one is near."""
    text = next((t for tag, t in blocks(item) if tag == "p"), "") or title(item)
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(mark) for mark in _SENTENCE_END)
    if cut >= limit // 2:
        return head[: cut + 1]
    return head.rstrip() + "…"


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
    ttl_minutes: int | None = None
    skip_days: tuple[str, ...] = ()


class _SkipDays(BaseExtension):
    """Writes <skipDays> in weekday order: feedgen's own keeps a set, whose order varies between runs."""

    def __init__(self, days: tuple[str, ...]) -> None:
        self.days = days

    def extend_rss(self, feed: Any) -> Any:
        if self.days:
            holder = etree.SubElement(feed[0], "skipDays")
            for day in self.days:
                etree.SubElement(holder, "day").text = day
        return feed


def ordered_skip_days(days: Sequence[str]) -> tuple[str, ...]:
    unknown = set(days) - set(WEEKDAY_NAMES)
    if unknown:
        raise ValueError(f"not English weekday names: {sorted(unknown)}")
    return tuple(d for d in WEEKDAY_NAMES if d in days)


def feed_updated(entries: Sequence[Entry], tz: ZoneInfo) -> datetime:
    """The feed's own date: its newest entry change, else a constant."""
    newest = max((e.updated for e in entries), default=EMPTY_FEED_TIME)
    return newest.astimezone(tz)


def _skip_days_factory(days: tuple[str, ...]) -> Callable[[], _SkipDays]:
    return lambda: _SkipDays(days)


def _generator(meta: FeedMeta, entries: Sequence[Entry]) -> FeedGenerator:
    tz = meta.timezone
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # name-only bylines: RSS <author> needs an e-mail
    fg.register_extension("feedsvc_skipdays", _skip_days_factory(ordered_skip_days(meta.skip_days)),
                          None, atom=False, rss=True)
    fg.id(meta.feed_id)
    fg.title(clean(meta.title) or UNTITLED)
    fg.description(clean(meta.description) or clean(meta.title) or UNTITLED)
    fg.language(meta.language)
    # Atom requires a feed author when an entry has none (notices, photos without credit).
    fg.author({"name": clean(meta.title) or UNTITLED})
    fg.updated(feed_updated(entries, tz))
    if meta.ttl_minutes is not None:
        fg.ttl(meta.ttl_minutes)
    for entry in entries:  # newest first in, newest first out: append keeps the caller's order
        item = entry.item
        fe = fg.add_entry(order="append")
        fe.guid(entry_urn(item.id), permalink=False)
        fe.title(title(item))
        fe.link(href=meta.site_url + item_path(item.id))
        fe.published(entry.published.astimezone(tz))
        fe.updated(entry.updated.astimezone(tz))
        # summary before content, and never description(): it would overwrite the Atom content.
        fe.summary(html.escape(lede(item)), type="html")
        fe.content(content_html(item), type="html")
        names = authors(item)
        if names:
            fe.author([{"name": n} for n in names])
            fe.dc.dc_creator(names)
        cat = section(item)
        if cat:
            fe.category(term=cat)
    return fg


def _with_links(fg: FeedGenerator, meta: FeedMeta, name: str, mime: str) -> FeedGenerator:
    # feedgen makes the LAST link the RSS channel <link>: the site must come after self.
    fg.link([{"href": meta.feed_url + name, "rel": "self", "type": mime},
             {"href": meta.site_url, "rel": "alternate", "type": "text/html"}], replace=True)
    return fg


def render_xml(meta: FeedMeta, entries: Sequence[Entry]) -> tuple[bytes, bytes]:
    """(RSS 2.0, Atom 1.0) documents of `entries`, which come newest first."""
    with _BUILD_LOCK:
        fg = _generator(meta, entries)
        rss = _with_links(fg, meta, "rss.xml", "application/rss+xml").rss_str(pretty=True)
        atom = _with_links(fg, meta, "atom.xml", "application/atom+xml").atom_str(pretty=True)
    return rss, atom


def _rfc3339(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def render_json(meta: FeedMeta, entries: Sequence[Entry]) -> bytes:
    """A JSON Feed 1.1 document (jsonfeed.org/version/1.1) of `entries`, newest first."""
    tz = meta.timezone
    items = []
    for entry in entries:
        item = entry.item
        record: dict[str, Any] = {
            "id": entry_urn(item.id),
            "url": meta.site_url + item_path(item.id),
            "title": title(item),
            "content_html": content_html(item),
            "summary": lede(item),
            "date_published": _rfc3339(entry.published, tz),
            "date_modified": _rfc3339(entry.updated, tz),
        }
        names = authors(item)
        if names:
            record["authors"] = [{"name": n} for n in names]
        cat = section(item)
        if cat:
            record["tags"] = [cat]
        items.append(record)
    document = {
        "version": JSON_FEED_VERSION,
        "title": clean(meta.title) or UNTITLED,
        "home_page_url": meta.site_url,
        "feed_url": meta.feed_url + "feed.json",
        "description": clean(meta.description),
        "language": meta.language,
        "items": items,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
