"""Readable URL names for sections and authors: pinyin (经济 → jing-ji, 章斐然 → zhang-fei-ran), kept in the store.

A name's slug is chosen once, the first time the name is published, and stored (table `slugs`), so it never
changes: not across rebuilds, nor when pypinyin's readings change, nor when another name with the same reading
comes later (that one gets `-2`, `-3`, …). Every process that writes pages (the daemon, `feedsvc build`, the
backfill's page writers) reads the same table; the choice is one INSERT OR IGNORE under the table's UNIQUE
constraints, so two processes choosing at once agree.

Before slugs, a section's or author's folder was named by a hash of the name (`legacy`); readers subscribed to
those URLs, so the server answers them with a permanent redirect (`old_url`) and the feeds keep the hash in
their ids (feed identity does not move with the URL).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from feedsvc.errors import StoreError
from feedsvc.text import clean

Kind = Literal["section", "author"]
KINDS: tuple[Kind, ...] = ("section", "author")
MAX_CHARS = 60  # a readable URL segment; a longer reading is cut at a syllable
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
LEGACY = re.compile(r"[0-9a-f]{12}")
_OLD_PATH = re.compile(r"/(sections|authors)/([0-9a-f]{12})(?:/(.*))?")
_RELOAD_SECONDS = 1.0  # an unknown old URL reads the table again at most this often (strangers send hashes)


def legacy(name: str) -> str:
    """The hash that named a section's or author's folder before slugs (and still names its feed id)."""
    return hashlib.sha256(clean(name).encode("utf-8")).hexdigest()[:12]


def reading(name: str) -> str:
    """The base slug of `name`: toneless pinyin syllables and Latin words, lower case, joined by '-'; the
    legacy hash when nothing readable is left (a name of symbols, or of a script pypinyin does not read)."""
    from pypinyin import Style, lazy_pinyin  # 0.2-0.5 s to import: only when a new name needs a slug

    words: list[str] = []
    for part in lazy_pinyin(clean(name), style=Style.NORMAL, errors="default"):
        # NFKD then ASCII: é → e, full-width Ａ → A; what has no ASCII form separates words.
        ascii_part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode().lower()
        words += [w for w in _NOT_SLUG.split(ascii_part) if w]
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > MAX_CHARS:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or legacy(name)


def candidates(base: str) -> Callable[[int], str]:
    """The n-th slug to try for a name whose reading is `base`: base, base-2, base-3, …"""
    return lambda n: base if n == 1 else f"{base}-{n}"


class Slugs:
    """The slugs of every section and author; backed by the store's `slugs` table at `database`, or kept in
    memory only (`database` None: tests and tools that publish without a store)."""

    def __init__(self, database: Path | None = None) -> None:
        self._path = database
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._slugs: dict[Kind, dict[str, str]] = {kind: {} for kind in KINDS}
        self._old: dict[Kind, dict[str, str]] = {kind: {} for kind in KINDS}  # legacy hash → slug
        self._names: dict[Kind, dict[str, str]] = {kind: {} for kind in KINDS}  # slug → name
        self._loaded_at = float("-inf")
        if database is not None:
            try:
                self._db = sqlite3.connect(database, isolation_level=None, check_same_thread=False, timeout=10.0)
                self._db.execute("PRAGMA synchronous = NORMAL")  # as the store's: WAL, no sync per new name
            except sqlite3.Error as exc:
                raise StoreError(f"{database}: {exc}") from exc
            self._load()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def section(self, name: str) -> str:
        return self.slug("section", name)

    def author(self, name: str) -> str:
        return self.slug("author", name)

    def slug(self, kind: Kind, name: str) -> str:
        """The slug of `name`, chosen now if it has none yet."""
        key = clean(name)
        found = self._slugs[kind].get(key)
        if found is not None:
            return found
        with self._lock:
            # No reread of the table (it made a backfill of 4,000 new names quadratic): `_choose` learns from the
            # table itself whether another process chose this name's slug, or took the one it tries.
            if key not in self._slugs[kind]:
                self._choose(kind, key)
            return self._slugs[kind][key]

    def name_of(self, kind: Kind, slug: str) -> str | None:
        """The name whose slug is `slug` (a folder asked for), or None when no name has it."""
        found = self._names[kind].get(slug)
        if found is None and time.monotonic() - self._loaded_at > _RELOAD_SECONDS:
            with self._lock:
                self._load()  # another process may have chosen it since
            found = self._names[kind].get(slug)
        return found

    def old_url(self, kind: Kind, hashed: str) -> str | None:
        """The slug that replaced the legacy folder name `hashed`, or None when no known name had it."""
        if not LEGACY.fullmatch(hashed):
            return None
        found = self._old[kind].get(hashed)
        if found is None and time.monotonic() - self._loaded_at > _RELOAD_SECONDS:
            with self._lock:
                self._load()
            found = self._old[kind].get(hashed)
        return found

    def moved(self, path: str) -> str | None:
        """Where an old URL path (`/sections/<hash>/rss.xml`, as requested) lives now, or None."""
        found = _OLD_PATH.fullmatch(path)
        if found is None:
            return None
        kind: Kind = "section" if found[1] == "sections" else "author"
        slug = self.old_url(kind, found[2])
        return None if slug is None else f"/{found[1]}/{slug}/{found[3] or ''}"

    def _remember(self, kind: Kind, name: str, slug: str) -> None:
        self._slugs[kind][name] = slug
        self._names[kind][slug] = name
        old = legacy(name)
        if old != slug:
            self._old[kind][old] = slug

    def _load(self) -> None:
        self._loaded_at = time.monotonic()
        if self._db is None:
            return
        try:
            rows = self._db.execute("SELECT kind, name, slug FROM slugs").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: {exc}") from exc
        for kind, name, slug in rows:
            if kind in KINDS:
                self._remember(kind, name, slug)

    def _choose(self, kind: Kind, name: str) -> None:
        """The first free candidate of the name's reading; INSERT OR IGNORE, then read back what the table
        holds (another process may have given the name its slug first)."""
        nth = candidates(reading(name))
        n = 1
        while nth(n) in self._names[kind]:
            n += 1
        if self._db is None:
            self._remember(kind, name, nth(n))
            return
        try:
            while True:
                self._db.execute("INSERT OR IGNORE INTO slugs(kind, name, slug) VALUES (?, ?, ?)", (kind, name, nth(n)))
                row = self._db.execute("SELECT slug FROM slugs WHERE kind = ? AND name = ?", (kind, name)).fetchone()
                if row is not None:
                    self._remember(kind, name, row[0])
                    return
                n += 1  # the slug went to another name, in another process
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: {exc}") from exc
