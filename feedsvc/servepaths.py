"""Which published file a request target names: the path check (no traversal, no symlink out of public/) and
the Content-Type of each kind of file we publish. Used by serve.py for every request.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import unquote

from feedsvc.history import SUFFIXES

_FEED_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
_SUFFIX_TYPES = {
    ".json": "application/json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif", ".svg": "image/svg+xml",
    ".ico": "image/vnd.microsoft.icon",  # IANA's name; browsers take it as image/x-icon
}
# One path segment, after percent-decoding: starts with a letter or digit (so no "..", no hidden or
# dot-prefixed temp files), then word characters, dots and dashes only: no "/", "\", NUL or "%".
# \w is Unicode-aware so a section slug may be Chinese.
_SEGMENT = re.compile(r"[^\W_][\w.-]{0,254}")


# RFC 5005 archive documents: archive/YYYY-MM.xml (RSS), .atom, .json (JSON Feed pages).
_ARCHIVE_TYPES = dict(zip(SUFFIXES, _FEED_TYPES.values(), strict=True))
_ARCHIVE_NAME = re.compile(r"\d{4}-\d{2}(\.xml|\.atom|\.json)")


def _content_type(name: str) -> str | None:
    """The Content-Type for a published file name, or None for anything we never publish (incl. *.gz)."""
    if name in _FEED_TYPES:
        return _FEED_TYPES[name]
    if archived := _ARCHIVE_NAME.fullmatch(name):
        return _ARCHIVE_TYPES[archived[1]]
    return _SUFFIX_TYPES.get(os.path.splitext(name)[1])


def resolve(root: str, target: str) -> tuple[str, str] | None:
    """Map a raw request target to (real file path under `root`, content type), or None to refuse.

    Works on the raw target, not the router's normalised path, so "..", "%2e%2e" and "%2f" are seen
    and refused rather than silently folded away. `root` must already be a real path.
    """
    path = target.split("?", 1)[0]
    if not path.startswith("/"):  # absolute-form or "*": we only serve origin-form requests
        return None
    parts = path[1:].split("/")
    if parts[-1] == "":
        parts[-1] = "index.html"
    names = []
    for part in parts:
        try:
            name = unquote(part, errors="strict")
        except UnicodeDecodeError:
            return None
        if not _SEGMENT.fullmatch(name):
            return None
        names.append(name)
    ctype = _content_type(names[-1])
    if ctype is None:
        return None
    # A symlink anywhere on the way may point outside public/: judge where the path really leads.
    real = os.path.realpath(os.path.join(root, *names))
    if not real.startswith(root + os.sep):
        return None
    return real, ctype


@functools.lru_cache(maxsize=4096)
def resolve_cached(root: str, target: str, _second: int) -> tuple[str, str] | None:
    return resolve(root, target)
