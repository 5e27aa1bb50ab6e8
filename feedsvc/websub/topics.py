"""Topics are the feed documents feedsvc publishes, named by their URL; this maps them to files under public/."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The feed documents feedsvc writes, in any folder of the site (main, sections/…, authors/…), and their types.
FEED_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
# One path segment as the publisher names them: no "..", no hidden files, no "%", "?" or "#".
_SEGMENT = re.compile(r"[^\W_][\w.-]{0,254}")


def is_feed(relative: str) -> bool:
    """Whether a path relative to the site root names a feed document (not whether it exists)."""
    parts = relative.split("/")
    return parts[-1] in FEED_TYPES and all(_SEGMENT.fullmatch(p) for p in parts)


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class Topics:
    """The topics of one site: `site_url` is read on every call (a port bound at start changes it)."""

    def __init__(self, public: Path, site_url: str) -> None:
        self.public = public
        self.site_url = site_url
        # Writes a feed not written yet (an author's after a backfill: ondemand.py), as a reader's request would;
        # whether it did. Set by the daemon.
        self.on_request: Callable[[str], bool] | None = None

    def relative(self, topic: str) -> str | None:
        """The feed path of `topic` relative to the site, or None when it is not one of our feed URLs."""
        if not topic.startswith(self.site_url):
            return None
        relative = topic[len(self.site_url):]
        return relative if is_feed(relative) else None

    def path(self, topic: str) -> Path | None:
        """The published file of `topic`, None when we do not publish it (now)."""
        relative = self.relative(topic)
        if relative is None:
            return None
        path = self.public.joinpath(*relative.split("/"))
        root = os.path.realpath(self.public)
        if not os.path.realpath(path).startswith(root + os.sep) or not path.is_file():
            return None
        return path

    def published(self, topic: str) -> bool:
        return self.path(topic) is not None

    def read(self, topic: str) -> Document | None:
        """The current document of `topic` (what a reader fetching it now gets), or None when gone."""
        path = self.path(topic)
        if path is None:
            return None
        try:
            return Document(path.read_bytes(), FEED_TYPES[path.name])
        except OSError:
            return None


def published_feeds(public: Path) -> list[str]:
    """Every feed document under public/, relative to it: the main feeds and those one folder pair down
    (sections/<slug>/, authors/<slug>/, …)."""
    found = [name for name in FEED_TYPES if (public / name).is_file()]
    try:
        groups = sorted(e.path for e in os.scandir(public) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return found
    for group in groups:
        with os.scandir(group) as entries:
            folders = sorted(e.path for e in entries if e.is_dir() and not e.name.startswith("."))
        for folder in folders:
            relative = os.path.relpath(folder, public).replace(os.sep, "/")
            found += [f"{relative}/{name}" for name in FEED_TYPES if os.path.isfile(os.path.join(folder, name))]
    return found
