"""JSON Feed 1.1 (jsonfeed.org/version/1.1) by hand: feedgen has no JSON writer.

Same entries, same text (`text.text_of`) and same dates as the RSS and Atom documents; byte-stable like them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from feedsvc.feeds import Enclosure, FeedMeta, attached, entry_updated
from feedsvc.model import Entry
from feedsvc.text import UNTITLED, clean, text_of
from feedsvc.urls import entry_urn, item_path
from feedsvc.websub.discovery import json_hubs

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _rfc3339(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def render_json(meta: FeedMeta, entries: Sequence[Entry], enclosures: Mapping[str, Enclosure] | None = None) -> bytes:
    """A JSON Feed 1.1 document of `entries`, newest first; `enclosures` (photos) by item id."""
    return _render_json(meta, tuple(entries), attached(entries, enclosures))


@functools.lru_cache(maxsize=32)
def _render_json(meta: FeedMeta, entries: tuple[Entry, ...], enclosures: tuple[tuple[str, Enclosure], ...]) -> bytes:
    tz, attachments = meta.timezone, dict(enclosures)
    items = []
    for entry in entries:
        item, text = entry.item, text_of(entry.item)
        record: dict[str, Any] = {
            "id": entry_urn(item.id),
            "url": meta.site_url + item_path(item.id),
            "title": text.title,
            "content_html": text.html,
            "summary": text.lede,
            "date_published": _rfc3339(entry.published, tz),
            "date_modified": _rfc3339(entry_updated(entry), tz),
        }
        if text.authors:
            record["authors"] = [{"name": n} for n in text.authors]
        if text.categories:
            record["tags"] = list(text.categories)
        if (enclosure := attachments.get(item.id)) is not None:
            record["image"] = enclosure.url
            record["attachments"] = [
                {"url": enclosure.url, "mime_type": enclosure.mime, "size_in_bytes": enclosure.length}]
        items.append(record)
    document = {
        "version": JSON_FEED_VERSION,
        "title": clean(meta.title) or UNTITLED,
        "home_page_url": meta.site_url,
        "feed_url": meta.feed_url + "feed.json",
        "description": clean(meta.description),
        "language": meta.language,
        **({"icon": meta.logo} if meta.logo else {}),
        **({"favicon": meta.icon} if meta.icon else {}),
        **({"hubs": json_hubs(meta.hubs)} if meta.hubs else {}),  # WebSub discovery
        "items": items,
    }
    if meta.history and meta.history.json_next:  # paging back through the archive's months
        document["next_url"] = meta.history.json_next
    # No indent: with one, json falls back to its pure-Python encoder, several times slower.
    return (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8")


def clear_cache() -> None:
    """Forget remembered renders (`feeds.clear_caches` clears this too)."""
    _render_json.cache_clear()
